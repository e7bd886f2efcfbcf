from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record
from accounts.forms import MoveIinForm
from accounts.models import AuditEntry, User
from accounts.services import ClaimRefused, user_move_iin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the system: looked at, never changed by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    """Accounts have no password: people sign in by SMS code, staff included."""

    ordering = ["-date_joined"]
    list_display = ["phone", "full_name", "iin", "language", "is_staff", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "language", "groups"]
    search_fields = ["phone", "full_name", "iin"]
    readonly_fields = ["date_joined", "last_login", "qr_key"]
    fieldsets = [
        (None, {"fields": ["phone", "phone_verified", "full_name", "iin", "language"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    filter_horizontal = ["groups", "user_permissions"]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_move_iin": self.has_change_permission(request),
        }
        response = super().change_view(request, object_id, form_url, extra_context)
        user = getattr(response, "context_data", {}).get("original")
        if request.method == "GET" and response.status_code == 200 and user is not None:
            # The page shows a person's phone, name and IIN: who looked is evidence.
            audit_record(
                actor=request.user,
                action=AuditEntry.Action.PERSON_VIEWED,
                iin=user.iin or "",
                obj=user,
                request=request,
            )
        return response

    def get_urls(self) -> list[URLPattern]:
        move = path(
            "<path:object_id>/move-iin/",
            self.admin_site.admin_view(self.move_iin_view),
            name="accounts_user_move_iin",
        )
        return [move, *super().get_urls()]

    def move_iin_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Move a claimed IIN to the account of the person who proved it is theirs."""
        source = self.get_object(request, unquote(object_id))
        if source is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, source):
            raise PermissionDenied
        form = MoveIinForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                user_move_iin(
                    source=source,
                    target=form.cleaned_data["phone"],
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except ClaimRefused as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, _("The IIN has been moved."), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:accounts_user_change", args=[form.cleaned_data["phone"].pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": source,
            "form": form,
            "title": _("Move the IIN to another account"),
        }
        return TemplateResponse(request, "admin/accounts/user/move_iin.html", context)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: the log is evidence, not a working document."""

    list_display = ["created_at", "actor", "action", "iin", "object_type", "object_id", "ip"]
    list_filter = ["action", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["iin", "actor__phone", "actor__full_name", "object_id"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]
