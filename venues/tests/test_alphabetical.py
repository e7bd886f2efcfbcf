"""Regions and categories are listed in the alphabet of the page's language."""

import re

import pytest
from django.urls import reverse

from accounts.collation import collation_key
from statuses.tests.factories import UserFactory, epidemiologist
from venues.models import Region

pytestmark = pytest.mark.django_db


def options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [text.strip() for text in re.findall(r"<option[^>]*>([^<]*)</option>", select)][1:]


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_registration_form_lists_regions_alphabetically(client, language):
    client.force_login(UserFactory(language=language))
    client.cookies["django_language"] = language

    shown = options(client.get(reverse("venues:register")).content.decode(), "venue-region")

    names = [getattr(region, f"name_{language}") for region in Region.objects.all()]
    assert shown == sorted(names, key=lambda name: collation_key(name, language))
    assert len(shown) == Region.objects.count()


def test_kazakh_regions_with_kazakh_letters_are_not_last(client):
    client.force_login(UserFactory(language="kk"))
    client.cookies["django_language"] = "kk"

    shown = options(client.get(reverse("venues:register")).content.decode(), "venue-region")

    # Code-point order would put every «Қ…», «Ұ…», «Ү…» region after «Ш…».
    assert shown.index("Қарағанды облысы") < shown.index("Маңғыстау облысы")
    assert shown[-1][0] not in "ҚҰҮӘӨҢҒҺІ"


def test_the_admin_region_list_and_filters_are_alphabetical(client):
    client.force_login(epidemiologist(language="kk"))
    client.cookies["django_language"] = "kk"

    regions = client.get(reverse("admin:venues_region_changelist")).content.decode()
    visits = client.get(reverse("admin:visits_visit_changelist")).content.decode()

    expected = sorted(Region.objects.values_list("name_kk", flat=True), key=collation_key)
    listed = re.findall(r'<th class="field-name"><a [^>]*>([^<]*)</a>', regions)
    assert listed == expected
    filter_block = visits[visits.index("venue__region__id__exact") - 2000 :]
    linked = re.findall(r'venue__region__id__exact=\d+"[^>]*>([^<]*)</a>', filter_block)
    assert linked == expected
