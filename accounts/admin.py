from collections.abc import Callable
from typing import Any

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record
from accounts.errors import AshyqError
from accounts.forms import MoveIinForm
from accounts.models import AuditEntry, User
from accounts.services import user_move_iin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the system: looked at, never changed by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AdminPagesMixin:
    """What the custom pages of a model admin share: routing a page of one
    object, finding that object, a page whose form acts on it, and the admin's
    context around a page."""

    # Pages about one object: URL suffix → name of the view method. Each is
    # routed at <object_id>/<suffix>/ as admin:<app>_<model>_<suffix>.
    object_pages: dict[str, str] = {}

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        pages = [
            path(
                f"<path:object_id>/{suffix}/",
                self.admin_site.admin_view(getattr(self, view)),
                name=f"{prefix}_{suffix.replace('-', '_')}",
            )
            for suffix, view in self.object_pages.items()
        ]
        return [*pages, *super().get_urls()]

    def page_object(self, request: HttpRequest, object_id: str, *, allowed: bool) -> Any:
        """The object a page is about, None when there is none (the caller redirects
        as the admin does), PermissionDenied when the page is not for this user."""
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and not allowed:
            raise PermissionDenied
        return obj

    def missing_object(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)

    def page_context(self, request: HttpRequest, title: Any, **values: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            **values,
        }

    def object_form_page(
        self,
        request: HttpRequest,
        object_id: str,
        *,
        form_class: type[forms.Form],
        act: Callable[[Any, dict[str, Any]], str],
        done: Any,
        title: Any,
        template: str,
        allowed: bool | None = None,
    ) -> HttpResponse:
        """A page with a form about one object (lift a record, move an IIN), for those
        who may change the object unless `allowed` says otherwise.

        A valid POST calls `act(obj, cleaned_data)`, which writes through a
        service and returns the address to go to; the service's refusal
        (an AshyqError) is shown on the form.
        """
        if allowed is None:
            allowed = self.has_change_permission(request)
        obj = self.page_object(request, object_id, allowed=allowed)
        if obj is None:
            return self.missing_object(request, object_id)
        form = form_class(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                next_url = act(obj, form.cleaned_data)
            except AshyqError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(next_url)
        context = self.page_context(request, title, original=obj, form=form)
        return TemplateResponse(request, template, context)


class PersonShownAuditMixin:
    """A change page that shows a person's data leaves an audit entry: who
    looked is evidence (docs/rules.md §5). `person_iin` names whose data it is."""

    audit_detail: dict[str, Any] | None = None

    def person_iin(self, obj: Any) -> str:
        return obj.iin or ""

    def change_page_context(self, request: HttpRequest) -> dict[str, Any]:
        return {}

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), **self.change_page_context(request)}
        response = super().change_view(request, object_id, form_url, extra_context)
        shown = getattr(response, "context_data", {}).get("original")
        if request.method == "GET" and response.status_code == 200 and shown is not None:
            audit_record(
                actor=request.user,
                action=AuditEntry.Action.PERSON_VIEWED,
                iin=self.person_iin(shown),
                obj=shown,
                detail=self.audit_detail,
                request=request,
            )
        return response


# Group names are data made by migrations, in English; shown translated.
GROUP_LABELS = {"epidemiologist": _("epidemiologists")}


def group_label(group: Group) -> str:
    return str(GROUP_LABELS.get(group.name, group.name))


