"""docs/rules.md §3 as tables: the capacity a zone allows, and the rotating kiosk code."""

import hashlib
import hmac

import pytest

from venues.rules import (
    KIOSK_STEP_SECONDS,
    Zone,
    effective_capacity,
    kiosk_step,
    kiosk_token,
    kiosk_token_valid,
)

SHARES = {"green": 1.0, "yellow": 0.7, "red": 0.6}
SECRET = "a" * 64
OTHER_SECRET = "b" * 64
# 2021-09-10 06:00:15 UTC: fifteen seconds into a kiosk step.
NOW = 1_631_253_615.0
STEP = kiosk_step(NOW)


@pytest.mark.parametrize("zone", ["green", "yellow", "red", Zone.YELLOW, Zone.RED])
@pytest.mark.parametrize("capacity", [1, 5, 10, 90, 100, 100_000])
def test_effective_capacity_of_a_pcr_venue_is_full_in_every_zone(zone, capacity):
    assert effective_capacity(capacity, pcr_required=True, zone=zone, shares=SHARES) == capacity


@pytest.mark.parametrize(
    ("zone", "capacity", "expected"),
    [
        ("green", 100, 100),
        ("yellow", 100, 70),
        ("red", 100, 60),
        # 0.7 * 10 and 0.7 * 90 (62.99999…) must not floor one place short.
        ("yellow", 10, 7),
        ("yellow", 90, 63),
        ("yellow", 700, 490),
        ("red", 5, 3),
        ("red", 7, 4),
        ("yellow", 3, 2),
        ("yellow", 1, 0),
        ("red", 1, 0),
        ("green", 1, 1),
        ("green", 0, 0),
        ("yellow", 0, 0),
        ("red", 0, 0),
        (Zone.YELLOW, 100, 70),
        (Zone.RED, 100_000, 60_000),
    ],
)
def test_effective_capacity_of_a_non_pcr_venue_takes_the_zone_share(zone, capacity, expected):
    assert effective_capacity(capacity, pcr_required=False, zone=zone, shares=SHARES) == expected


@pytest.mark.parametrize("zone", ["green", "yellow", "red"])
def test_effective_capacity_of_zero_places_is_zero_even_with_pcr(zone):
    assert effective_capacity(0, pcr_required=True, zone=zone, shares=SHARES) == 0


@pytest.mark.parametrize(
    ("shares", "zone", "capacity", "expected"),
    [
        ({"green": 1.0, "yellow": 0.5, "red": 0.25}, "yellow", 9, 4),
        ({"green": 1.0, "yellow": 0.5, "red": 0.25}, "red", 9, 2),
        ({"green": 1.0, "yellow": 0.5, "red": 0.25}, "green", 9, 9),
        ({"green": 0.9, "yellow": 0.7, "red": 0.6}, "green", 10, 9),
        ({"green": 1.0, "yellow": 0.7, "red": 0.0}, "red", 100, 0),
        # A zone the settings do not mention keeps the full capacity.
        ({}, "yellow", 100, 100),
        ({"green": 1.0}, "red", 100, 100),
    ],
)
def test_effective_capacity_follows_custom_shares(shares, zone, capacity, expected):
    assert effective_capacity(capacity, pcr_required=False, zone=zone, shares=shares) == expected


@pytest.mark.parametrize("percent", range(101))
def test_effective_capacity_floors_exactly_for_every_whole_percent(percent):
    # ZONE_*_CAPACITY_PERCENT is a whole percent turned into a float share.
    shares = {"green": 1.0, "yellow": percent / 100, "red": percent / 100}
    capacities = [*range(2001), *range(99_000, 100_001)]

    wrong = [
        capacity
        for capacity in capacities
        if effective_capacity(capacity, pcr_required=False, zone="yellow", shares=shares)
        != capacity * percent // 100
    ]

    assert wrong == []


def test_effective_capacity_refuses_an_unknown_zone():
    with pytest.raises(ValueError, match="purple"):
        effective_capacity(100, pcr_required=False, zone="purple", shares=SHARES)


