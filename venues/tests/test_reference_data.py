"""The regions and kinds of venue loaded by venues/migrations/0002_reference_data.py."""

import pytest

from venues.models import Category, Region

pytestmark = pytest.mark.django_db

CITIES = {"astana", "almaty", "shymkent"}
REGIONS = {
    "abai",
    "akmola",
    "aktobe",
    "almaty-region",
    "atyrau",
    "east-kazakhstan",
    "jambyl",
    "jetisu",
    "karaganda",
    "kostanay",
    "kyzylorda",
    "mangystau",
    "north-kazakhstan",
    "pavlodar",
    "turkistan",
    "ulytau",
    "west-kazakhstan",
}


def test_there_are_17_regions_and_3_cities():
    codes = set(Region.objects.values_list("code", flat=True))

    assert len(REGIONS) == 17
    assert Region.objects.count() == 20
    assert codes == REGIONS | CITIES


def test_every_region_starts_in_the_green_zone():
    assert set(Region.objects.values_list("zone", flat=True)) == {"green"}
    assert Region.objects.filter(zone_changed_at__isnull=False).count() == 0


@pytest.mark.parametrize("model", [Region, Category])
def test_every_name_is_given_in_three_languages(model):
    missing = [
        (obj.code, language)
        for obj in model.objects.all()
        for language in ("kk", "ru", "en")
        if not (getattr(obj, f"name_{language}") or "").strip()
    ]

    assert missing == []


@pytest.mark.parametrize("model", [Region, Category])
def test_names_differ_between_russian_and_english(model):
    same = [obj.code for obj in model.objects.all() if obj.name_ru == obj.name_en]

    assert same == []


def test_there_are_25_categories():
    assert Category.objects.count() == 25


def test_grocery_household_and_pharmacy_are_the_only_essential_categories():
    essential = set(Category.objects.filter(essential=True).values_list("code", flat=True))

    assert essential == {"grocery", "household", "pharmacy"}


@pytest.mark.parametrize("code", ["cafe", "gym", "cinema", "theatre"])
def test_pcr_is_mandatory_by_default_where_people_sit_together(code):
    assert Category.objects.get(code=code).pcr_required_default is True


@pytest.mark.parametrize("code", ["grocery", "household", "pharmacy", "other"])
def test_pcr_is_not_mandatory_by_default_in_essential_shops(code):
    assert Category.objects.get(code=code).pcr_required_default is False


def test_no_essential_category_demands_pcr():
    assert Category.objects.filter(essential=True, pcr_required_default=True).count() == 0


def test_categories_come_in_their_intended_order():
    codes = list(Category.objects.values_list("code", flat=True)[:4])

    assert codes == ["grocery", "household", "pharmacy", "cafe"]
