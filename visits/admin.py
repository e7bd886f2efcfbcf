"""The epidemiologists' admin for visits (docs/rules.md §5).

Visits are evidence: shown read-only, never added, changed or deleted here.
Next to the visit list live the pages epidemiologists work in: the person
page, contact tracing with its "mark as contacts" action, the CSV exports
and the reports on hot spots, denied attempts and idle venues. Each checks
its own permission (visits/migrations/0002) and each look at a person's data
and each export leaves an entry in the audit log.
"""

import datetime
from typing import Any, NamedTuple

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin
from accounts.audit import audit_record
from accounts.identifiers import IdentifierError, validate_iin
from accounts.models import AuditEntry, User
from accounts.phones import PhoneError, parse_phone
from statuses.models import StatusChoices
from statuses.selectors import current_status, statuses_at
from venues.admin import AlphabeticalRelatedFilter
from venues.models import Venue
from visits.epidemiology import (
    REPORT_DAYS,
    denied_attempts,
    hot_spots,
    idle_venues,
    person_overview,
)
from visits.exports import csv_document
from visits.forms import VisitLogFilterForm
from visits.models import IsolationPoint, Visit
from visits.rules import DENIAL_LABELS
from visits.selectors import visit_log
from visits.services import isolation_point_set
from visits.tracing import (
    DEFAULT_DAYS,
    DEFAULT_MIN_OVERLAP,
    ContactToMark,
    contacts_csv,
    contacts_find,
    contacts_mark,
    contacts_trace,
    places,
    whole_minutes,
)

PERSON_PERMISSION = "visits.view_person"
TRACE_PERMISSION = "visits.trace_contacts"
EXPORT_PERMISSION = "visits.export_visits"
ADD_STATUS_PERMISSION = "statuses.add_statusrecord"

# The "mark as contacts" button re-runs the tracing as of the moment the page
# was shown: a still-open visit's end moves with the clock, and the marks must
# be those the epidemiologist saw (and the same if the button is pressed twice).
AS_OF_SALT = "visits.admin.tracing-as-of"
AS_OF_MAX_AGE = 3600


def _iin_error(exc: IdentifierError) -> forms.ValidationError:
    return forms.ValidationError(exc.message, code=exc.code)


class Person(NamedTuple):
    iin: str
    user: User | None
    found_by: str


class PersonLookupForm(forms.Form):
    q = forms.CharField(
        label=_("IIN or phone number"),
        max_length=40,
        error_messages={"required": _("Enter an IIN or a phone number.")},
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )

    def clean_q(self) -> Person:
        raw = self.cleaned_data["q"]
        compact = "".join(raw.split())
        if not (compact.isascii() and compact.isdigit() and len(compact) == 12):
            try:
                phone = parse_phone(raw, settings.SMS_ALLOWED_COUNTRIES)
            except PhoneError:
                pass
            else:
                user = User.objects.filter(phone=phone).first()
                if user is None:
                    raise forms.ValidationError(
                        _("No account has this phone number."), code="no_account"
                    )
                return Person(iin=user.iin or "", user=user, found_by="phone")
        try:
            iin = validate_iin(raw)
        except IdentifierError as exc:
            raise _iin_error(exc) from None
        return Person(iin=iin, user=User.objects.filter(iin=iin).first(), found_by="iin")


