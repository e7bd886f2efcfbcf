"""The writes of contact tracing (docs/rules.md §5): a traced case leaves an audit
entry, and marking contacts gives each a yellow status record and one SMS.
The question itself, who shared a venue with the case, is visits/tracing.py.
"""

import datetime
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts.audit import audit_record
from accounts.identifiers import mask_iin, validate_iin
from accounts.models import AuditEntry, User
from statuses import notes
from statuses.models import StatusRecord
from statuses.rules import Source, Status
from statuses.services import record_add
from visits.tracing import DEFAULT_DAYS, DEFAULT_MIN_OVERLAP, Contact, contacts_find, whole_minutes


def contacts_trace(
    *,
    case_iin: str,
    by: User,
    request: HttpRequest | None = None,
    now: datetime.datetime | None = None,
    days: int = DEFAULT_DAYS,
    min_overlap: datetime.timedelta = DEFAULT_MIN_OVERLAP,
) -> list[Contact]:
    """Trace, and write down who traced whom: looking at someone's contacts is
    looking at other people's visits (docs/rules.md §5, the audit log)."""
    contacts = contacts_find(case_iin=case_iin, now=now, days=days, min_overlap=min_overlap)
    audit_record(
        actor=by,
        action=AuditEntry.Action.CONTACTS_TRACED,
        iin=validate_iin(case_iin),
        detail={
            "days": days,
            "minutes": whole_minutes(min_overlap),
            "contacts": len(contacts),
        },
        request=request,
    )
    return contacts


class ContactToMark(NamedTuple):
    iin: str
    last_contact_end: datetime.datetime
    # Where they met, for the note on the record: the venues' names in each
    # language ({"kk": …, "ru": …, "en": …}), or one text; empty when not known.
    place: str | dict[str, str] = ""


def contact_note(case_iin: str, place: str | dict[str, str] = "") -> dict[str, Any]:
    """The record's reason as a code and parameters, read in each reader's language."""
    params = {"case": mask_iin(case_iin)}
    if place:
        params["place"] = place
    return {"note_code": notes.CONTACT, "note_params": params}


def contacts_mark(
    *,
    case_iin: str,
    contacts: Iterable[ContactToMark | tuple],
    by: User,
    request: HttpRequest | None = None,
    now: datetime.datetime | None = None,
) -> int:
    """Give the chosen contacts yellow status for 14 days from their last contact.

    One transaction for all of them. A contact already marked for the same
    contact (same person, same end of contact, not lifted) is skipped, so
    pressing the button twice changes nothing. Account holders get one SMS
    each, in their language, after commit (`record_add`). Returns how many
    records were created.
    """
    case_iin = validate_iin(case_iin)
    marks = [ContactToMark(*item) for item in contacts]
    marks = [mark for mark in marks if mark.iin != case_iin]
    duration = datetime.timedelta(days=settings.STATUS_CONTACT_DAYS)
    created = 0
    with transaction.atomic():
        done = set(
            StatusRecord.objects.filter(
                iin__in={mark.iin for mark in marks},
                source=Source.CONTACT.value,
                valid_from__in={mark.last_contact_end for mark in marks},
                lifted_at__isnull=True,
            ).values_list("iin", "valid_from")
        )
        for mark in marks:
            if (mark.iin, mark.last_contact_end) in done:
                continue
            try:
                record_add(
                    iin=mark.iin,
                    status=Status.YELLOW,
                    source=Source.CONTACT,
                    valid_from=mark.last_contact_end,
                    valid_until=mark.last_contact_end + duration,
                    created_by=by,
                    **contact_note(case_iin, mark.place),
                    now=now,
                    # One entry for the whole marking, written below.
                    audit=False,
                )
            except IntegrityError:
                # Someone marked this contact a moment ago, after the read
                # above (status_record_one_contact): theirs stands, and the
                # savepoint of record_add took ours back, SMS included.
                if not _contact_marked(mark):
                    raise
            else:
                created += 1
            done.add((mark.iin, mark.last_contact_end))
        audit_record(
            actor=by,
            action=AuditEntry.Action.CONTACTS_MARKED,
            iin=case_iin,
            detail={
                "contacts": len(marks),
                "created": created,
                "iins": [mark.iin for mark in marks],
            },
            request=request,
        )
    return created


def _contact_marked(mark: ContactToMark) -> bool:
    return StatusRecord.objects.filter(
        iin=mark.iin,
        source=Source.CONTACT.value,
        valid_from=mark.last_contact_end,
        lifted_at__isnull=True,
    ).exists()
