"""The lab-result import in the admin (docs/rules.md §5).

Lab results arrive as CSV: the upload page queues a check, the import's change
page is its report (accepted, rejected and already imported rows), and nothing
is imported before an epidemiologist confirms it there.
"""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from accounts.admin import AdminPagesMixin
from statuses.forms import LabImportUploadForm
from statuses.imports import import_progress, lab_import_confirm, lab_import_upload
from statuses.lab_messages import message_for, report_rows
from statuses.models import LabImport, SourceChoices


@admin.register(LabImport)
class LabImportAdmin(AdminPagesMixin, admin.ModelAdmin):
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
    object_pages = {"confirm": "confirm_view"}

    def get_queryset(self, request: HttpRequest):
        # The file itself is only read by the tasks.
        return super().get_queryset(request).defer("content")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change page is the import's report; an import is never edited.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

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
        context = self.page_context(request, _("Import lab results"), form=form)
        return TemplateResponse(request, "admin/statuses/labimport/upload.html", context)

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any):
        """The import's report; there is no form to change."""
        lab_import = self.page_object(request, object_id, allowed=self.has_view_permission(request))
        if lab_import is None:
            return self.missing_object(request, object_id)
        report = lab_import.report or {}
        running = lab_import.state in (LabImport.State.CHECKING, LabImport.State.IMPORTING)
        error = report.get("error")
        context = self.page_context(
            request,
            _("Lab result import: %(name)s") % {"name": lab_import.file_name},
            original=lab_import,
            running=running,
            progress=_progress_view(import_progress(lab_import.pk)) if running else None,
            error=message_for(error["code"], error.get("params")) if error else "",
            rejected=report_rows(report.get("rejected", [])),
            rejected_total=report.get("rejected_total", 0),
            accepted=_display_rows(report.get("accepted", [])),
            accepted_total=report.get("accepted_total", 0),
            already_imported=_display_rows(report.get("already_imported", [])),
            already_imported_total=report.get("already_imported_total", 0),
            records_created=report.get("records_created"),
            can_confirm=(
                lab_import.state == LabImport.State.CHECKED
                and lab_import.accepted_rows > 0
                and self.has_add_permission(request)
            ),
        )
        return TemplateResponse(request, "admin/statuses/labimport/report.html", context)

    def confirm_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        lab_import = self.page_object(request, object_id, allowed=self.has_add_permission(request))
        if lab_import is None:
            return self.missing_object(request, object_id)
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
