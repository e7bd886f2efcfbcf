"""What the statuses tests share: a stopped clock."""

import datetime

import pytest

from accounts.tests.constants import NOW


@pytest.fixture
def now(time_machine) -> datetime.datetime:
    """The clock stopped at NOW, noon in Almaty."""
    time_machine.move_to(NOW, tick=False)
    return NOW
