import datetime
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record
from accounts.errors import AshyqError
from accounts.identifiers import mask_iin, validate_iin
from accounts.identity import decision_message, identity_check
from accounts.models import AuditEntry, User
from accounts.outbox import outbox_add
from accounts.phones import PhoneError, parse_phone
from accounts.sms import mask_phone

logger = logging.getLogger(__name__)


def sms_queue(*, to: str, text: str) -> str:
    """Write one SMS to the outbox, to go out once the current transaction commits.

    Returns the message id. Numbers outside SMS_ALLOWED_COUNTRIES or that are
    not mobile are dropped with a log line: the forms refuse them first, this
    is the last line of defence against paying for SMS pumping.
    """
    try:
        to = parse_phone(to, settings.SMS_ALLOWED_COUNTRIES)
    except PhoneError as exc:
        logger.warning("sms to %s not queued: %s", mask_phone(to), exc.code)
        return ""
    return outbox_add(to=to, text=text).pk.hex


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


class ClaimRefused(AshyqError):
    """The identity check (or an earlier claim) keeps this IIN from this account."""


def user_claim_iin(user: User, *, iin: str, full_name: str) -> User:
    """Link an IIN to the account, through the identity check (docs/rules.md §1).

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


def user_move_iin(
    *, source: User, target: User, by: User, reason: str, request: HttpRequest | None = None
) -> None:
    """Move an IIN from the account that claimed it to the one of its real holder.

    For the person who calls the support line about an IIN someone else
    claimed. The status, history and visits are kept by IIN and follow it.
    Raises ClaimRefused; audited with who, from which account and why.
    """
    reason = reason.strip()
    if not reason:
        raise ClaimRefused("reason_required", _("Say why the IIN is moved."))
    if source.pk == target.pk:
        raise ClaimRefused(
            "same_account", _("Choose another account: the IIN is already on this one.")
        )
    with transaction.atomic():
        # Both rows locked in one order, so two operators cannot cross moves.
        locked = {
            user.pk: user
            for user in User.objects.select_for_update().filter(pk__in=[source.pk, target.pk])
        }
        source_row, target_row = locked[source.pk], locked[target.pk]
        iin = source_row.iin
        if not iin:
            raise ClaimRefused("no_iin", _("This account has no IIN to move."))
        if target_row.iin:
            raise ClaimRefused(
                "target_has_iin", _("That account already has an IIN. Move or clear it first.")
            )
        source_row.iin = None
        source_row.save(update_fields=["iin"])
        target_row.iin = iin
        target_row.save(update_fields=["iin"])
        audit_record(
            actor=by,
            action=AuditEntry.Action.IIN_MOVED,
            iin=iin,
            obj=target_row,
            detail={"from_account": source_row.pk, "to_account": target_row.pk, "reason": reason},
            request=request,
        )
    source.iin, target.iin = None, iin
    logger.info(
        "IIN %s moved from account %s to %s by %s", mask_iin(iin), source.pk, target.pk, by.pk
    )


def user_set_name(user: User, *, full_name: str) -> None:
    user.full_name = " ".join(full_name.split())
    user.save(update_fields=["full_name"])


# A code not confirmed within this time will not be: its account goes.
UNCONFIRMED_ACCOUNT_AGE = datetime.timedelta(days=1)


def users_delete_unconfirmed(*, now: datetime.datetime | None = None) -> int:
    """Delete the accounts that asked for a sign-in code and never confirmed one.

    Every number that passes the code-request form gets an account, so that
    new and returning numbers look the same; a number typed by mistake or by
    an SMS pumper would stay forever. Never an account with a confirmed phone,
    an IIN, a sign-in, admin rights, or anything else pointing at it (visits,
    venues it works at, organisations, invitations). Returns how many went.
    """
    now = now or timezone.now()
    candidates = User.objects.filter(
        phone_verified=False,
        iin__isnull=True,
        last_login__isnull=True,
        is_staff=False,
        is_superuser=False,
        date_joined__lt=now - UNCONFIRMED_ACCOUNT_AGE,
    )
    # Every relation other apps declare to the account, found rather than
    # named, so that accounts imports none of them.
    for relation in User._meta.related_objects:
        if not relation.hidden and relation.related_model is not User:
            candidates = candidates.filter(**{f"{relation.name}__isnull": True})
    deleted = 0
    for user in candidates.only("pk", "phone").iterator():
        try:
            with transaction.atomic():
                user.delete()
        except (ProtectedError, RestrictedError, IntegrityError):
            # Pointed at by a relation that has no reverse name (an audit
            # entry, a record it created): such an account stays.
            continue
        deleted += 1
    logger.info("deleted %d accounts that never confirmed a sign-in code", deleted)
    return deleted
