"""Accounts made by a code request that was never confirmed are deleted after a day."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from accounts.services import users_delete_unconfirmed
from accounts.tasks import delete_unconfirmed_accounts
from tests.sample import new_iin, new_phone
from venues.models import StaffMembership
from venues.tests.factories import VenueFactory
from visits.models import Visit

pytestmark = pytest.mark.django_db

NOW = timezone.now()
DAY = datetime.timedelta(days=1)


def account(*, joined_ago: datetime.timedelta = 2 * DAY, **fields) -> User:
    user = User.objects.create_user(new_phone(), **fields)
    User.objects.filter(pk=user.pk).update(date_joined=NOW - joined_ago)
    return user


def test_an_account_that_never_confirmed_a_code_goes_after_a_day():
    unconfirmed = account()

    assert users_delete_unconfirmed(now=NOW) == 1
    assert not User.objects.filter(pk=unconfirmed.pk).exists()


def kept_accounts() -> dict[str, User]:
    venue = VenueFactory()
    with_visit = account()
    Visit.objects.create(
        venue=venue,
        iin=new_iin(),
        user=with_visit,
        method=Visit.Method.SELF_SCAN,
        status="blue",
        admitted=True,
        checked_in_at=NOW - 2 * DAY,
    )
    staff = account()
    StaffMembership.objects.create(venue=venue, user=staff, added_by=venue.organisation.admin)
    return {
        "younger than a day": account(joined_ago=DAY - datetime.timedelta(minutes=1)),
        "confirmed phone": account(phone_verified=True),
        "with an IIN": account(iin=new_iin()),
        "signed in once": account(last_login=NOW - 2 * DAY),
        "admin": account(is_staff=True),
        "with a visit": with_visit,
        "working at a venue": staff,
        "organisation admin": venue.organisation.admin,
    }


def test_accounts_with_anything_to_them_stay():
    kept = kept_accounts()
    User.objects.filter(pk=kept["organisation admin"].pk).update(
        phone_verified=False, date_joined=NOW - 2 * DAY
    )

    assert users_delete_unconfirmed(now=NOW) == 0
    assert {name for name, user in kept.items() if User.objects.filter(pk=user.pk).exists()} == set(
        kept
    )


def test_the_daily_job_is_scheduled_and_deletes():
    account()

    assert delete_unconfirmed_accounts() == 1
    schedule = settings.CELERY_BEAT_SCHEDULE["delete-unconfirmed-accounts"]
    assert schedule == {
        "task": "accounts.tasks.delete_unconfirmed_accounts",
        "schedule": 24 * 3600,
    }
