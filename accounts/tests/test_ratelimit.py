import pytest

from accounts.ratelimit import allow, parse_rate


@pytest.mark.parametrize(
    ("rate", "expected"),
    [("120/m/user", (120, 60)), ("3/10m/key", (3, 600)), ("5/30s", (5, 30)), ("1/d", (1, 86400))],
)
def test_parse_rate(rate, expected):
    assert parse_rate(rate) == expected


def test_allow_counts_within_a_window_and_starts_again_in_the_next():
    start = 1_000_020.0

    assert [allow("k", "3/m", now=start + i) for i in range(4)] == [True, True, True, False]
    assert allow("k", "3/m", now=start + 60) is True


def test_allow_keeps_keys_apart():
    assert allow("a", "1/m", now=0) is True
    assert allow("b", "1/m", now=0) is True
    assert allow("a", "1/m", now=1) is False
