import logging
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation

from accounts.identifiers import mask_iin, validate_iin
from accounts.identity import decision_message, identity_check
from accounts.models import User
from accounts.phones import PhoneError, parse_phone
from accounts.sms import mask_phone

logger = logging.getLogger(__name__)


def sms_queue(*, to: str, text: str) -> str:
    """Queue one SMS to go out once the current transaction commits.

    Returns the message id. Numbers outside SMS_ALLOWED_COUNTRIES or that are
    not mobile are dropped with a log line: the forms refuse them first, this
    is the last line of defence against paying for SMS pumping.
    """
    try:
        to = parse_phone(to, settings.SMS_ALLOWED_COUNTRIES)
    except PhoneError as exc:
        logger.warning("sms to %s not queued: %s", mask_phone(to), exc.code)
        return ""
    from accounts.tasks import send_sms

    sms_id = uuid.uuid4().hex
    transaction.on_commit(lambda: send_sms.delay(sms_id, to, text))
    return sms_id


def user_for_phone(phone: str) -> User:
    """The account for a verified-by-code sign-in, created on first use.

    New and returning numbers take the same path, so nothing a visitor sees
    tells whether a number is registered.
    """
    user, created = User.objects.get_or_create(
        phone=phone, defaults={"language": translation.get_language() or settings.LANGUAGE_CODE}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        logger.info("account %s created for %s", user.pk, mask_phone(phone))
    return user


def user_set_language(user: User, language: str) -> None:
    if language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])


class ClaimRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def user_claim_iin(user: User, *, iin: str, full_name: str) -> User:
    """Link an IIN to the account, through the identity check (SPEC §1).

    Raises IdentifierError for a malformed IIN and ClaimRefused when the IIN
    may not be linked; nothing is overwritten in either case.
    """
    iin = validate_iin(iin)
    full_name = " ".join(full_name.split())
    if user.iin and user.iin != iin:
        raise ClaimRefused("already_set", decision_message("already_set"))
    decision = identity_check(user=user, iin=iin)
    if not decision.allowed:
        logger.warning("IIN claim by account %s refused: %s", user.pk, decision.code)
        raise ClaimRefused(decision.code, decision_message(decision.code))
    user.iin = iin
    user.full_name = full_name
    try:
        with transaction.atomic():
            user.save(update_fields=["iin", "full_name"])
    except IntegrityError:
        # Two accounts claiming one IIN at the same moment: the database decides.
        user.refresh_from_db(fields=["iin", "full_name"])
        raise ClaimRefused("taken", decision_message("taken")) from None
    logger.info("account %s linked to IIN %s", user.pk, mask_iin(iin))
    return user


def user_set_name(user: User, *, full_name: str) -> None:
    user.full_name = " ".join(full_name.split())
    user.save(update_fields=["full_name"])
