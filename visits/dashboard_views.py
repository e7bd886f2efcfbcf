"""The organisation's dashboards: its venues now and today, one venue's day and visit log,
and the log as CSV for its administrator."""

import logging

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.identifiers import mask_iin
from statuses.models import StatusChoices
from venues.selectors import is_venue_admin, managed_venue, venue_for, venues_for
from visits.exports import csv_download, visit_log_header, visit_log_rows
from visits.forms import VisitLogFilterForm
from visits.occupancy import open_visits_by_venue
from visits.rules import DENIAL_LABELS
from visits.selectors import daily_counts, today_by_venue, today_summary, visit_log
from visits.services import venue_facts

logger = logging.getLogger(__name__)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Every venue of this person with its people inside now and today's numbers."""
    venues = list(venues_for(request.user))
    inside = open_visits_by_venue([venue.pk for venue in venues])
    today = today_by_venue([venue.pk for venue in venues])
    rows = [
        {
            "venue": venue,
            "inside": inside.get(venue.pk, 0),
            "capacity": venue_facts(venue, timezone.now()).effective_capacity,
            "admitted": today.get(venue.pk, {}).get("admitted", 0),
            "denied": today.get(venue.pk, {}).get("denied", 0),
        }
        for venue in venues
    ]
    return render(request, "visits/dashboard.html", {"rows": rows})


@login_required
def venue_dashboard(request: HttpRequest, venue_id: int) -> HttpResponse:
    venue = venue_for(request.user, venue_id)
    now = timezone.now()
    summary = today_summary(venue, now)
    days = daily_counts(venue, 7, now)
    peak = max([day["admitted"] + day["denied"] for day in days] + [1])
    filters = VisitLogFilterForm(request.GET or None)
    log = Paginator(visit_log(venue, **filters.filters()), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "visits/venue_dashboard.html",
        {
            "venue": venue,
            "is_admin": is_venue_admin(request.user, venue),
            "inside": open_visits_by_venue([venue.pk]).get(venue.pk, 0),
            "capacity": venue_facts(venue, now).effective_capacity,
            "summary": summary,
            "denials": [
                {"code": code, "label": DENIAL_LABELS.get(code, code), "count": count}
                for code, count in sorted(summary["denials"].items(), key=lambda item: -item[1])
            ],
            "days": [
                {
                    **day,
                    "total": day["admitted"] + day["denied"],
                    "height": round(100 * (day["admitted"] + day["denied"]) / peak),
                }
                for day in days
            ],
            "filters": filters,
            "log": log,
            "rows": [
                {
                    "visit": visit,
                    "iin": mask_iin(visit.iin),
                    "status_label": StatusChoices(visit.status).label,
                    "denial": DENIAL_LABELS.get(visit.denial_code, ""),
                }
                for visit in log
            ],
            "query": request.GET.urlencode(),
        },
    )


@login_required
def venue_export(request: HttpRequest, venue_id: int) -> HttpResponse:
    """The visit log as CSV for the organisation's administrator, IINs masked."""
    venue = managed_venue(request.user, venue_id)
    filters = VisitLogFilterForm(request.GET or None)
    visits = visit_log(venue, **filters.filters())
    logger.info("account %s exported the visit log of venue %s", request.user.pk, venue.pk)
    return csv_download(
        visit_log_header(full=False),
        visit_log_rows(visits, full=False),
        f"ashyq-visits-{venue.pk}.csv",
    )
