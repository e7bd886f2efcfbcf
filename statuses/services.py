import datetime
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.audit import audit_record
from accounts.errors import AshyqError
from accounts.identifiers import mask_iin, validate_iin
from accounts.models import AuditEntry, User
from accounts.services import sms_queue
from accounts.sms_text import sms_render
from statuses.models import LabResult, Notification, StatusRecord
from statuses.rules import Derived, Source, Status, green_expiring, records_for_result
from statuses.selectors import durations, status_at, statuses_at
from statuses.signals import statuses_changed

logger = logging.getLogger(__name__)


# The colour as a word inside a sentence ("your status is now green").
STATUS_IN_SENTENCE = {
    Status.GREEN: pgettext_lazy("status in a sentence", "green"),
    Status.BLUE: pgettext_lazy("status in a sentence", "blue"),
    Status.YELLOW: pgettext_lazy("status in a sentence", "yellow"),
    Status.RED: pgettext_lazy("status in a sentence", "red"),
}


class StatusError(AshyqError):
    """A status record that may not be added, lifted or changed as asked."""


def record_add(
    *,
    iin: str,
    status: Status | str,
    source: Source | str,
    valid_from: datetime.datetime,
    valid_until: datetime.datetime | None,
    created_by: User | None,
    note: str = "",
    note_code: str = "",
    note_params: dict[str, Any] | None = None,
    lab_result: LabResult | None = None,
    now: datetime.datetime | None = None,
    audit: bool = True,
    phone: str = "",
) -> StatusRecord:
    """Append one record to a person's history and tell them if their colour changed.

    Audited unless the caller writes one entry for a batch (`audit=False`).
    """
    iin = validate_iin(iin)
    if Status(status) is Status.BLUE:
        raise StatusError("blue_not_stored", _("Blue means no records: lift the records instead."))
    if valid_until is not None and valid_until <= valid_from:
        raise StatusError("empty_window", _("The record must end after it starts."))
    now = now or timezone.now()
    with transaction.atomic():
        before = status_at(iin, now)
        record = StatusRecord.objects.create(
            iin=iin,
            status=Status(status).value,
            source=Source(source).value,
            valid_from=valid_from,
            valid_until=valid_until,
            created_by=created_by,
            note=note,
            note_code=note_code,
            note_params=note_params or {},
            lab_result=lab_result,
            phone=phone,
        )
        if audit:
            audit_record(
                actor=created_by,
                action=AuditEntry.Action.STATUS_ADDED,
                iin=iin,
                obj=record,
                detail={
                    "status": record.status,
                    "source": record.source,
                    "valid_from": valid_from.isoformat(),
                    "valid_until": valid_until.isoformat() if valid_until else None,
                },
            )
        notify_changes({iin: before}, now=now)
        statuses_changed.send(sender=StatusRecord, iins=[iin], now=now)
    logger.info(
        "status record %s added: %s from %s (%s)", record.pk, record.status, source, mask_iin(iin)
    )
    return record


def records_for_lab_result(
    lab_result: LabResult,
    *,
    created_by: User | None,
    note: str = "",
    note_code: str = "",
    note_params: dict[str, Any] | None = None,
) -> list[StatusRecord]:
    """The unsaved records one result creates (a positive PCR makes two)."""
    windows = records_for_result(Source(lab_result.source), lab_result.taken_at, durations())
    records = []
    for index, window in enumerate(windows):
        # The green window after a positive PCR is the recovery, not the test.
        source = Source.RECOVERY if index else Source(lab_result.source)
        records.append(
            StatusRecord(
                iin=lab_result.iin,
                status=window.status.value,
                source=source.value,
                valid_from=window.valid_from,
                valid_until=window.valid_until,
                lab_result=lab_result,
                created_by=created_by,
                note=note,
                phone=lab_result.phone,
                note_code=note_code,
                note_params=note_params or {},
            )
        )
    return records


def record_lift(
    *, record: StatusRecord, by: User, reason: str, now: datetime.datetime | None = None
) -> StatusRecord:
    """End a record early. Once: a lifted record stays lifted, with who and why."""
    reason = reason.strip()
    if not reason:
        raise StatusError("reason_required", _("Say why the record is lifted."))
    now = now or timezone.now()
    with transaction.atomic():
        locked = StatusRecord.objects.select_for_update().get(pk=record.pk)
        if locked.lifted_at is not None:
            raise StatusError("already_lifted", _("This record has already been lifted."))
        before = status_at(locked.iin, now)
        locked.lifted_at = now
        locked.lifted_by = by
        locked.lift_reason = reason
        locked.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        audit_record(
            actor=by,
            action=AuditEntry.Action.STATUS_LIFTED,
            iin=locked.iin,
            obj=locked,
            detail={"reason": reason},
        )
        notify_changes({locked.iin: before}, now=now, event=f"lift:{locked.pk}")
    logger.info("status record %s lifted by %s", locked.pk, by.pk)
    return locked


