"""What the door pages show of a venue, kept in the cache.

The venue page a QR opens, the answer page after it and the staff page after
every scan show the same few facts of a venue: its names, its category, its
capacity and zone, whether it is suspended or in its test week. They change
a few times a year and are read millions of times a day, so they come from
the cache (one round trip) instead of a four-table join. Admission never
reads them: the check-in decides on the locked venue row (visits/checkin_queries.py).

Any save or delete of a venue, category, region or organisation, and the
services that change them with a queryset update, forget every card at once
by starting a new generation; a card of an older generation is read again.
"""

import datetime
import uuid
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone, translation

from venues.models import Category, Organisation, Region, Venue

_GENERATION = "venue-card:generation"
# Long enough to matter, short enough that a change made behind the ORM's
# back (a manual UPDATE in psql) shows within the hour.
_SECONDS = 3600


def _in_language(names: dict[str, str]) -> str:
    # The same order as MODELTRANSLATION_FALLBACK_LANGUAGES: the page's own
    # language first, then Russian, Kazakh and English.
    for language in (translation.get_language() or "", "ru", "kk", "en"):
        if names.get(language):
            return names[language]
    return names.get("", "")


class _Named:
    """A card with `names` by language ("" for the default) and the one to show."""

    names: dict[str, str]

    @property
    def name(self) -> str:
        return _in_language(self.names)


@dataclass(frozen=True)
class CategoryCard(_Named):
    names: dict[str, str]
    essential: bool


@dataclass(frozen=True)
class RegionCard:
    zone: str


@dataclass(frozen=True)
class VenueCard(_Named):
    """A venue as the door pages show it; shaped like `Venue` where they read it."""

    pk: int
    code: str
    names: dict[str, str]
    address: str
    category: CategoryCard
    region: RegionCard
    capacity: int
    pcr_required: bool
    latitude: float
    longitude: float
    suspended: bool
    suspended_reason: str
    test_mode_until: datetime.datetime
    organisation_verified: bool
    generation: str = field(default="", compare=False)

    @property
    def id(self) -> int:
        return self.pk

    def in_test_mode(self, now: datetime.datetime | None = None) -> bool:
        return (now or timezone.now()) < self.test_mode_until


def _key(*, code: str = "", venue_id: int | None = None) -> str:
    return f"venue-card:c:{code}" if code else f"venue-card:i:{venue_id}"


def venue_card(*, code: str = "", venue_id: int | None = None) -> VenueCard | None:
    """The venue by its public code or id, from the cache when it is there; None if
    there is no such venue. One cache round trip when cached, one query when not."""
    key = _key(code=code, venue_id=venue_id)
    found = cache.get_many([_GENERATION, key])
    generation = found.get(_GENERATION)
    card = found.get(key)
    if card is not None and generation is not None and card.generation == generation:
        return card
    venues = Venue.objects.select_related("category", "organisation", "region")
    venue = venues.filter(code=code).first() if code else venues.filter(pk=venue_id).first()
    if venue is None:
        return None
    if generation is None:
        generation = uuid.uuid4().hex
        # add: two workers starting a generation at once agree on one.
        if not cache.add(_GENERATION, generation, None):
            generation = cache.get(_GENERATION) or generation
    card = _card_of(venue, generation)
    cache.set_many({_key(code=card.code): card, _key(venue_id=card.pk): card}, _SECONDS)
    return card


def _card_of(venue: Venue, generation: str) -> VenueCard:
    def names(obj: object) -> dict[str, str]:
        values = {lang: getattr(obj, f"name_{lang}", "") or "" for lang in ("kk", "ru", "en")}
        return {**values, "": obj.name}

    return VenueCard(
        pk=venue.pk,
        code=venue.code,
        names=names(venue),
        address=venue.address,
        category=CategoryCard(names=names(venue.category), essential=venue.category.essential),
        region=RegionCard(zone=venue.region.zone),
        capacity=venue.capacity,
        pcr_required=venue.pcr_required,
        latitude=float(venue.latitude),
        longitude=float(venue.longitude),
        suspended=venue.suspended,
        suspended_reason=venue.suspended_reason,
        test_mode_until=venue.test_mode_until,
        organisation_verified=venue.organisation.verified_at is not None,
        generation=generation,
    )


def venue_cards_forget() -> None:
    """Every card is stale from now on (one cache command, whatever the number of venues).

    Again when the transaction commits: a page read between the change and the
    commit would otherwise cache the old row under the new generation.
    """
    cache.set(_GENERATION, uuid.uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(_GENERATION, uuid.uuid4().hex, None))


@receiver(post_save, sender=Venue)
@receiver(post_save, sender=Category)
@receiver(post_save, sender=Region)
@receiver(post_save, sender=Organisation)
@receiver(post_delete, sender=Venue)
@receiver(post_delete, sender=Category)
@receiver(post_delete, sender=Region)
@receiver(post_delete, sender=Organisation)
def _forget_on_change(sender: type, **kwargs) -> None:
    venue_cards_forget()
