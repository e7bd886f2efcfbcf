from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.db.models import Case, QuerySet, When
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy
from modeltranslation.admin import TranslationAdmin

from accounts.admin import LanguageTaggedFieldsMixin
from accounts.collation import collation_key, sorted_by_name
from accounts.forms import reason_field
from venues.models import (
    Category,
    Invitation,
    Organisation,
    OrganisationDispute,
    Region,
    StaffMembership,
    Venue,
)
from venues.services import organisation_transfer, venue_resume, venue_suspend
from venues.verification import (
    organisation_unverify,
    organisation_verification_check,
    organisation_verify,
)


class ReasonForm(forms.Form):
    reason = reason_field(max_length=2000, error_messages={"required": _("Say why.")})


def _action_with_reason(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    title: str,
    apply: Callable[..., bool],
    done: Any,
    submit: str = "",
) -> TemplateResponse | None:
    """An action that needs a reason: the page that asks for it (its button says
    `submit`, or the title), and once it is given, the service `apply` on each
    selected row and `done` (a plural message counting the rows it changed) said."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        count = sum(apply(obj, by=request.user, reason=reason, request=request) for obj in queryset)
        modeladmin.message_user(request, done % {"count": count}, messages.SUCCESS)
        return None
    return TemplateResponse(
        request,
        "admin/venues/reason.html",
        {
            **modeladmin.admin_site.each_context(request),
            "opts": modeladmin.model._meta,
            "title": title,
            "submit": submit or title,
            "queryset": queryset,
            # The page posts back to the admin action that asked for it.
            "action": request.POST["action"],
            "form": form,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        },
    )


def labelled_changelist_form(form_class: type[forms.ModelForm]) -> type[forms.ModelForm]:
    """A list_editable form whose fields are labelled by the row: Django's are not."""

    class Labelled(form_class):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            for field in self.fields.values():
                field.widget.attrs["aria-label"] = f"{field.label}: {self.instance}"

    return Labelled


