import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def citizen(client) -> User:
    user = User.objects.create_user("+77011234567", full_name="Aruzhan")
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return user


def _account_reads(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    return sum('FROM "accounts_user"' in query["sql"] for query in queries.captured_queries)


def test_the_signed_in_account_is_read_from_the_database_once(client, citizen):
    assert _account_reads(client) == 1
    assert _account_reads(client) == 0


def test_a_saved_change_is_seen_on_the_next_request(client, citizen):
    _account_reads(client)
    citizen.full_name = "Aruzhan Serikovna"
    citizen.save()

    assert _account_reads(client) == 1
    assert "Aruzhan Serikovna" in client.get(reverse("profile")).content.decode()


def test_a_deactivated_account_is_signed_out_at_once(client, citizen):
    _account_reads(client)
    citizen.is_active = False
    citizen.save()

    response = client.get(reverse("visits:history"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))


def test_a_deleted_account_is_signed_out_at_once(client, citizen):
    _account_reads(client)
    citizen.delete()

    response = client.get(reverse("visits:history"))

    assert response.status_code == 302


def test_zero_seconds_reads_the_database_every_time(client, citizen, settings):
    settings.USER_CACHE_SECONDS = 0

    assert _account_reads(client) == 1
    assert _account_reads(client) == 1
