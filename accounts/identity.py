"""Who may claim an IIN (docs/rules.md §1): one pluggable check, never a silent overwrite.

Production plugs in the state registry that links phone numbers to IINs;
locally the first claim wins and a second one is refused.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.registry import registry_match


@dataclass(frozen=True)
class IdentityDecision:
    allowed: bool
    code: str = ""


ALLOWED = IdentityDecision(allowed=True)

MESSAGES = {
    "taken": _(
        "This IIN is already linked to another phone number. If it is yours, call %(support)s "
        "or visit a public service centre with your identity card, and we will sort it out."
    ),
    "mismatch": _(
        "The state registry does not link this IIN to your phone number. Check the IIN, or call "
        "%(support)s for help."
    ),
    "unavailable": _("We cannot check your IIN right now. Please try again in a few minutes."),
    "already_set": _("Your account already has an IIN. To change it, call %(support)s for help."),
    "phone_mismatch": _(
        "Our records link this IIN to another phone number. If the IIN is yours, call "
        "%(support)s or visit a public service centre with your identity card."
    ),
}

# Functions IIN -> phone numbers on record for it (lab results, status
# records), registered by the apps that keep such records.
PHONE_EVIDENCE: list[Callable[[str], set[str]]] = []


def register_phone_evidence(provider: Callable[[str], set[str]]) -> None:
    if provider not in PHONE_EVIDENCE:
        PHONE_EVIDENCE.append(provider)


def phones_on_record(iin: str) -> set[str]:
    found: set[str] = set()
    for provider in PHONE_EVIDENCE:
        found.update(provider(iin))
    return found


def decision_message(code: str) -> str:
    return MESSAGES[code] % {"support": settings.SUPPORT_PHONE}


class FirstClaimWins:
    """The first account to claim an IIN keeps it; the database enforces it too."""

    def check(self, *, user: User, iin: str) -> IdentityDecision:
        if User.objects.filter(iin=iin).exclude(pk=user.pk).exists():
            return IdentityDecision(allowed=False, code="taken")
        return ALLOWED


class StateRegistry(FirstClaimWins):
    """Asks the registry whether this phone number belongs to the IIN's holder.

    POSTs `{"phone": "+7…", "iin": "…"}` to IDENTITY_REGISTRY_URL and expects
    `{"match": true|false}`. Fails closed: no answer means no claim.
    """

    def check(self, *, user: User, iin: str) -> IdentityDecision:
        decision = super().check(user=user, iin=iin)
        if not decision.allowed:
            return decision
        match = registry_match(
            name="identity registry",
            url=settings.IDENTITY_REGISTRY_URL,
            token=settings.IDENTITY_REGISTRY_TOKEN,
            question={"phone": str(user.phone), "iin": iin},
        )
        if match is None:
            return IdentityDecision(allowed=False, code="unavailable")
        if match:
            return ALLOWED
        return IdentityDecision(allowed=False, code="mismatch")


def identity_check(*, user: User, iin: str) -> IdentityDecision:
    """The configured backend's answer, after the evidence we hold ourselves.

    Where a lab result or a status record gives a phone number for the IIN,
    only that number may claim it, whichever backend runs.
    """
    known = phones_on_record(iin)
    if known and str(user.phone) not in known:
        return IdentityDecision(allowed=False, code="phone_mismatch")
    return import_string(settings.IDENTITY_CHECK_BACKEND)().check(user=user, iin=iin)
