import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from statuses.models import LabResult, StatusInfo, StatusRecord
from statuses.rules import Derived, Durations, RecordFacts, Source, Status, derive_status


def durations() -> Durations:
    days = datetime.timedelta(days=1)
    return Durations(
        pcr_negative=settings.STATUS_PCR_NEGATIVE_DAYS * days,
        vaccination=settings.STATUS_VACCINATION_DAYS * days,
        recovery=settings.STATUS_RECOVERY_DAYS * days,
        contact=settings.STATUS_CONTACT_DAYS * days,
        pcr_positive=settings.STATUS_PCR_POSITIVE_DAYS * days,
        recovery_after_positive=settings.STATUS_RECOVERY_DAYS * days,
    )


def facts(record: StatusRecord) -> RecordFacts:
    return RecordFacts(
        status=Status(record.status),
        valid_from=record.valid_from,
        valid_until=record.valid_until,
        lifted_at=record.lifted_at,
        id=record.pk,
        source=Source(record.source),
    )


def _active_at(when: datetime.datetime) -> Q:
    return (
        Q(valid_from__lte=when)
        & (Q(valid_until__isnull=True) | Q(valid_until__gt=when))
        & (Q(lifted_at__isnull=True) | Q(lifted_at__gt=when))
    )


def status_at(iin: str | None, when: datetime.datetime) -> Derived:
    """The person's status at `when`: the strongest record active then, else blue."""
    if not iin:
        return derive_status([], when)
    # Unordered: the derivation picks the winner itself.
    records = StatusRecord.objects.filter(_active_at(when), iin=iin).order_by()
    return derive_status([facts(record) for record in records], when)


def current_status(iin: str | None, now: datetime.datetime | None = None) -> Derived:
    return status_at(iin, now or timezone.now())


def statuses_at(iins: Iterable[str], when: datetime.datetime) -> dict[str, Derived]:
    """The status of many people in one query (imports, tracing, dashboards)."""
    iins = list(set(iins))
    by_iin: dict[str, list[RecordFacts]] = defaultdict(list)
    for record in StatusRecord.objects.filter(_active_at(when), iin__in=iins):
        by_iin[record.iin].append(facts(record))
    return {iin: derive_status(by_iin.get(iin, []), when) for iin in iins}


def history(iin: str) -> QuerySet[StatusRecord]:
    return StatusRecord.objects.filter(iin=iin).select_related("lab_result")


def status_info(status: str) -> StatusInfo | None:
    return StatusInfo.objects.filter(status=status).first()


def phones_on_record(iin: str) -> set[str]:
    """The phone numbers lab results and status records give for this IIN."""
    from statuses.models import LabResult

    found = set(LabResult.objects.filter(iin=iin).exclude(phone="").values_list("phone", flat=True))
    found.update(
        StatusRecord.objects.filter(iin=iin).exclude(phone="").values_list("phone", flat=True)
    )
    return found


# Sample ids per `__in` query: below every backend's parameter limit (old
# SQLite stops at 999 variables).
LOOKUP_CHUNK = 900


def lab_results_stored(
    keys: Iterable[tuple[str, str]], *, on_progress: Callable[[int], None] | None = None
) -> set[tuple[str, str]]:
    """The (lab, sample id) pairs among `keys` that are already stored; `on_progress`
    hears how many keys have been looked up so far."""
    by_lab: dict[str, list[str]] = defaultdict(list)
    for lab, sample_id in keys:
        by_lab[lab].append(sample_id)
    found: set[tuple[str, str]] = set()
    done = 0
    for lab, sample_ids in by_lab.items():
        for start in range(0, len(sample_ids), LOOKUP_CHUNK):
            chunk = sample_ids[start : start + LOOKUP_CHUNK]
            found.update(
                LabResult.objects.filter(lab=lab, sample_id__in=chunk).values_list(
                    "lab", "sample_id"
                )
            )
            done += len(chunk)
            if on_progress is not None:
                on_progress(done)
    return found
