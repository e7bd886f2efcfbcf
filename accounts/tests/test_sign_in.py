import re

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

REQUEST_URL = reverse("account_request_login_code")
CONFIRM_URL = reverse("account_confirm_login_code")


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def request_code(client, django_capture_on_commit_callbacks, phone="+7 701 123 45 67", **extra):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(REQUEST_URL, {"phone": phone, **extra})


def code_from(sms_outbox) -> str:
    return re.search(r"\b(\d{6})\b", sms_outbox[-1].text).group(1)


def test_new_number_signs_in_with_the_code(client, sms_outbox, django_capture_on_commit_callbacks):
    response = request_code(client, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == CONFIRM_URL
    assert [sms.to for sms in sms_outbox] == ["+77011234567"]
    response = client.post(CONFIRM_URL, {"code": code_from(sms_outbox)})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    user = User.objects.get()
    assert str(user.phone) == "+77011234567"
    assert user.phone_verified
    assert int(client.session["_auth_user_id"]) == user.pk
