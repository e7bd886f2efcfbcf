import pytest
from django.conf import settings

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    return client


def test_the_admin_sends_strangers_to_the_sms_sign_in(client):
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/accounts/login/code/?next=")
    assert response.status_code == 200


def test_the_admin_opens_for_staff(client):
    client.force_login(User.objects.create_superuser("+77010000000"))

    response = client.get("/admin/")

    assert response.status_code == 200


def test_the_admin_is_closed_to_citizens(client):
    client.force_login(User.objects.create_user("+77011234567"))

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403
    assert "Доступ запрещён" in response.content.decode()
