"""The pages epidemiologists work in (docs/rules.md §5), next to the visit list.

The person page, contact tracing with its "mark as contacts" action, the CSV
exports and the reports on hot spots, denied attempts and idle venues. Each
checks its own permission (visits/migrations/0002) and each look at a
person's data and each export leaves an entry in the audit log.
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import AdminPagesMixin
from accounts.audit import audit_record
from accounts.models import AuditEntry
from statuses.models import StatusChoices
from statuses.selectors import current_status, statuses_at
from venues.models import Venue
from visits.admin.forms import Person, PersonLookupForm, ReportForm, TracingForm
from visits.contacts import ContactToMark, contacts_mark, contacts_trace
from visits.epidemiology import (
    REPORT_DAYS,
    denied_attempts,
    hot_spots,
    idle_venues,
    person_overview,
)
from visits.exports import (
    contacts_header,
    contacts_rows,
    csv_download,
    visit_log_header,
    visit_log_rows,
)
from visits.forms import VisitLogFilterForm
from visits.models import Visit
from visits.rules import DENIAL_LABELS
from visits.selectors import visit_log
from visits.tracing import contacts_find, places

PERSON_PERMISSION = "visits.view_person"
TRACE_PERMISSION = "visits.trace_contacts"
EXPORT_PERMISSION = "visits.export_visits"
ADD_STATUS_PERMISSION = "statuses.add_statusrecord"

# The "mark as contacts" button re-runs the tracing as of the moment the page
# was shown: a still-open visit's end moves with the clock, and the marks must
# be those the epidemiologist saw (and the same if the button is pressed twice).
AS_OF_SALT = "visits.admin.tracing-as-of"
AS_OF_MAX_AGE = 3600


def decision_label(visit: Visit) -> str:
    if visit.admitted:
        return gettext("admitted")
    return str(DENIAL_LABELS.get(visit.denial_code, visit.denial_code))


def _with_query(url: str, **params: str) -> str:
    return f"{url}?{urlencode(params)}"


class EpidemiologyPages(AdminPagesMixin):
    """The pages, routed under the visit admin's URLs; mixed into VisitAdmin."""

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("person/", view(self.person_view), name="visits_visit_person"),
            path("tracing/", view(self.tracing_view), name="visits_visit_tracing"),
            path(
                "tracing/export/",
                view(self.tracing_export_view),
                name="visits_visit_tracing_export",
            ),
            path("reports/", view(self.reports_view), name="visits_visit_reports"),
            path(
                "venue/<int:venue_id>/export/",
                view(self.venue_export_view),
                name="visits_visit_venue_export",
            ),
            *super().get_urls(),
        ]

    def _require(self, request: HttpRequest, *permissions: str) -> None:
        if not request.user.has_perms(permissions):
            raise PermissionDenied

    def person_view(self, request: HttpRequest) -> HttpResponse:
        self._require(request, PERSON_PERMISSION)
        form = PersonLookupForm(request.GET if "q" in request.GET else None)
        context = self.page_context(request, _("Person"), form=form)
        if form.is_bound and form.is_valid():
            person: Person = form.cleaned_data["q"]
            overview = person_overview(iin=person.iin, user=person.user)
            audit_record(
                actor=request.user,
                action=AuditEntry.Action.PERSON_VIEWED,
                iin=person.iin,
                obj=person.user,
                detail={"found_by": person.found_by},
                request=request,
            )
            context.update(
                person=overview,
                status_label=(
                    StatusChoices(overview.status.status.value).label if overview.status else ""
                ),
                visits=[
                    {"visit": visit, "decision": decision_label(visit)} for visit in overview.visits
                ],
                tracing_url=_with_query(reverse("admin:visits_visit_tracing"), iin=person.iin),
                add_status_url=_with_query(
                    reverse("admin:statuses_statusrecord_add"), iin=person.iin
                ),
                isolation_url=(
                    reverse(
                        "admin:visits_isolationpoint_change",
                        args=[overview.isolation_point.pk],
                    )
                    if overview.isolation_point
                    else _with_query(reverse("admin:visits_isolationpoint_add"), iin=person.iin)
                ),
                can_trace=request.user.has_perm(TRACE_PERMISSION),
                can_add_status=request.user.has_perm(ADD_STATUS_PERMISSION),
                can_set_isolation=request.user.has_perm("visits.change_isolationpoint"),
            )
        return TemplateResponse(request, "admin/visits/visit/person.html", context)

    def tracing_view(self, request: HttpRequest) -> HttpResponse:
        self._require(request, TRACE_PERMISSION)
        if request.method == "POST":
            return self._mark_contacts(request)
        form = TracingForm(request.GET if "iin" in request.GET else None)
        context = self.page_context(request, _("Contact tracing"), form=form)
        if form.is_bound and form.is_valid():
            now = timezone.now()
            contacts = contacts_trace(**form.tracing(), by=request.user, request=request, now=now)
            statuses = statuses_at([contact.iin for contact in contacts], now)
            case_status = current_status(form.cleaned_data["iin"], now).status
            context.update(
                traced=True,
                case_iin=form.cleaned_data["iin"],
                case_status=StatusChoices(case_status.value).label,
                contacts=[
                    {
                        "contact": contact,
                        "status": StatusChoices(statuses[contact.iin].status.value).label,
                        "person_url": _with_query(
                            reverse("admin:visits_visit_person"), q=contact.iin
                        ),
                    }
                    for contact in contacts
                ],
                as_of=signing.dumps(now.timestamp(), salt=AS_OF_SALT),
                query=form.query(),
                can_mark=request.user.has_perm(ADD_STATUS_PERMISSION),
                can_export=request.user.has_perm(EXPORT_PERMISSION),
            )
        return TemplateResponse(request, "admin/visits/visit/tracing.html", context)

    def _mark_contacts(self, request: HttpRequest) -> HttpResponse:
        self._require(request, ADD_STATUS_PERMISSION)
        form = TracingForm(request.POST)
        if not form.is_valid():
            context = self.page_context(request, _("Contact tracing"), form=form)
            return TemplateResponse(request, "admin/visits/visit/tracing.html", context)
        back = f"{reverse('admin:visits_visit_tracing')}?{form.query()}"
        try:
            timestamp = signing.loads(
                request.POST.get("as_of", ""), salt=AS_OF_SALT, max_age=AS_OF_MAX_AGE
            )
        except signing.BadSignature:
            self.message_user(
                request,
                _("These results are more than an hour old. Run the tracing again."),
                messages.ERROR,
            )
            return HttpResponseRedirect(back)
        as_of = datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
        chosen = set(request.POST.getlist("contact"))
        contacts = [
            contact
            for contact in contacts_find(**form.tracing(), now=as_of)
            if contact.iin in chosen
        ]
        if not contacts:
            self.message_user(
                request, _("Select the people to mark as contacts."), messages.WARNING
            )
            return HttpResponseRedirect(back)
        created = contacts_mark(
            case_iin=form.cleaned_data["iin"],
            contacts=[
                ContactToMark(
                    contact.iin,
                    contact.last_contact_end,
                    places(item.venue_id for item in contact.overlaps),
                )
                for contact in contacts
            ],
            by=request.user,
            request=request,
        )
        if created:
            self.message_user(
                request,
                ngettext(
                    "%(count)d person marked as a contact: yellow status for %(days)d days.",
                    "%(count)d people marked as contacts: yellow status for %(days)d days.",
                    created,
                )
                % {"count": created, "days": settings.STATUS_CONTACT_DAYS},
                messages.SUCCESS,
            )
        if created < len(contacts):
            skipped = len(contacts) - created
            self.message_user(
                request,
                ngettext(
                    "%(count)d person was already marked for this contact.",
                    "%(count)d people were already marked for this contact.",
                    skipped,
                )
                % {"count": skipped},
                messages.INFO,
            )
        return HttpResponseRedirect(back)

    def tracing_export_view(self, request: HttpRequest) -> HttpResponse:
        self._require(request, TRACE_PERMISSION, EXPORT_PERMISSION)
        form = TracingForm(request.GET)
        if not form.is_valid():
            # The tracing page shows what is wrong with the form.
            url = reverse("admin:visits_visit_tracing")
            return HttpResponseRedirect(f"{url}?{request.GET.urlencode()}")
        contacts = contacts_find(**form.tracing())
        audit_record(
            actor=request.user,
            action=AuditEntry.Action.EXPORTED,
            iin=form.cleaned_data["iin"],
            detail={
                "export": "tracing",
                "days": form.cleaned_data["days"],
                "minutes": form.cleaned_data["minutes"],
                "contacts": len(contacts),
                "rows": sum(len(contact.overlaps) for contact in contacts),
            },
            request=request,
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return csv_download(
            contacts_header(), contacts_rows(contacts), f"ashyq-contacts-{stamp}.csv"
        )

    def venue_export_view(self, request: HttpRequest, venue_id: int) -> HttpResponse:
        self._require(request, EXPORT_PERMISSION)
        venue = get_object_or_404(Venue, pk=venue_id)
        filters = VisitLogFilterForm(request.GET or None).filters()
        visits = visit_log(venue, **filters)
        audit_record(
            actor=request.user,
            action=AuditEntry.Action.EXPORTED,
            obj=venue,
            detail={
                "export": "venue visits",
                "rows": visits.count(),
                "filters": {key: str(value) for key, value in filters.items()},
            },
            request=request,
        )
        return csv_download(
            visit_log_header(full=True),
            visit_log_rows(visits, full=True),
            f"ashyq-venue-{venue.pk}-visits.csv",
        )

    def reports_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ReportForm(request.GET or None)
        days = form.cleaned_data["days"] if form.is_bound and form.is_valid() else REPORT_DAYS
        now = timezone.now()
        context = self.page_context(
            request,
            _("Hot spots, denied attempts and idle venues"),
            form=form,
            days=days,
            idle_days=settings.VENUE_IDLE_DAYS,
            hot_spots=hot_spots(now=now, days=days),
            denied=denied_attempts(now=now, days=days),
            idle=idle_venues(now=now),
            can_export=request.user.has_perm(EXPORT_PERMISSION),
        )
        return TemplateResponse(request, "admin/visits/visit/reports.html", context)
