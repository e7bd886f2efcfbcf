import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.collation import collation_key, sorted_by_name
from accounts.forms import CoordinateField, IdentifierField, PhoneField, translate_field_errors
from accounts.identifiers import validate_bin_or_iin
from venues.models import VENUE_OWNER_FIELDS, Category, Region, Venue


class BinField(IdentifierField):
    """An organisation's BIN, or the IIN an individual entrepreneur registers with."""

    check = staticmethod(validate_bin_or_iin)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("BIN of the organisation"))
        kwargs.setdefault("error_messages", {"required": _("Enter the BIN.")})
        super().__init__(
            max_length=20,
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            **kwargs,
        )


PCR_CHOICES = [
    ("", _("As usual for this kind of venue")),
    ("yes", _("Yes: only green status may enter")),
    ("no", _("No")),
]


class OrganisationForm(forms.Form):
    bin = BinField(help_text=_("12 digits. An individual entrepreneur enters their IIN."))
    legal_name = forms.CharField(
        label=_("Legal name"),
        max_length=300,
        error_messages={"required": _("Enter the legal name of the organisation.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        translate_field_errors(self)


class DisputeForm(forms.Form):
    bin = BinField()
    message = forms.CharField(
        label=_("Why is this organisation yours?"),
        help_text=_("For example: you are its director, and since when. Optional."),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        translate_field_errors(self)


class VenueForm(forms.ModelForm):
    latitude = CoordinateField(
        limit=90, label=_("Latitude"), error_messages={"required": _("Enter the latitude.")}
    )
    longitude = CoordinateField(
        limit=180, label=_("Longitude"), error_messages={"required": _("Enter the longitude.")}
    )
    capacity = forms.IntegerField(
        label=_("Capacity"),
        min_value=1,
        max_value=100_000,
        help_text=_("The most people allowed inside at once."),
        error_messages={"required": _("Enter the capacity.")},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    pcr = forms.ChoiceField(
        label=_("PCR test mandatory at the entrance"), choices=PCR_CHOICES, required=False
    )
    max_stay_hours = forms.IntegerField(
        label=_("Maximum stay, hours"),
        min_value=1,
        max_value=24,
        initial=3,
        help_text=_("Visits still open after this long are closed automatically."),
        error_messages={"required": _("Enter the maximum stay in hours.")},
    )

    class Meta:
        model = Venue
        # `pcr_required` and `max_stay` come from fields of its own (venue_fields()).
        fields = [name for name in VENUE_OWNER_FIELDS if name not in ("pcr_required", "max_stay")]
        labels = {
            "name_kk": _("Name in Kazakh"),
            "name_ru": _("Name in Russian"),
            "name_en": _("Name in English"),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.all()
        self.fields["region"].queryset = Region.objects.all()
        self.fields["category"].empty_label = _("Choose…")
        self.fields["region"].empty_label = _("Choose…")
        # In the alphabet of the page's language (the database sorts Қ after Я);
        # categories keep the order set in the admin first.
        choose = ("", self.fields["region"].empty_label)
        self.fields["region"].choices = [
            choose,
            *((region.pk, str(region)) for region in sorted_by_name(Region.objects.all())),
        ]
        categories = sorted(
            Category.objects.all(), key=lambda c: (c.ordering, collation_key(str(c)))
        )
        self.fields["category"].choices = [choose, *((c.pk, str(c)) for c in categories)]
        for name in ("name_kk", "name_ru", "name_en"):
            self.fields[name].required = False
        self.fields["address"].error_messages["required"] = _("Enter the address.")
        self.fields["category"].error_messages["required"] = _("Choose the kind of venue.")
        self.fields["region"].error_messages["required"] = _("Choose the region.")
        translate_field_errors(self)
        if self.instance.pk:
            self.fields["pcr"].initial = "yes" if self.instance.pcr_required else "no"
            self.fields["max_stay_hours"].initial = int(
                self.instance.max_stay.total_seconds() // 3600
            )

    def clean(self) -> dict:
        cleaned = super().clean()
        if not any(cleaned.get(name) for name in ("name_kk", "name_ru", "name_en")):
            raise forms.ValidationError(
                _("Enter the name of the venue in at least one language."), code="name"
            )
        return cleaned

    def venue_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        pcr = self.cleaned_data.get("pcr")
        if pcr:
            data["pcr_required"] = pcr == "yes"
        elif self.instance.pk:
            data["pcr_required"] = data["category"].pcr_required_default
        data["max_stay"] = datetime.timedelta(hours=self.cleaned_data["max_stay_hours"])
        return data


class InviteForm(forms.Form):
    phone = PhoneField(label=_("Mobile number of your colleague"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        translate_field_errors(self)
