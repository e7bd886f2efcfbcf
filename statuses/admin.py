"""The epidemiologists' admin (docs/rules.md §5).

Status records are append-only: added through `record_add`, ended through
`record_lift`, never edited or deleted here. What each role may do is the
`epidemiologist` group's permissions (migration 0002).
"""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

# Registers the lab-result import's admin, a module of its own.
import statuses.lab_import_admin  # noqa: F401
from accounts.admin import (
    AdminPagesMixin,
    LanguageTaggedFieldsMixin,
    PersonShownAuditMixin,
    ReadOnlyAdmin,
)
from accounts.selectors import iins_of_phone
from statuses.forms import LiftForm, StatusRecordAddForm
from statuses.models import LabResult, Notification, StatusChoices, StatusInfo, StatusRecord
from statuses.selectors import current_status
from statuses.services import record_add, record_lift

LIFT_PERMISSION = "statuses.lift_statusrecord"


class LiftedFilter(admin.SimpleListFilter):
    title = _("lifted")
    parameter_name = "lifted"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", _("Lifted")), ("no", _("Not lifted"))]

    def queryset(self, request: HttpRequest, queryset):
        if self.value() == "yes":
            return queryset.filter(lifted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(lifted_at__isnull=True)
        return queryset


# What an epidemiologist enters: the add form's fields, which are also
# record_add's arguments.
ADD_FIELDS = tuple(StatusRecordAddForm.Meta.fields)
DETAIL_FIELDS = (
    "iin",
    "status_now",
    "person_history",
    "status",
    "source",
    "valid_from",
    "valid_until",
    "reason",
    "phone",
    "lab_result",
    "created_by",
    "created_at",
    "lifted_at",
    "lifted_by",
    "lift_reason",
)


@admin.register(StatusRecord)
class StatusRecordAdmin(PersonShownAuditMixin, AdminPagesMixin, admin.ModelAdmin):
    list_display = (
        "iin",
        "status",
        "source",
        "valid_from",
        "valid_until",
        "lifted_at",
        "created_by",
        "short_note",
    )
    list_filter = ("status", "source", ("valid_from", admin.DateFieldListFilter), LiftedFilter)
    list_select_related = ("created_by",)
    # A prefix match on the IIN keeps the index usable; phones are matched
    # in get_search_results.
    search_fields = ("^iin",)
    search_help_text = _("An IIN (or its first digits) or the phone number of an account.")
    show_full_result_count = False
    object_pages = {"lift": "lift_view"}

    def get_fields(self, request: HttpRequest, obj: StatusRecord | None = None):
        return ADD_FIELDS if obj is None else DETAIL_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: StatusRecord | None = None):
        return () if obj is None else DETAIL_FIELDS

    def get_form(self, request: HttpRequest, obj: StatusRecord | None = None, **kwargs: Any):
        if obj is None:
            kwargs["form"] = StatusRecordAddForm
        return super().get_form(request, obj, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The history is append-only: corrections are new records or lifts.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_lift_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(LIFT_PERMISSION)

    @admin.display(description=_("reason"))
    def short_note(self, obj: StatusRecord) -> str:
        return Truncator(obj.reason).chars(60)

    @admin.display(description=_("reason"))
    def reason(self, obj: StatusRecord) -> str:
        return obj.reason

    @admin.display(description=_("status now"))
    def status_now(self, obj: StatusRecord) -> str:
        return str(StatusChoices(current_status(obj.iin).status.value).label)

    @admin.display(description=_("history"))
    def person_history(self, obj: StatusRecord) -> str:
        url = reverse("admin:statuses_statusrecord_changelist")
        return format_html('<a href="{}?q={}">{}</a>', url, obj.iin, _("All records of this IIN"))

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        term = search_term.strip()
        compact = "".join(term.split())
        # "061211 600012" is one IIN, not two words.
        if compact.isascii() and compact.isdigit():
            term = compact
        results, may_have_duplicates = super().get_search_results(request, queryset, term)
        iins = iins_of_phone(search_term)
        if iins:
            results = results | queryset.filter(iin__in=iins)
        return results, may_have_duplicates

    def save_model(self, request: HttpRequest, obj: StatusRecord, form: Any, change: bool) -> None:
        if change:
            raise PermissionDenied
        # Through the service, so the person is told when their colour changes.
        record = record_add(
            **{name: getattr(obj, name) for name in ADD_FIELDS}, created_by=request.user
        )
        obj.pk = record.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def change_page_context(self, request: HttpRequest) -> dict[str, Any]:
        return {"can_lift": self.has_lift_permission(request)}

    def lift_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.object_form_page(
            request,
            object_id,
            allowed=self.has_lift_permission(request),
            form_class=LiftForm,
            act=lambda record, data: self._lift(request, record, data["reason"]),
            done=_("The record has been lifted."),
            title=_("Lift a status record"),
            template="admin/statuses/statusrecord/lift.html",
        )

    def _lift(self, request: HttpRequest, record: StatusRecord, reason: str) -> str:
        record_lift(record=record, by=request.user, reason=reason)
        with translation.override(None):
            fields = [
                str(self.opts.get_field(name).verbose_name)
                for name in ("lifted_at", "lifted_by", "lift_reason")
            ]
        self.log_change(request, record, [{"changed": {"fields": fields}}])
        return reverse("admin:statuses_statusrecord_change", args=[record.pk])


@admin.register(LabResult)
class LabResultAdmin(ReadOnlyAdmin):
    list_display = ("lab", "sample_id", "iin", "source", "taken_at", "lab_import_link")
    list_filter = ("source", ("taken_at", admin.DateFieldListFilter))
    search_fields = ("^iin", "lab", "=sample_id")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest):
        # An import holds its whole file; never load it to show a name.
        return (
            super().get_queryset(request).select_related("lab_import").defer("lab_import__content")
        )

    @admin.display(description=_("import"))
    def lab_import_link(self, obj: LabResult) -> str:
        if obj.lab_import_id is None:
            return "—"
        url = reverse("admin:statuses_labimport_change", args=[obj.lab_import_id])
        return format_html('<a href="{}">{}</a>', url, obj.lab_import.file_name)


@admin.register(StatusInfo)
class StatusInfoAdmin(LanguageTaggedFieldsMixin, TranslationAdmin):
    # Four fixed rows, one per colour: their texts change, their number never.
    list_display = ("status", "title")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("iin", "kind", "event_shown", "created_at")
    fields = ("iin", "kind", "event_shown", "created_at")
    list_filter = ("kind", ("created_at", admin.DateFieldListFilter))
    search_fields = ("^iin",)
    show_full_result_count = False

    @admin.display(description=_("event"), ordering="event")
    def event_shown(self, obj: Notification) -> str:
        # Events are keys ("record:12", "lift:12", "blue:<time>") that make
        # each SMS unique; shown as words with a link to the record.
        kind, _sep, key = obj.event.partition(":")
        if kind in ("record", "lift") and key.isdigit():
            url = reverse("admin:statuses_statusrecord_change", args=[key])
            label = _("record added") if kind == "record" else _("record lifted")
            return format_html('<a href="{}">{} №{}</a>', url, label, key)
        if kind == "blue":
            return str(_("no active records"))
        return obj.event
