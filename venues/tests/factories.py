import datetime
import itertools
from collections.abc import Iterator
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.identifiers import check_digit
from accounts.tests import factories as accounts_factories
from venues.models import Category, Organisation, Region, Venue


def valid_bins() -> Iterator[str]:
    """Valid, distinct BINs: head offices (type 4, division 0) registered in January 2005."""
    for serial in itertools.count():
        first11 = f"050140{serial:05d}"
        digit = check_digit(first11)
        if digit is not None:
            yield f"{first11}{digit}"


_bins = valid_bins()


class UserFactory(accounts_factories.UserFactory):
    """A named person reading English; phones of their own, apart from the other apps' tests."""

    phone = factory.Sequence(lambda n: f"+7702{n:07d}")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    language = "en"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    bin = factory.LazyFunction(lambda: next(_bins))
    legal_name = factory.Sequence(lambda n: f"Organisation {n} LLP")
    admin = factory.SubFactory(UserFactory)
    # Verified, as nearly every test needs; tests of a pending one say so.
    verified_at = factory.LazyFunction(timezone.now)


class VenueFactory(factory.django.DjangoModelFactory):
    """A grocery in Almaty with a different name in each language, so that a
    text shows which language it was rendered in."""

    class Meta:
        model = Venue

    organisation = factory.SubFactory(OrganisationFactory)
    name_kk = factory.Sequence(lambda n: f"Дүкен {n}")
    name_ru = factory.Sequence(lambda n: f"Магазин {n}")
    name_en = factory.Sequence(lambda n: f"Corner shop {n}")
    name = factory.SelfAttribute("name_kk")
    category = factory.LazyFunction(lambda: Category.objects.get(code="grocery"))
    region = factory.LazyFunction(lambda: Region.objects.get(code="almaty"))
    address = "Abay Avenue 10, Almaty"
    latitude = Decimal("43.238949")
    longitude = Decimal("76.889709")
    capacity = 50
    max_stay = datetime.timedelta(hours=3)
