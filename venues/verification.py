"""Who may look people up: an organisation is verified before its staff can.

Anyone can type a BIN with a valid check digit, so registering one proves
nothing. The check is pluggable, like the identity check of an IIN:
`OperatorApproval` leaves every new organisation pending until an operator
approves it in the admin; `StateRegistry` asks the state business registry
whether the head of the BIN is the applicant (by their IIN, itself proven
through the identity check) and verifies at once when it is.
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.audit import audit_record
from accounts.models import AuditEntry, User
from accounts.registry import registry_match
from venues.cards import venue_cards_forget
from venues.models import Organisation

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerificationDecision:
    verified: bool
    # Why not, for the log: "operator" (waits for one), "no_iin", "mismatch", "unavailable".
    code: str = ""


class OperatorApproval:
    """Every organisation waits for an operator."""

    def check(self, organisation: Organisation) -> VerificationDecision:
        return VerificationDecision(verified=False, code="operator")


class StateRegistry:
    """POSTs `{"bin", "iin"}` to ORGANISATION_REGISTRY_URL, expects `{"match": true|false}`.

    `match` means the registry names this IIN as the head of the BIN (or as
    the individual entrepreneur). Fails closed: no answer leaves the
    organisation pending, and an operator can still approve it.
    """

    def check(self, organisation: Organisation) -> VerificationDecision:
        iin = organisation.admin.iin
        if not iin:
            return VerificationDecision(verified=False, code="no_iin")
        match = registry_match(
            name="organisation registry",
            url=settings.ORGANISATION_REGISTRY_URL,
            token=settings.ORGANISATION_REGISTRY_TOKEN,
            question={"bin": organisation.bin, "iin": iin},
        )
        if match is None:
            return VerificationDecision(verified=False, code="unavailable")
        if match:
            return VerificationDecision(verified=True)
        return VerificationDecision(verified=False, code="mismatch")


def organisation_verification_check(organisation: Organisation) -> VerificationDecision:
    """Ask the configured backend; verify the organisation when it says so."""
    decision = import_string(settings.ORGANISATION_VERIFICATION_BACKEND)().check(organisation)
    if decision.verified:
        organisation_verify(organisation, by=None, via=Organisation.VerifiedVia.REGISTRY)
    else:
        logger.info("organisation %s stays pending: %s", organisation.pk, decision.code)
    return decision


def organisation_verify(
    organisation: Organisation, *, by: User | None, via: str, request: HttpRequest | None = None
) -> bool:
    """Mark verified, with who and how, audited. False if it already was."""
    return _verification_change(
        organisation,
        was_verified=False,
        columns={"verified_at": timezone.now(), "verified_by": by, "verified_via": via},
        by=by,
        action=AuditEntry.Action.ORGANISATION_VERIFIED,
        detail={"via": via},
        request=request,
    )


def organisation_unverify(
    organisation: Organisation, *, by: User, reason: str, request: HttpRequest | None = None
) -> bool:
    """Back to pending (a verification given in error), audited."""
    return _verification_change(
        organisation,
        was_verified=True,
        columns={"verified_at": None, "verified_by": None, "verified_via": ""},
        by=by,
        action=AuditEntry.Action.ORGANISATION_UNVERIFIED,
        detail={"reason": reason},
        request=request,
    )


@transaction.atomic
def _verification_change(
    organisation: Organisation,
    *,
    was_verified: bool,
    columns: dict[str, Any],
    by: User | None,
    action: str,
    detail: dict[str, str],
    request: HttpRequest | None,
) -> bool:
    """Write `columns` only if the organisation still is as the caller expects, so two
    operators pressing the same button audit one change; False when it was not."""
    updated = Organisation.objects.filter(
        pk=organisation.pk, verified_at__isnull=not was_verified
    ).update(**columns)
    if not updated:
        return False
    # The staff page learns of the verification from the venue cards.
    venue_cards_forget()
    organisation.refresh_from_db(fields=list(columns))
    audit_record(
        actor=by,
        action=action,
        obj=organisation,
        detail={"bin": organisation.bin, **detail},
        request=request,
    )
    return True
