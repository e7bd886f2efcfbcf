import pytest

from statuses.rules import Status
from visits.rules import Point, VenueFacts, admission_decision, distance_metres, status_decision

HOME = Point(43.238949, 76.889709)  # Almaty


def metres_north(point: Point, metres: float) -> Point:
    # One degree of latitude is 111 194.9 m on the mean-radius sphere.
    return Point(point.latitude + metres / 111_194.93, point.longitude)


def venue(**overrides) -> VenueFacts:
    facts = {
        "essential": False,
        "pcr_required": False,
        "suspended": False,
        "test_mode": False,
        "location": HOME,
        "effective_capacity": 50,
    }
    facts.update(overrides)
    return VenueFacts(**facts)


GROCERY_499 = venue(essential=True, location=metres_north(HOME, 499))
GROCERY_501 = venue(essential=True, location=metres_north(HOME, 501))
CAFE_PCR = venue(pcr_required=True)


@pytest.mark.parametrize(
    ("status", "facts", "isolation", "occupancy", "expected"),
    [
        # red: nowhere
        (Status.RED, venue(), HOME, 0, "red"),
        (Status.RED, GROCERY_499, HOME, 0, "red"),
        (Status.RED, venue(test_mode=True), HOME, 0, "red"),
        # yellow: essential venues within 500 m of the isolation point only
        (Status.YELLOW, GROCERY_499, HOME, 0, "admitted"),
        (Status.YELLOW, GROCERY_501, HOME, 0, "yellow_too_far"),
        (Status.YELLOW, venue(essential=False), HOME, 0, "yellow_not_essential"),
        (Status.YELLOW, GROCERY_499, None, 0, "yellow_no_isolation_point"),
        (Status.YELLOW, venue(essential=True, pcr_required=True), HOME, 0, "admitted"),
        # blue: everywhere but PCR venues
        (Status.BLUE, venue(), None, 0, "admitted"),
        (Status.BLUE, CAFE_PCR, None, 0, "pcr_required"),
        # green: everywhere, PCR venues included
        (Status.GREEN, CAFE_PCR, None, 0, "admitted"),
        (Status.GREEN, venue(), None, 0, "admitted"),
        # full: occupancy against the effective capacity
        (Status.GREEN, venue(effective_capacity=50), None, 49, "admitted"),
        (Status.GREEN, venue(effective_capacity=50), None, 50, "full"),
        (Status.BLUE, venue(effective_capacity=0), None, 0, "full"),
        # suspended: nobody
        (Status.GREEN, venue(suspended=True), None, 0, "suspended"),
        (Status.RED, venue(suspended=True), None, 0, "suspended"),
        # test mode: status rules apply, capacity does not count yet
        (Status.GREEN, venue(test_mode=True, effective_capacity=50), None, 50, "admitted"),
        (Status.BLUE, venue(test_mode=True, pcr_required=True), None, 0, "pcr_required"),
    ],
    ids=[
        "red-anywhere",
        "red-at-a-grocery-next-door",
        "red-in-test-mode",
        "yellow-essential-499m",
        "yellow-essential-501m",
        "yellow-not-essential",
        "yellow-no-isolation-point",
        "yellow-essential-pcr-venue",
        "blue-ordinary-venue",
        "blue-pcr-venue",
        "green-pcr-venue",
        "green-ordinary-venue",
        "one-place-left",
        "full",
        "zero-capacity",
        "suspended-green",
        "suspended-red",
        "test-mode-ignores-capacity",
        "test-mode-keeps-pcr",
    ],
)
def test_admission_decision(status, facts, isolation, occupancy, expected):
    decision = admission_decision(status, facts, isolation, occupancy)

    assert decision.code == expected
    assert decision.admitted == (expected == "admitted")
    assert str(decision.message)


@pytest.mark.parametrize(
    ("status", "facts", "isolation", "expected"),
    [
        # What the venue page says before "Enter": every status rule...
        (Status.RED, GROCERY_499, HOME, "red"),
        (Status.YELLOW, GROCERY_499, HOME, "admitted"),
        (Status.YELLOW, GROCERY_501, HOME, "yellow_too_far"),
        (Status.YELLOW, venue(essential=False), HOME, "yellow_not_essential"),
        (Status.YELLOW, GROCERY_499, None, "yellow_no_isolation_point"),
        (Status.BLUE, CAFE_PCR, None, "pcr_required"),
        (Status.BLUE, venue(), None, "admitted"),
        (Status.GREEN, CAFE_PCR, None, "admitted"),
        (Status.GREEN, venue(suspended=True), None, "suspended"),
        # ...but never "full": only the check-in knows who is inside.
        (Status.GREEN, venue(effective_capacity=0), None, "admitted"),
        (Status.BLUE, venue(effective_capacity=0, test_mode=True), None, "admitted"),
    ],
    ids=[
        "red",
        "yellow-near",
        "yellow-too-far",
        "yellow-not-essential",
        "yellow-no-isolation-point",
        "blue-pcr-venue",
        "blue-ordinary-venue",
        "green-pcr-venue",
        "suspended",
        "no-capacity-is-not-its-question",
        "no-capacity-in-test-mode",
    ],
)
def test_status_decision(status, facts, isolation, expected):
    decision = status_decision(status, facts, isolation)

    assert decision.code == expected
    assert decision.admitted == (expected == "admitted")
    # Whatever the status rules say, the full rule says the same at an empty venue.
    if expected != "admitted" or facts.effective_capacity > 0:
        assert admission_decision(status, facts, isolation, occupancy=0) == decision


@pytest.mark.parametrize(
    ("a", "b", "metres"),
    [
        (HOME, HOME, 0),
        (HOME, metres_north(HOME, 499), 499),
        (HOME, metres_north(HOME, 501), 501),
        # Almaty to Astana, about 971 km as the crow flies
        (HOME, Point(51.169392, 71.449074), 971_000),
    ],
)
def test_distance_metres(a, b, metres):
    assert distance_metres(a, b) == pytest.approx(metres, rel=0.01, abs=0.5)