def notify_changes(before: dict[str, Derived], *, now: datetime.datetime, event: str = "") -> int:
    """SMS the account holders among these IINs whose colour changed at `now`.

    Call inside the transaction that wrote the records, with the statuses as
    they were before it; the SMS go out after commit. The event names what
    happened (by default the record that now decides the status), and no
    event is announced twice. Returns how many SMS were queued.
    """
    users = _reachable_accounts(before)
    if not users:
        return 0
    sent = 0
    for iin, new in statuses_at(users, now).items():
        if new.status == before[iin].status:
            continue
        key = event or (f"record:{new.record.id}" if new.record else f"blue:{now.isoformat()}")
        if _notify_once(users[iin], Notification.Kind.CHANGED, key, new):
            sent += 1
    return sent


def notify_transitions(
    now: datetime.datetime | None = None, *, window: datetime.timedelta | None = None
) -> int:
    """SMS people whose colour changed because time passed, not because of a new record:
    red turning into the green recovery after ten days, yellow running out to blue.

    Runs every few minutes over a window a little longer than the schedule, so
    nothing falls between two runs; the event keys make overlaps harmless.
    Everyone whose record began or ended in the window is also announced to the
    apps above (statuses_changed), SMS or not.
    """
    now = now or timezone.now()
    since = now - (window or datetime.timedelta(minutes=20))
    moving = list(
        StatusRecord.objects.filter(
            Q(valid_until__gt=since, valid_until__lte=now)
            | Q(valid_from__gt=since, valid_from__lte=now)
        )
        .values_list("iin", flat=True)
        .distinct()
    )
    if moving:
        statuses_changed.send(sender=StatusRecord, iins=moving, now=now)
    users = _reachable_accounts(moving)
    sent = 0
    if users:
        before = statuses_at(users, since)
        for iin, new in statuses_at(users, now).items():
            old = before[iin]
            if new.status == old.status:
                continue
            # Same key as a change announced when the record was added: never twice.
            key = f"record:{new.record.id}" if new.record else f"ended:{old.record.id}"
            if _notify_once(users[iin], Notification.Kind.CHANGED, key, new):
                sent += 1
    logger.info("status changes as time passed: %d SMS queued", sent)
    return sent


def warn_expiring(now: datetime.datetime | None = None) -> int:
    """SMS people whose green status ends within the warning window, once per record."""
    now = now or timezone.now()
    within = datetime.timedelta(hours=settings.STATUS_EXPIRY_WARNING_HOURS)
    ending = (
        StatusRecord.objects.filter(
            status=Status.GREEN.value,
            valid_until__gt=now,
            valid_until__lte=now + within,
            lifted_at__isnull=True,
        )
        .values_list("iin", flat=True)
        .distinct()
    )
    users = _reachable_accounts(ending)
    sent = 0
    for iin, derived in statuses_at(users, now).items():
        if derived.record is not None and green_expiring(derived, now, within):
            key = f"record:{derived.record.id}"
            if _notify_once(users[iin], Notification.Kind.EXPIRING, key, derived):
                sent += 1
    logger.info("expiring green statuses: %d warnings queued", sent)
    return sent


def _reachable_accounts(iins) -> dict[str, User]:
    """The accounts an SMS can reach among these IINs, by IIN."""
    accounts = User.objects.filter(iin__in=list(iins), phone__isnull=False, is_active=True)
    return {user.iin: user for user in accounts}


def _notify_once(user: User, kind: str, event: str, derived: Derived) -> bool:
    try:
        with transaction.atomic():
            Notification.objects.create(iin=user.iin, kind=kind, event=event)
    except IntegrityError:
        return False
    with translation.override(user.language):
        text = sms_render(
            f"statuses/sms/{kind}.txt",
            {
                "status_name": str(STATUS_IN_SENTENCE[derived.status]),
                "until": timezone.localtime(derived.valid_until) if derived.valid_until else None,
            },
        )
    sms_queue(to=str(user.phone), text=text)
    return True
