"""The epidemiologists' admin (docs/rules.md §5).

Status records are append-only: added through `record_add`, ended through
`record_lift`, never edited or deleted here. Lab results arrive through the
CSV import, whose pages are a report rather than a form. What each role may
do is the `epidemiologist` group's permissions (migration 0002).
"""

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from accounts.admin import LanguageTaggedFieldsMixin, ReadOnlyAdmin
from accounts.audit import audit_record
from accounts.models import AuditEntry, User
from accounts.phones import PhoneError, parse_phone
from statuses.forms import LabImportUploadForm, LiftForm, StatusRecordAddForm
from statuses.imports import (
    import_progress,
    lab_import_confirm,
    lab_import_upload,
    message_for,
    report_rows,
)
from statuses.models import (
    LabImport,
    LabResult,
    Notification,
    SourceChoices,
    StatusChoices,
    StatusInfo,
    StatusRecord,
)
from statuses.selectors import current_status
from statuses.services import StatusError, record_add, record_lift

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


ADD_FIELDS = ("iin", "source", "status", "valid_from", "valid_until", "note", "phone")
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
class StatusRecordAdmin(admin.ModelAdmin):
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
        iins = self._iins_of_phone(search_term)
        if iins:
            results = results | queryset.filter(iin__in=iins)
        return results, may_have_duplicates

    def _iins_of_phone(self, term: str) -> list[str]:
        try:
            phone = parse_phone(term, settings.SMS_ALLOWED_COUNTRIES)
        except PhoneError:
            return []
        return list(
            User.objects.filter(phone=phone, iin__isnull=False).values_list("iin", flat=True)
        )

    def save_model(self, request: HttpRequest, obj: StatusRecord, form: Any, change: bool) -> None:
        if change:
            raise PermissionDenied
        # Through the service, so the person is told when their colour changes.
        record = record_add(
            iin=obj.iin,
            status=obj.status,
            source=obj.source,
            valid_from=obj.valid_from,
            valid_until=obj.valid_until,
            created_by=request.user,
            note=obj.note,
            phone=obj.phone,
        )
        obj.pk = record.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), "can_lift": self.has_lift_permission(request)}
        response = super().change_view(request, object_id, form_url, extra_context)
        record = getattr(response, "context_data", {}).get("original")
        if request.method == "GET" and response.status_code == 200 and record is not None:
            # The page shows a person's status history: who looked is evidence.
            audit_record(
                actor=request.user,
                action=AuditEntry.Action.PERSON_VIEWED,
                iin=record.iin,
                obj=record,
                request=request,
            )
        return response

    def get_urls(self) -> list[URLPattern]:
        lift = path(
            "<path:object_id>/lift/",
            self.admin_site.admin_view(self.lift_view),
            name="statuses_statusrecord_lift",
        )
        return [lift, *super().get_urls()]

    def lift_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        record = self.get_object(request, unquote(object_id))
        if record is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_lift_permission(request):
            raise PermissionDenied
        form = LiftForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                record_lift(record=record, by=request.user, reason=form.cleaned_data["reason"])
            except StatusError as exc:
                form.add_error(None, exc.message)
            else:
                with translation.override(None):
                    fields = [
                        str(self.opts.get_field(name).verbose_name)
                        for name in ("lifted_at", "lifted_by", "lift_reason")
                    ]
                self.log_change(request, record, [{"changed": {"fields": fields}}])
                self.message_user(request, _("The record has been lifted."), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:statuses_statusrecord_change", args=[record.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": record,
            "form": form,
            "title": _("Lift a status record"),
        }
        return TemplateResponse(request, "admin/statuses/statusrecord/lift.html", context)


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


@admin.register(LabImport)
class LabImportAdmin(admin.ModelAdmin):
    list_display = (
        "file_name",
        "state",
        "total_rows",
        "accepted_rows",
        "duplicate_rows",
        "rejected_rows",
        "created_rows",
        "created_by",
        "created_at",
    )
    list_filter = ("state",)
    list_select_related = ("created_by",)

    def get_queryset(self, request: HttpRequest):
        # The file itself is only read by the tasks.
        return super().get_queryset(request).defer("content")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change page is the import's report; an import is never edited.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        confirm = path(
            "<path:object_id>/confirm/",
            self.admin_site.admin_view(self.confirm_view),
            name="statuses_labimport_confirm",
        )
        return [confirm, *super().get_urls()]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = LabImportUploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                lab_import = lab_import_upload(
                    file_name=upload.name, content=upload.read(), by=request.user
                )
                self.log_addition(request, lab_import, [{"added": {}}])
                return HttpResponseRedirect(
                    reverse("admin:statuses_labimport_change", args=[lab_import.pk])
                )
        else:
            form = LabImportUploadForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": _("Import lab results"),
        }
        return TemplateResponse(request, "admin/statuses/labimport/upload.html", context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        lab_import = self.get_object(request, unquote(object_id))
        if lab_import is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, lab_import):
            raise PermissionDenied
        report = lab_import.report or {}
        running = lab_import.state in (LabImport.State.CHECKING, LabImport.State.IMPORTING)
        error = report.get("error")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": lab_import,
            "title": _("Lab result import: %(name)s") % {"name": lab_import.file_name},
            "running": running,
            "progress": _progress_view(import_progress(lab_import.pk)) if running else None,
            "error": message_for(error["code"], error.get("params")) if error else "",
            "rejected": report_rows(report.get("rejected", [])),
            "rejected_total": report.get("rejected_total", 0),
            "accepted": _display_rows(report.get("accepted", [])),
            "accepted_total": report.get("accepted_total", 0),
            "already_imported": _display_rows(report.get("already_imported", [])),
            "already_imported_total": report.get("already_imported_total", 0),
            "records_created": report.get("records_created"),
            "can_confirm": (
                lab_import.state == LabImport.State.CHECKED
                and lab_import.accepted_rows > 0
                and self.has_add_permission(request)
            ),
        }
        return TemplateResponse(request, "admin/statuses/labimport/report.html", context)

    def confirm_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        lab_import = self.get_object(request, unquote(object_id))
        if lab_import is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_add_permission(request):
            raise PermissionDenied
        if lab_import_confirm(lab_import, by=request.user):
            self.message_user(
                request, _("The import has started. This page shows its progress."), messages.INFO
            )
        else:
            self.message_user(
                request,
                _("This import cannot be started: it is not waiting for confirmation."),
                messages.WARNING,
            )
        return HttpResponseRedirect(
            reverse("admin:statuses_labimport_change", args=[lab_import.pk])
        )


def _progress_view(progress: dict[str, Any] | None) -> dict[str, Any] | None:
    if not progress or not progress.get("total"):
        return None
    done, total = progress["done"], progress["total"]
    return {**progress, "percent": min(100, round(100 * done / total))}


def _display_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    sources = dict(SourceChoices.choices)
    shown = []
    for row in rows:
        taken_at = parse_datetime(row["taken_at"])
        shown.append(
            {
                **row,
                "taken_at": timezone.localtime(taken_at) if taken_at else row["taken_at"],
                "source": sources.get(row["source"], row["source"]),
            }
        )
    return shown
