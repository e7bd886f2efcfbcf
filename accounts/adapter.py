import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import get_login_redirect_url
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from accounts.forms import PhoneField
from accounts.models import User
from accounts.services import sms_queue
from accounts.sms_text import sms_render

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    """Where allauth meets our phone-only accounts and our SMS pipeline.

    allauth ships no Kazakh catalogue, so every message it can show a
    citizen is restated here in our own words and translated by us.
    """

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "account_inactive": _("This account is blocked. Please contact support."),
        "incorrect_code": _("The code is not right. Check the SMS and try again."),
        "too_many_login_attempts": _(
            "Too many attempts. Wait a few minutes and request a new code."
        ),
        "rate_limited": _("Too many requests. Wait a minute and try again."),
        "unknown_phone": _("The code could not be sent. Check the number."),
        "phone_taken": _("This phone number is already in use."),
        "select_only_one": _("Please enter only one phone number."),
        "same_as_current": _("The new number must be different from the current one."),
    }

    def post_login(self, request: HttpRequest, user: User, **kwargs: Any) -> HttpResponse:
        # Until a person gives their IIN there is no status to show and no
        # entering a venue: ask at every sign-in (they may skip), then carry on
        # where they were going, a venue's QR page included.
        if not user.iin:
            target = get_login_redirect_url(
                request, kwargs.get("redirect_url"), signup=kwargs.get("signup", False)
            )
            profile = reverse("profile")
            if not target.startswith(profile):
                kwargs["redirect_url"] = f"{profile}?{urlencode({'next': target})}"
        return super().post_login(request, user, **kwargs)

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Where a sign-in without an explicit `next` goes: staff to their door.

        A person who works at one venue lands on its check-in page, at several
        on the list of their venues; everyone else on their status page. A
        `next` (a venue's QR page, say) is followed instead: allauth asks
        this only when there is none.
        """
        # Imported here: accounts is the base the venues app builds on, and
        # this is the one place sign-in needs to know about venues.
        from venues.selectors import venues_for

        venue_ids = list(venues_for(request.user).values_list("pk", flat=True)[:2])
        if len(venue_ids) == 1:
            return reverse("visits:staff", args=venue_ids)
        if venue_ids:
            return reverse("venues:list")
        return super().get_login_redirect_url(request)

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True

    def phone_form_field(self, **kwargs: Any) -> PhoneField:
        return PhoneField(**kwargs)

    def set_phone(self, user: User, phone: str, verified: bool) -> None:
        user.phone = phone
        user.phone_verified = verified
        user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user: User) -> tuple[str, bool] | None:
        if not user.phone:
            return None
        return str(user.phone), user.phone_verified

    def set_phone_verified(self, user: User, phone: str) -> None:
        if str(user.phone) == phone and not user.phone_verified:
            user.phone_verified = True
            user.save(update_fields=["phone_verified"])

    def get_user_by_phone(self, phone: str) -> User | None:
        return User.objects.filter(phone=phone).first()

    def send_verification_code_sms(self, user: User, phone: str, code: str, **kwargs: Any) -> None:
        # Rendered now, in the language the person is using on this request.
        text = sms_render("accounts/sms/login_code.txt", {"code": code})
        sms_queue(to=phone, text=text)

    def send_unknown_account_sms(self, phone: str, **kwargs: Any) -> None:
        # Unreachable with our request form, which creates the account first;
        # kept silent so that nothing is sent to a number nobody verified.
        logger.warning("code requested for an unknown number; no SMS sent")

    def send_account_already_exists_sms(self, phone: str) -> None:
        logger.warning("sign-up attempted for a registered number; no SMS sent")