class AlphabeticalRelatedFilter(admin.RelatedFieldListFilter):
    """A filter by region or category listed in the alphabet of the page's language."""

    def field_choices(self, field, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        choices = super().field_choices(field, request, model_admin)
        return sorted(choices, key=lambda choice: collation_key(str(choice[1])))


class AlphabeticalChangeList(ChangeList):
    """Rows in the alphabet of the language unless a column is chosen to sort by."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        if ORDER_VAR not in self.params:
            # Still a queryset: list_editable builds its formset from it.
            rows = sorted_by_name(self.result_list)
            order = Case(*(When(pk=row.pk, then=place) for place, row in enumerate(rows)))
            self.result_list = self.model._default_manager.filter(
                pk__in=[row.pk for row in rows]
            ).order_by(order)


@admin.register(Region)
class RegionAdmin(LanguageTaggedFieldsMixin, TranslationAdmin):
    list_display = ["name", "zone", "zone_changed_at"]
    list_editable = ["zone"]
    list_filter = ["zone"]
    search_fields = ["name_kk", "name_ru", "name_en", "code"]
    readonly_fields = ["zone_changed_at"]

    def get_changelist(self, request: HttpRequest, **kwargs):
        return AlphabeticalChangeList

    def get_changelist_form(self, request: HttpRequest, **kwargs):
        return labelled_changelist_form(super().get_changelist_form(request, **kwargs))

    def save_model(self, request: HttpRequest, obj: Region, form, change: bool) -> None:
        if "zone" in form.changed_data:
            obj.zone_changed_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(Category)
class CategoryAdmin(LanguageTaggedFieldsMixin, TranslationAdmin):
    list_display = ["name", "essential", "pcr_required_default", "ordering"]
    list_editable = ["essential", "pcr_required_default", "ordering"]
    search_fields = ["name_kk", "name_ru", "name_en", "code"]

    def get_changelist_form(self, request: HttpRequest, **kwargs):
        return labelled_changelist_form(super().get_changelist_form(request, **kwargs))


class VenueInline(admin.TabularInline):
    model = Venue
    fields = ["name", "category", "region", "address", "capacity", "suspended"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


class VerifiedFilter(admin.SimpleListFilter):
    title = _("verification")
    parameter_name = "verified"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [("no", _("waiting for verification")), ("yes", _("verified"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(verified_at__isnull=self.value() == "no")
        return queryset


class OrganisationForm(forms.ModelForm):
    transfer_reason = reason_field(
        _(
            "Needed when you give the organisation to another account: the dispute, the "
            "documents you checked."
        ),
        label=_("Reason for the transfer"),
        rows=2,
        required=False,
    )

    class Meta:
        model = Organisation
        fields = ["bin", "legal_name", "admin"]

    def clean(self) -> dict:
        cleaned = super().clean()
        if (
            self.instance.pk
            and "admin" in self.changed_data
            and not cleaned.get("transfer_reason", "").strip()
        ):
            self.add_error("transfer_reason", _("Say why the organisation changes hands."))
        return cleaned


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationForm
    list_display = ["legal_name", "bin", "admin", "is_verified", "verified_at", "created_at"]
    list_filter = [VerifiedFilter]
    search_fields = ["legal_name", "bin", "admin__phone"]
    raw_id_fields = ["admin"]
    readonly_fields = ["verified_at", "verified_by", "verified_via", "created_at"]
    fields = [
        "bin",
        "legal_name",
        "admin",
        "transfer_reason",
        "verified_at",
        "verified_by",
        "verified_via",
        "created_at",
    ]
    inlines = [VenueInline]
    actions = ["verify", "check_again", "unverify"]

    def get_fields(self, request: HttpRequest, obj: Organisation | None = None) -> list[str]:
        # The transfer reason is a form field, not a column: a read-only page has none.
        if self.has_change_permission(request, obj):
            return self.fields
        return [name for name in self.fields if name != "transfer_reason"]

    @admin.display(boolean=True, description=_("verified"))
    def is_verified(self, obj: Organisation) -> bool:
        return obj.is_verified

    def save_model(self, request: HttpRequest, obj: Organisation, form, change: bool) -> None:
        if change and "admin" in form.changed_data:
            new_admin = obj.admin
            obj.admin_id = form.initial["admin"]
            super().save_model(request, obj, form, change)
            organisation_transfer(
                obj,
                to=new_admin,
                by=request.user,
                reason=form.cleaned_data["transfer_reason"].strip(),
                request=request,
            )
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description=_("Verify the selected organisations"))
    def verify(self, request: HttpRequest, queryset: QuerySet[Organisation]) -> None:
        count = sum(
            organisation_verify(
                organisation,
                by=request.user,
                via=Organisation.VerifiedVia.OPERATOR,
                request=request,
            )
            for organisation in queryset
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d organisation verified: its staff may now look people up.",
                "%(count)d organisations verified: their staff may now look people up.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Ask the verification backend again"))
    def check_again(self, request: HttpRequest, queryset: QuerySet[Organisation]) -> None:
        # For the registry backend: it was down, or the administrator has
        # since added the IIN it needs.
        pending = list(queryset.filter(verified_at__isnull=True).select_related("admin"))
        count = sum(organisation_verification_check(o).verified for o in pending)
        self.message_user(
            request,
            ngettext(
                "%(count)d of %(asked)d organisations verified.",
                "%(count)d of %(asked)d organisations verified.",
                count,
            )
            % {"count": count, "asked": len(pending)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Withdraw the verification of the selected organisations"))
    def unverify(
        self, request: HttpRequest, queryset: QuerySet[Organisation]
    ) -> HttpResponse | None:
        return _action_with_reason(
            self,
            request,
            queryset,
            title=_("Withdraw the verification"),
            apply=organisation_unverify,
            done=ngettext_lazy(
                "%(count)d organisation is waiting for verification again.",
                "%(count)d organisations are waiting for verification again.",
                "count",
            ),
        )


@admin.register(OrganisationDispute)
class OrganisationDisputeAdmin(admin.ModelAdmin):
    list_display = ["organisation", "claimant", "created_at", "resolved_at"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["organisation__bin", "organisation__legal_name", "claimant__phone"]
    raw_id_fields = ["organisation", "claimant"]
    readonly_fields = ["created_at"]


class StaffInline(admin.TabularInline):
    model = StaffMembership
    raw_id_fields = ["user", "added_by"]
    extra = 0


class VenueForm(forms.ModelForm):
    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("suspended") and not (cleaned.get("suspended_reason") or "").strip():
            self.add_error("suspended_reason", _("Say why the venue is suspended."))
        return cleaned


@admin.register(Venue)
class VenueAdmin(LanguageTaggedFieldsMixin, TranslationAdmin):
    form = VenueForm
    list_display = [
        "name",
        "organisation",
        "category",
        "region",
        "capacity",
        "pcr_required",
        "suspended",
        "test_mode_until",
    ]
    list_filter = [
        "suspended",
        "pcr_required",
        ("category", AlphabeticalRelatedFilter),
        ("region", AlphabeticalRelatedFilter),
        "kiosk_only",
    ]
    search_fields = ["name_kk", "name_ru", "name_en", "code", "organisation__bin", "address"]
    list_select_related = ["organisation", "category", "region"]
    raw_id_fields = ["organisation"]
    readonly_fields = ["code", "created_at"]
    inlines = [StaffInline]
    actions = ["suspend", "resume"]

    def save_model(self, request: HttpRequest, obj: Venue, form, change: bool) -> None:
        # The suspension goes through the services, so that it is audited.
        suspended, reason = obj.suspended, obj.suspended_reason
        if change and {"suspended", "suspended_reason"} & set(form.changed_data):
            obj.suspended = form.initial.get("suspended", False)
            obj.suspended_reason = form.initial.get("suspended_reason", "")
            super().save_model(request, obj, form, change)
            if suspended:
                venue_suspend(obj, by=request.user, reason=reason, request=request)
            else:
                venue_resume(obj, by=request.user, request=request)
            return
        super().save_model(request, obj, form, change)
        if not change and suspended:
            venue_suspend(obj, by=request.user, reason=reason, request=request)

    @admin.action(description=_("Suspend the selected venues"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[Venue]) -> HttpResponse | None:
        return _action_with_reason(
            self,
            request,
            queryset,
            title=_("Suspend venues"),
            apply=venue_suspend,
            done=ngettext_lazy(
                "%(count)d venue suspended.", "%(count)d venues suspended.", "count"
            ),
            submit=_("Suspend"),
        )

    @admin.action(description=_("Lift the suspension of the selected venues"))
    def resume(self, request: HttpRequest, queryset: QuerySet[Venue]) -> None:
        count = sum(venue_resume(venue, by=request.user, request=request) for venue in queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d venue may admit visitors again.",
                "%(count)d venues may admit visitors again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["phone", "venue", "invited_by", "created_at", "accepted_at"]
    search_fields = ["phone", "venue__name"]
    raw_id_fields = ["venue", "invited_by"]
