import datetime
import logging
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.errors import AshyqError
from accounts.identifiers import mask_iin, person_at_door
from accounts.models import User
from accounts.personal_qr import personal_qr_resolve
from accounts.ratelimit import allow
from ashyq.middleware import accepts_nul_bytes
from statuses.models import StatusChoices
from statuses.rules import Status
from statuses.services import STATUS_IN_SENTENCE
from venues.cards import VenueCard, venue_card
from venues.models import Venue
from venues.selectors import venue_for
from visits.checkin_queries import RecentScan, staff_page_reads
from visits.forms import IsolationPointForm, StaffScanForm
from visits.lookups import status_lookup_record, status_lookups_of
from visits.models import Visit
from visits.rules import Decision
from visits.selectors import (
    isolation_place,
    visits_of,
    worsened_inside,
)
from visits.services import (
    CheckInError,
    IsolationPointLocked,
    VenueNotFound,
    decision_of,
    isolation_point_set,
    visit_check_in,
    visit_check_out_by_staff,
)

logger = logging.getLogger(__name__)


@login_required
def history(request: HttpRequest) -> HttpResponse:
    visits = visits_of(request.user)
    return render(
        request,
        "visits/history.html",
        {"visits": visits, "retention_days": settings.VISIT_RETENTION_DAYS},
    )


