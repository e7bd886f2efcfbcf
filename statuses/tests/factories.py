import datetime
import itertools
from collections.abc import Iterator

from django.contrib.auth.models import Group

from accounts.identifiers import check_digit
from accounts.models import User
from accounts.tests.factories import UserFactory


def valid_iins(born: datetime.date = datetime.date(1985, 1, 1)) -> Iterator[str]:
    """Valid, distinct IINs of people born on `born` and the days after it.

    About 9 000 per birth date: the serials whose check digit exists.
    """
    century = "3" if born.year < 2000 else "5"
    for days in itertools.count():
        prefix = (born + datetime.timedelta(days=days)).strftime("%y%m%d") + century
        for serial in range(10_000):
            first11 = f"{prefix}{serial:04d}"
            digit = check_digit(first11)
            if digit is not None:
                yield f"{first11}{digit}"


def iin(number: int) -> str:
    """The `number`-th valid IIN: a stable, readable way to name people in tests."""
    return next(itertools.islice(valid_iins(), number, None))


def epidemiologist(**kwargs) -> User:
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name="epidemiologist"))
    return user