class GroupFilter(admin.SimpleListFilter):
    title = _("groups")
    parameter_name = "groups__id__exact"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [(str(group.pk), group_label(group)) for group in Group.objects.order_by("name")]

    def queryset(self, request: HttpRequest, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(groups__id=self.value())
        return queryset


DETAIL_LABELS = {
    "page": _("page"),
    "found_by": _("found by"),
    "days": _("days back"),
    "minutes": _("minimum overlap, minutes"),
    "contacts": _("contacts"),
    "created": _("records created"),
    "rows": _("rows"),
    "export": _("export"),
    "filters": _("filters"),
    "iins": _("IINs"),
    "address": _("address"),
    "status": _("status"),
    "source": _("source"),
    "valid_from": _("valid from"),
    "valid_until": _("valid until"),
    "reason": _("reason"),
    "from_account": _("from account"),
    "to_account": _("to account"),
    "file": _("file"),
    "results": _("lab results"),
    "records": _("records created"),
    "bin": _("BIN"),
    "via": _("verified"),
    "from": _("from account"),
    "to": _("to account"),
}
DETAIL_VALUES = {
    "visit list": _("visit list"),
    "visit": _("visit"),
    "phone": _("phone number"),
    "iin": _("IIN"),
    "tracing": _("contact tracing"),
    "venue visits": _("visits of a venue"),
    # Statuses and sources, as their own choices name them (accounts imports no app above it).
    "green": _("Green"),
    "blue": _("Blue"),
    "yellow": _("Yellow"),
    "red": _("Red"),
    "pcr_negative": _("negative PCR test"),
    "pcr_positive": _("positive PCR test"),
    "vaccination": _("vaccination"),
    "recovery": _("recovery"),
    "contact": _("contact with a case"),
    "manual": _("set by an epidemiologist"),
    "operator": _("by an operator"),
    "registry": _("by the state registry"),
}


class LanguageTaggedFieldsMixin:
    """Each language's box of a translated field says its language (`lang`).

    The English name of a venue is English on purpose: marked so, a screen
    reader pronounces it as English, and the page stays Kazakh around it.
    """

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs: Any):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        # modeltranslation's per-language fields know their language.
        language = getattr(db_field, "language", None)
        if field is not None and language:
            field.widget.attrs["lang"] = language
        return field


@admin.register(User)
class UserAdmin(PersonShownAuditMixin, AdminPagesMixin, admin.ModelAdmin):
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
    object_pages = {"move-iin": "move_iin_view"}

    def move_iin_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Move a claimed IIN to the account of the person who proved it is theirs."""
        return self.object_form_page(
            request,
            object_id,
            form_class=MoveIinForm,
            act=lambda source, data: self._move_iin(request, source, data),
            done=_("The IIN has been moved."),
            title=_("Move the IIN to another account"),
            template="admin/accounts/user/move_iin.html",
        )

    def _move_iin(self, request: HttpRequest, source: User, data: dict[str, Any]) -> str:
        user_move_iin(
            source=source,
            target=data["phone"],
            by=request.user,
            reason=data["reason"],
            request=request,
        )
        return reverse("admin:accounts_user_change", args=[data["phone"].pk])

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list:
        if self.has_change_permission(request, obj):
            return self.fieldsets
        # Read-only, the groups are listed by name: with their translated one.
        return [
            (title, {"fields": ["groups_shown" if f == "groups" else f for f in box["fields"]]})
            for title, box in self.fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list:
        return [*self.readonly_fields, "groups_shown"]

    @admin.display(description=_("groups"))
    def groups_shown(self, user: User) -> str:
        return ", ".join(group_label(group) for group in user.groups.all())

    def get_list_filter(self, request: HttpRequest) -> list:
        return [GroupFilter if name == "groups" else name for name in self.list_filter]

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs: Any):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups" and field is not None:
            field.label_from_instance = group_label
        return field


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: the log is evidence, not a working document."""

    list_display = ["created_at", "actor", "action", "iin", "object_shown", "object_id", "ip"]
    list_filter = ["action", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["iin", "actor__phone", "actor__full_name", "object_id"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]

    readonly_fields = ["object_shown", "detail_shown"]
    exclude = ["object_type", "detail"]

    @admin.display(description=_("details"))
    def detail_shown(self, entry: AuditEntry) -> str:
        # Keys and a few values are internal English words; shown translated,
        # anything unknown as it was written.
        rows = [
            (
                str(DETAIL_LABELS.get(key, key)),
                str(DETAIL_VALUES.get(value, value)) if isinstance(value, str) else value,
            )
            for key, value in (entry.detail or {}).items()
        ]
        return format_html_join(mark_safe("<br>"), "{}: {}", rows)

    @admin.display(description=_("object type"), ordering="object_type")
    def object_shown(self, entry: AuditEntry) -> str:
        # Stored as the model's label ("accounts.user"); shown by its name.
        if not entry.object_type:
            return ""
        try:
            return str(apps.get_model(entry.object_type)._meta.verbose_name)
        except (LookupError, ValueError):
            return entry.object_type