@pytest.mark.parametrize(
    ("unix_time", "expected"),
    [
        (0.0, 0),
        (29.999, 0),
        (30.0, 1),
        (59.999, 1),
        (60.0, 2),
        (NOW, 54_375_120),
    ],
)
def test_kiosk_step_changes_every_30_seconds(unix_time, expected):
    assert KIOSK_STEP_SECONDS == 30
    assert kiosk_step(unix_time) == expected


@pytest.mark.parametrize(
    ("unix_time", "step_seconds", "expected"), [(9.999, 10, 0), (10.0, 10, 1), (29.999, 10, 2)]
)
def test_kiosk_step_takes_another_step_length(unix_time, step_seconds, expected):
    assert kiosk_step(unix_time, step_seconds) == expected


def test_kiosk_token_is_the_step_and_twenty_hex_digits_of_its_hmac():
    digest = hmac.new(SECRET.encode(), str(STEP).encode(), hashlib.sha256).hexdigest()

    assert kiosk_token(SECRET, STEP) == f"{STEP}.{digest[:20]}"
    assert kiosk_token(SECRET, STEP) != kiosk_token(OTHER_SECRET, STEP)
    assert kiosk_token(SECRET, STEP) != kiosk_token(SECRET, STEP + 1)


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (STEP, True),
        # A scan made just before the code turned over still works.
        (STEP - 1, True),
        (STEP - 2, False),
        (STEP - 100, False),
        (STEP + 1, False),
        (0, False),
    ],
)
def test_kiosk_token_valid_accepts_the_current_and_the_previous_step_only(step, expected):
    assert kiosk_token_valid(SECRET, kiosk_token(SECRET, step), NOW) is expected


@pytest.mark.parametrize(
    ("unix_time", "expected"),
    [
        (STEP * 30, True),
        (STEP * 30 + 29.999, True),
        (STEP * 30 + 30, True),
        (STEP * 30 + 59.999, True),
        (STEP * 30 + 60, False),
        (STEP * 30 - 0.001, False),
    ],
)
def test_kiosk_token_valid_lives_between_one_and_two_steps(unix_time, expected):
    assert kiosk_token_valid(SECRET, kiosk_token(SECRET, STEP), unix_time) is expected


def test_kiosk_token_valid_refuses_another_venues_secret():
    assert kiosk_token_valid(SECRET, kiosk_token(OTHER_SECRET, STEP), NOW) is False


def _tampered(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("0" if last != "0" else "1")


@pytest.mark.parametrize(
    "token",
    [
        _tampered(kiosk_token(SECRET, STEP)),
        kiosk_token(SECRET, STEP)[:-1],
        kiosk_token(SECRET, STEP) + "0",
        kiosk_token(SECRET, STEP).upper(),
        f"{STEP}.{kiosk_token(SECRET, STEP - 1).partition('.')[2]}",
        f"0{kiosk_token(SECRET, STEP)}",
        f" {kiosk_token(SECRET, STEP)}",
        f"+{kiosk_token(SECRET, STEP)}",
        f"{STEP}",
        f"{STEP}.",
    ],
    ids=[
        "digest-changed",
        "digest-shortened",
        "digest-lengthened",
        "upper-case",
        "previous-steps-digest",
        "leading-zero",
        "leading-space",
        "plus-sign",
        "step-only",
        "empty-digest",
    ],
)
def test_kiosk_token_valid_refuses_a_tampered_token(token):
    assert kiosk_token_valid(SECRET, token, NOW) is False


@pytest.mark.parametrize(
    "token",
    ["", "abc", "12", "1.2.3", ".", "١٢.abc", "١٢", "¹².abc", None],
    ids=[
        "empty",
        "letters",
        "digits",
        "three-parts",
        "dot",
        "arabic-digits-dot",
        "arabic-digits",
        "superscript",
        "none",
    ],
)
def test_kiosk_token_valid_refuses_garbage(token):
    assert kiosk_token_valid(SECRET, token, NOW) is False


@pytest.mark.parametrize(
    "digest", ["é", "ü" * 20, "٠" * 20], ids=["e-acute", "u-umlaut", "arabic-zeros"]
)
def test_kiosk_token_valid_refuses_a_non_ascii_digest(digest):
    assert kiosk_token_valid(SECRET, f"{STEP}.{digest}", NOW) is False
