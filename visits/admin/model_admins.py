"""The visit and isolation-point admins. Visits are evidence: shown read-only,
never added, changed or deleted here."""

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from accounts.admin import PersonShownAuditMixin, ReadOnlyAdmin
from accounts.audit import audit_record
from accounts.models import AuditEntry
from accounts.selectors import iins_of_phone
from venues.admin import AlphabeticalRelatedFilter
from venues.models import Venue
from visits.admin.forms import IsolationPointAdminForm
from visits.admin.pages import (
    PERSON_PERMISSION,
    TRACE_PERMISSION,
    EpidemiologyPages,
    decision_label,
)
from visits.models import IsolationPoint, Visit
from visits.rules import DENIAL_LABELS
from visits.services import isolation_point_set


def _iins_searched(term: str) -> list[str] | None:
    """The IINs a search term names (a full IIN, or an account's phone), else None."""
    compact = "".join(term.split())
    if compact.isascii() and compact.isdigit() and len(compact) == 12:
        return [compact]
    return iins_of_phone(term)


@admin.register(Visit)
class VisitAdmin(PersonShownAuditMixin, EpidemiologyPages, ReadOnlyAdmin):
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
    audit_detail = {"page": "visit"}

    @admin.display(description=_("IIN"), ordering="iin")
    def person(self, visit: Visit) -> str:
        url = reverse("admin:visits_visit_person")
        return format_html('<a href="{}?{}">{}</a>', url, urlencode({"q": visit.iin}), visit.iin)

    @admin.display(description=_("decision"))
    def decision(self, visit: Visit) -> str:
        return decision_label(visit)

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
        fields = {name: getattr(obj, name) for name in IsolationPointAdminForm.Meta.fields}
        point = isolation_point_set(**fields, by=request.user, by_epidemiologist=True)
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