@login_required
def lookups(request: HttpRequest) -> HttpResponse:
    """Who checked my status: every staff look-up of this person, for the retention period."""
    iin = request.user.iin
    return render(
        request,
        "visits/lookups.html",
        {
            "lookups": status_lookups_of(iin) if iin else [],
            "has_iin": bool(iin),
            "retention_days": settings.VISIT_RETENTION_DAYS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def isolation_point(request: HttpRequest) -> HttpResponse:
    """Where the citizen stays in home quarantine, for yellow-status shopping nearby."""
    user = request.user
    if not user.iin:
        return HttpResponseRedirect(
            reverse("profile") + "?" + urlencode({"next": request.get_full_path()})
        )
    point = isolation_place(user.iin)
    if point is not None and point.set_by_epidemiologist:
        # Shown, not offered for editing; a POST (an old tab, a crafted
        # request) is refused with the same words and changes nothing.
        refused = request.method == "POST"
        return render(
            request,
            "visits/isolation_point.html",
            {
                "point": point,
                "locked": True,
                "error": IsolationPointLocked().message if refused else "",
                "support_phone": settings.SUPPORT_PHONE,
            },
            status=403 if refused else 200,
        )
    initial = (
        {"address": point.address, "latitude": point.latitude, "longitude": point.longitude}
        if point
        else None
    )
    form = IsolationPointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            isolation_point_set(iin=user.iin, by=user, **form.cleaned_data)
        except IsolationPointLocked as exc:
            # Set by an epidemiologist between this page and the POST.
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The place of home isolation is saved."))
            return HttpResponseRedirect(reverse("account"))
    return render(request, "visits/isolation_point.html", {"form": form, "point": point})


def _staff_context(
    request: HttpRequest,
    venue: Venue | VenueCard,
    *,
    mode: str,
    form: StaffScanForm | None = None,
    result: dict | None = None,
    organisation_verified: bool = True,
) -> dict:
    # Only what the page shows, in one statement: it is rendered after every scan.
    reads = staff_page_reads(venue_id=venue.pk, now=timezone.now())
    return {
        "venue": venue,
        "organisation_verified": organisation_verified,
        "test_mode": venue.in_test_mode(),
        "worsened": [
            {
                "alert": alert,
                "person": person_at_door(
                    alert.visit.user.full_name if alert.visit.user else "", alert.visit.iin
                ),
                "status_label": StatusChoices(alert.status).label,
                "status_name": STATUS_IN_SENTENCE[Status(alert.status)],
            }
            for alert in (worsened_inside(venue) if reads.flagged else [])
        ],
        # A scan sent back with its errors; the empty field needs no form,
        # only its label (the template draws it as the widget would).
        "form": form,
        "scan_label": StaffScanForm.base_fields["q"].label,
        "mode": mode or StaffScanForm.MODE_ENTRY,
        "result": result,
        "recent": _recent_rows(reads.recent),
        "nonce": uuid.uuid4().hex,
    }


def _recent_rows(scans: list[RecentScan]) -> list[dict]:
    """The last scans, each row's text put together here: the page is drawn
    after every scan, and a dozen template nodes a row were most of its cost.
    Each word is translated once, not once a row."""
    admitted, denied, left = _("admitted"), _("denied"), _("left")
    rows = []
    for scan in scans:
        line = " · ".join(
            [
                _clock(scan.checked_in_at),
                mask_iin(scan.iin),
                str(StatusChoices(scan.status).label),
                admitted if scan.admitted else denied,
            ]
        )
        if scan.checked_out_at is not None:
            line += f" · {left} {_clock(scan.checked_out_at)}"
        rows.append({"status": scan.status, "line": line})
    return rows


def _clock(moment: datetime.datetime) -> str:
    # As the template's |time:"H:i" shows it: local time, 24 hours.
    return timezone.localtime(moment).strftime("%H:%M")


def _staff_result(
    visit: Visit,
    decision: Decision,
    *,
    exit: bool = False,
    again: bool = False,
    closed_since: datetime.datetime | None = None,
) -> dict:
    """The answer box of the staff page: the decision, the colour, the person."""
    # The check-in hands over the account it found with its name; only an
    # exit (and a GET of an old answer) reads it.
    name = "" if visit.user_id is None else visit.user.full_name
    return {
        "visit": visit,
        "decision": decision,
        "status_label": StatusChoices(visit.status).label,
        "person": person_at_door(name, visit.iin),
        "exit": exit,
        # A re-scan of someone inside: since when, if they may stay;
        # the stay it ended, if they may not.
        "inside_since": visit.checked_in_at if again and visit.is_open else None,
        "closed_since": closed_since,
    }


def _staff_result_of_get(request: HttpRequest, venue: Venue) -> dict | None:
    """The answer box again, for a reload of the page a scan answered with."""
    visit_id = request.GET.get("visit", "")
    # ASCII digits only, and few enough for a bigint: "²" is a digit to str.isdigit.
    if not (visit_id.isascii() and visit_id.isdigit() and len(visit_id) < 19):
        return None
    # Any visit at this venue: staff confirm exits and re-scans of people who
    # checked themselves in, too.
    visit = Visit.objects.select_related("user").filter(pk=int(visit_id), venue=venue).first()
    if visit is None:
        return None
    closed_since = None
    if not visit.admitted:
        closed = (
            Visit.objects.filter(
                venue=venue,
                iin=visit.iin,
                checkout_method=Visit.Checkout.REFUSED,
                checked_out_at=visit.checked_in_at,
            )
            .only("checked_in_at")
            .first()
        )
        closed_since = closed.checked_in_at if closed else None
    return _staff_result(
        visit,
        decision_of(visit),
        exit=request.GET.get("done") == "exit",
        again=bool(request.GET.get("again")),
        closed_since=closed_since,
    )


@accepts_nul_bytes
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def staff_page(request: HttpRequest, venue_id: int) -> HttpResponse:
    """One autofocused field for an IIN, a scanner's input or a personal QR (docs/rules.md §4).

    A scan is answered with the page staff need next, rendered from what the
    check-in read, in one request: at a busy door the page after every scan
    is most of the work (docs/scaling.md). The answer names its GET address
    (Content-Location, and `history.replaceState` in the page), so a reload
    shows the same answer instead of sending the scan again.
    """
    if request.method == "GET":
        venue = venue_for(request.user, venue_id)
        verified = venue.organisation.is_verified
        context = _staff_context(
            request,
            venue,
            mode=request.GET.get("mode", StaffScanForm.MODE_ENTRY),
            # A pending organisation's staff look nobody up, so no answer of
            # theirs is there to show again: `?visit=` would show them the name
            # and status of whoever checked themselves in.
            result=_staff_result_of_get(request, venue) if verified else None,
            organisation_verified=verified,
        )
        return render(request, "visits/staff.html", context)

    form = StaffScanForm(request.POST)
    if form.is_valid() and not allow(
        f"staff-lookup:{request.user.pk}", settings.ACCOUNT_RATE_LIMITS["staff_lookup"]
    ):
        form.add_error(None, _("Too many lookups in a short time. Wait a minute."))
    error = None
    if form.is_valid():
        mode = form.cleaned_data["mode"]
        try:
            person, iin, method = _scanned_person(form)
            again, closed_since = False, None
            if mode == StaffScanForm.MODE_EXIT:
                visit = visit_check_out_by_staff(venue_id=venue_id, iin=iin, staff=request.user)
                decision = decision_of(visit)
                status_lookup_record(venue_id=venue_id, iin=iin, staff=request.user)
            else:
                checked_in = visit_check_in(
                    venue_id=venue_id,
                    iin=iin,
                    user=person,
                    method=method,
                    staff=request.user,
                    nonce=form.cleaned_data["nonce"],
                )
                visit, again = checked_in.visit, checked_in.repeated
                decision, closed_since = checked_in.decision, checked_in.closed_since
                # A re-scan of someone inside shows their status without a new
                # visit; a retried request (the same nonce) shows nothing new.
                if checked_in.repeated and visit.nonce != form.cleaned_data["nonce"]:
                    status_lookup_record(venue_id=venue_id, iin=iin, staff=request.user)
        except VenueNotFound:
            raise Http404 from None
        except AshyqError as exc:
            error = exc.message
        else:
            query = {"visit": visit.pk, "mode": mode}
            if mode == StaffScanForm.MODE_EXIT:
                query["done"] = "exit"
            elif again:
                query["again"] = "1"
            # The check-in found the venue with the staff check under its lock;
            # what the page shows of it comes from the cache.
            venue = venue_card(venue_id=venue_id)
            if venue is None:  # deleted since the check-in committed
                raise Http404
            context = _staff_context(
                request,
                venue,
                mode=mode,
                result=_staff_result(
                    visit,
                    decision,
                    exit=mode == StaffScanForm.MODE_EXIT,
                    again=again,
                    closed_since=closed_since,
                ),
            )
            context["page_url"] = reverse("visits:staff", args=[venue_id]) + "?" + urlencode(query)
            response = render(request, "visits/staff.html", context)
            response["Content-Location"] = context["page_url"]
            return response
    venue = venue_for(request.user, venue_id)
    context = _staff_context(
        request,
        venue,
        # After a refusal a fresh, empty field: a scanner's next code must not
        # land after the old one.
        mode=request.POST.get("mode", StaffScanForm.MODE_ENTRY) if error else form["mode"].value(),
        form=None if error else form,
        organisation_verified=venue.organisation.is_verified,
    )
    context["error"] = error
    return render(request, "visits/staff.html", context, status=200 if error else 400)


def _scanned_person(form: StaffScanForm) -> tuple[User | None, str, str]:
    """Who was scanned: an account from a personal QR, or whoever holds the IIN."""
    value = form.cleaned_data["q"]
    if form.is_personal_qr:
        person = personal_qr_resolve(value)
        if not person.iin:
            raise CheckInError(
                "no_iin", _("This person has not added an IIN yet. Ask for an identity card.")
            )
        return person, person.iin, Visit.Method.STAFF_QR
    method = Visit.Method.STAFF_BARCODE if form.is_barcode else Visit.Method.STAFF_IIN
    # The account, if any, is found inside the check-in, along with the venue lock.
    return None, value, method