class TracingForm(forms.Form):
    iin = forms.CharField(
        label=_("IIN of the case"),
        max_length=40,
        error_messages={"required": _("Enter the IIN of the case.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    days = forms.IntegerField(
        label=_("Days back"),
        min_value=1,
        max_value=settings.VISIT_RETENTION_DAYS,
        required=False,
        initial=DEFAULT_DAYS,
    )
    minutes = forms.IntegerField(
        label=_("Minimum overlap, minutes"),
        min_value=1,
        max_value=24 * 60,
        required=False,
        initial=whole_minutes(DEFAULT_MIN_OVERLAP),
    )

    def clean_iin(self) -> str:
        try:
            return validate_iin(self.cleaned_data["iin"])
        except IdentifierError as exc:
            raise _iin_error(exc) from None

    def clean_days(self) -> int:
        return self.cleaned_data["days"] or DEFAULT_DAYS

    def clean_minutes(self) -> int:
        return self.cleaned_data["minutes"] or whole_minutes(DEFAULT_MIN_OVERLAP)

    def tracing(self) -> dict[str, Any]:
        return {
            "case_iin": self.cleaned_data["iin"],
            "days": self.cleaned_data["days"],
            "min_overlap": datetime.timedelta(minutes=self.cleaned_data["minutes"]),
        }

    def query(self) -> str:
        return urlencode({name: self.cleaned_data[name] for name in ("iin", "days", "minutes")})


class ReportForm(forms.Form):
    days = forms.IntegerField(
        label=_("Days back"),
        min_value=1,
        max_value=settings.VISIT_RETENTION_DAYS,
        required=False,
        initial=REPORT_DAYS,
    )

    def clean_days(self) -> int:
        return self.cleaned_data["days"] or REPORT_DAYS


def _decision(visit: Visit) -> str:
    if visit.admitted:
        return gettext("admitted")
    return str(DENIAL_LABELS.get(visit.denial_code, visit.denial_code))


def _local(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _csv_response(content: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _iins_searched(term: str) -> list[str] | None:
    """The IINs a search term names (a full IIN, or an account's phone), else None."""
    compact = "".join(term.split())
    if compact.isascii() and compact.isdigit() and len(compact) == 12:
        return [compact]
    try:
        phone = parse_phone(term, settings.SMS_ALLOWED_COUNTRIES)
    except PhoneError:
        return None
    return list(User.objects.filter(phone=phone, iin__isnull=False).values_list("iin", flat=True))


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = (
        "checked_in_at",
        "venue",
        "person",
        "status",
        "decision",
        "method",
        "checked_out_at",
        "checkout_method",
        "test_mode",
    )
    list_filter = (
        "admitted",
        "status",
        "method",
        "checkout_method",
        "test_mode",
        ("checked_in_at", admin.DateFieldListFilter),
        ("venue__region", AlphabeticalRelatedFilter),
        ("venue__category", AlphabeticalRelatedFilter),
    )
    # Matched in get_search_results, where each kind of term gets its index.
    search_fields = ("=iin",)
    search_help_text = _("A full IIN, a phone number, or part of a venue's name.")
    list_select_related = ("venue",)
    show_full_result_count = False
    actions = None
    fields = (
        "venue",
        "iin",
        "user",
        "method",
        "recorded_by",
        "status",
        "admitted",
        "denial",
        "test_mode",
        "checked_in_at",
        "checked_out_at",
        "checkout_method",
    )

    @admin.display(description=_("IIN"), ordering="iin")
    def person(self, visit: Visit) -> str:
        url = reverse("admin:visits_visit_person")
        return format_html('<a href="{}?{}">{}</a>', url, urlencode({"q": visit.iin}), visit.iin)

    @admin.display(description=_("decision"))
    def decision(self, visit: Visit) -> str:
        return _decision(visit)

    @admin.display(description=_("reason for denial"))
    def denial(self, visit: Visit) -> str:
        # Stored as a code; shown as the sentence staff and visitor saw.
        return (
            str(DENIAL_LABELS.get(visit.denial_code, visit.denial_code))
            if visit.denial_code
            else ""
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Visit], search_term: str
    ) -> tuple[QuerySet[Visit], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        iins = _iins_searched(term)
        if iins is not None:
            return queryset.filter(iin__in=iins), False
        # Venues first, then their visits through the (venue, time) index: an
        # OR across the join would read the whole visits table.
        venues = Venue.objects.filter(
            Q(name_kk__icontains=term)
            | Q(name_ru__icontains=term)
            | Q(name_en__icontains=term)
            | Q(code=term)
        ).values("pk")
        return queryset.filter(venue_id__in=venues), False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        term = request.GET.get("q", "").strip()
        iins = _iins_searched(term) if term and self.has_view_permission(request) else None
        if iins:
            for iin in iins:
                audit_record(
                    actor=request.user,
                    action=AuditEntry.Action.PERSON_VIEWED,
                    iin=iin,
                    detail={"page": "visit list"},
                    request=request,
                )
        extra_context = {
            **(extra_context or {}),
            "can_view_person": request.user.has_perm(PERSON_PERMISSION),
            "can_trace": request.user.has_perm(TRACE_PERMISSION),
        }
        return super().changelist_view(request, extra_context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200:
            visit = self.get_object(request, unquote(object_id))
            if visit is not None:
                audit_record(
                    actor=request.user,
                    action=AuditEntry.Action.PERSON_VIEWED,
                    iin=visit.iin,
                    obj=visit,
                    detail={"page": "visit"},
                    request=request,
                )
        return response

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

    def _context(self, request: HttpRequest, title: str, **values: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            **values,
        }

    def person_view(self, request: HttpRequest) -> HttpResponse:
        self._require(request, PERSON_PERMISSION)
        form = PersonLookupForm(request.GET if "q" in request.GET else None)
        context = self._context(request, _("Person"), form=form)
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
                    {"visit": visit, "decision": _decision(visit)} for visit in overview.visits
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
        context = self._context(request, _("Contact tracing"), form=form)
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
            context = self._context(request, _("Contact tracing"), form=form)
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
        content = contacts_csv(contacts)
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
        return _csv_response(content, f"ashyq-contacts-{stamp}.csv")

    def venue_export_view(self, request: HttpRequest, venue_id: int) -> HttpResponse:
        self._require(request, EXPORT_PERMISSION)
        venue = get_object_or_404(Venue, pk=venue_id)
        filters = VisitLogFilterForm(request.GET or None).filters()
        visits = list(visit_log(venue, **filters).select_related("recorded_by"))
        header = [
            gettext("Checked in"),
            gettext("Checked out"),
            gettext("IIN"),
            gettext("Name"),
            gettext("Status"),
            gettext("Decision"),
            gettext("How"),
            gettext("Recorded by"),
        ]
        rows = [
            [
                _local(visit.checked_in_at),
                _local(visit.checked_out_at),
                visit.iin,
                visit.user.full_name if visit.user else "",
                StatusChoices(visit.status).label,
                _decision(visit),
                visit.get_method_display(),
                str(visit.recorded_by) if visit.recorded_by else "",
            ]
            for visit in visits
        ]
        content = csv_document(header, rows)
        audit_record(
            actor=request.user,
            action=AuditEntry.Action.EXPORTED,
            obj=venue,
            detail={
                "export": "venue visits",
                "rows": len(rows),
                "filters": {key: str(value) for key, value in filters.items()},
            },
            request=request,
        )
        return _csv_response(content, f"ashyq-venue-{venue.pk}-visits.csv")

    def reports_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ReportForm(request.GET or None)
        days = form.cleaned_data["days"] if form.is_bound and form.is_valid() else REPORT_DAYS
        now = timezone.now()
        context = self._context(
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


def _with_query(url: str, **params: str) -> str:
    return f"{url}?{urlencode(params)}"


class IsolationPointAdminForm(forms.ModelForm):
    class Meta:
        model = IsolationPoint
        fields = ["iin", "address", "latitude", "longitude"]

    def clean_iin(self) -> str:
        try:
            return validate_iin(self.cleaned_data["iin"])
        except IdentifierError as exc:
            raise _iin_error(exc) from None


@admin.register(IsolationPoint)
class IsolationPointAdmin(admin.ModelAdmin):
    form = IsolationPointAdminForm
    list_display = (
        "iin",
        "address",
        "latitude",
        "longitude",
        "updated_at",
        "updated_by",
        "set_by_epidemiologist",
    )
    list_select_related = ("updated_by",)
    search_fields = ("=iin", "address")
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # A place belongs to one IIN; another person's place is a new row.
        shown = ("updated_at", "updated_by", "set_by_epidemiologist")
        return ("iin", *shown) if obj else shown

    def save_model(
        self, request: HttpRequest, obj: IsolationPoint, form: Any, change: bool
    ) -> None:
        # Through the service, like the citizen's own form; the admin's
        # change view runs in a transaction, so the audit entry goes with it.
        point = isolation_point_set(
            iin=obj.iin,
            address=obj.address,
            latitude=obj.latitude,
            longitude=obj.longitude,
            by=request.user,
            by_epidemiologist=True,
        )
        audit_record(
            actor=request.user,
            action=AuditEntry.Action.ISOLATION_SET,
            iin=point.iin,
            obj=point,
            detail={"address": point.address},
            request=request,
        )
        obj.pk = point.pk
        obj.updated_at = point.updated_at
        obj.updated_by = point.updated_by
        obj._state.adding = False
