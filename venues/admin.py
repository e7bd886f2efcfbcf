from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.db.models import Case, QuerySet, When
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin

from accounts.admin import LanguageTaggedFieldsMixin
from accounts.collation import collation_key, sorted_by_name
from venues.models import Category, Invitation, Organisation, Region, StaffMembership, Venue


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


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "bin", "admin", "created_at"]
    search_fields = ["legal_name", "bin", "admin__phone"]
    raw_id_fields = ["admin"]
    inlines = [VenueInline]


class StaffInline(admin.TabularInline):
    model = StaffMembership
    raw_id_fields = ["user", "added_by"]
    extra = 0


@admin.register(Venue)
class VenueAdmin(LanguageTaggedFieldsMixin, TranslationAdmin):
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

    @admin.action(description=_("Suspend the selected venues"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[Venue]) -> None:
        count = queryset.update(suspended=True)
        self.message_user(
            request,
            ngettext("%(count)d venue suspended.", "%(count)d venues suspended.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Lift the suspension of the selected venues"))
    def resume(self, request: HttpRequest, queryset: QuerySet[Venue]) -> None:
        count = queryset.update(suspended=False, suspended_reason="")
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
