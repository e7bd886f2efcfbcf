import datetime
import uuid

import pytest
import segno
import time_machine
from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from accounts.personal_qr import (
    PREFIX,
    SALT,
    PersonalQRError,
    personal_qr_resolve,
    personal_qr_token,
)

pytestmark = pytest.mark.django_db

IIN = "061211600012"
PHONE = "+77011234567"
QR_URL = reverse("personal_qr")
START = datetime.datetime(2021, 9, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def user() -> User:
    return User.objects.create_user(PHONE, iin=IIN, full_name="Aigerim", language="ru")


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def resolve_error(token: str | None) -> PersonalQRError:
    with pytest.raises(PersonalQRError) as error:
        personal_qr_resolve(token)
    return error.value


def with_other_last_char(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def assert_never_cached(response) -> None:
    cache_control = response["Cache-Control"]
    assert "no-cache" in cache_control
    assert "no-store" in cache_control
    assert "max-age=0" in cache_control


def test_personal_qr_token_resolves_to_its_user(user):
    token = personal_qr_token(user)

    assert personal_qr_resolve(token) == user


def test_personal_qr_token_survives_surrounding_whitespace(user):
    # A barcode scanner "types" the code and presses Enter.
    token = personal_qr_token(user)

    assert personal_qr_resolve(f"  {token}\n") == user


def test_personal_qr_token_carries_neither_iin_nor_phone(user):
    token = personal_qr_token(user)

    assert token.startswith(PREFIX)
    assert IIN not in token
    assert PHONE not in token
    assert PHONE.lstrip("+") not in token
    assert PHONE[-10:] not in token


def test_personal_qr_token_is_valid_just_before_max_age(user):
    with time_machine.travel(START, tick=False) as traveller:
        token = personal_qr_token(user)
        traveller.shift(59)

        assert personal_qr_resolve(token) == user


def test_personal_qr_token_expires_after_max_age(user):
    with time_machine.travel(START, tick=False) as traveller:
        token = personal_qr_token(user)
        traveller.shift(61)

        error = resolve_error(token)

    assert error.code == "expired"
    with translation.override("en"):
        assert str(error.message) == (
            "This code has expired. Ask the person to open their status page again."
        )


def test_personal_qr_token_lifetime_follows_the_setting(user, settings):
    settings.PERSONAL_QR_MAX_AGE = 300
    with time_machine.travel(START, tick=False) as traveller:
        token = personal_qr_token(user)
        traveller.shift(299)
        assert personal_qr_resolve(token) == user
        traveller.shift(2)
        assert resolve_error(token).code == "expired"


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(with_other_last_char, id="changed-signature"),
        pytest.param(
            lambda token: (
                PREFIX
                + signing.TimestampSigner(salt="other").sign(token[len(PREFIX) :].split(":")[0])
            ),
            id="other-salt",
        ),
        pytest.param(
            lambda token: PREFIX + signing.TimestampSigner(salt=SALT).sign("not-a-key"),
            id="signed-garbage",
        ),
        pytest.param(
            lambda token: PREFIX + signing.TimestampSigner(salt=SALT).sign(uuid.uuid4().hex),
            id="unknown-key",
        ),
        pytest.param(lambda token: token[len(PREFIX) :], id="no-prefix"),
        pytest.param(lambda token: PREFIX + "f" * 32, id="unsigned-key"),
        pytest.param(lambda token: "AQ1.x7Kp2mQzR9wL", id="random-string"),
        pytest.param(lambda token: "", id="empty"),
        pytest.param(lambda token: None, id="none"),
        pytest.param(lambda token: IIN, id="iin"),
        pytest.param(lambda token: PREFIX + IIN, id="prefixed-iin"),
    ],
)
def test_personal_qr_forged_token_is_invalid(user, forge):
    token = personal_qr_token(user)

    error = resolve_error(forge(token))

    assert error.code == "invalid"
    with translation.override("en"):
        assert str(error.message) == "This is not an Ashyq personal code."


def test_personal_qr_token_of_an_inactive_user_is_invalid(user):
    token = personal_qr_token(user)
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert resolve_error(token).code == "invalid"


def test_personal_qr_token_stops_working_when_the_key_is_rotated(user):
    token = personal_qr_token(user)
    user.qr_key = uuid.uuid4()
    user.save(update_fields=["qr_key"])

    assert resolve_error(token).code == "invalid"
    assert personal_qr_resolve(personal_qr_token(user)) == user


def test_personal_qr_errors_are_translated(user):
    with time_machine.travel(START, tick=False) as traveller:
        token = personal_qr_token(user)
        traveller.shift(61)
        expired = resolve_error(token)
    invalid = resolve_error(IIN)

    with translation.override("ru"):
        assert str(expired.message) == (
            "Срок действия кода истёк. Попросите человека заново открыть страницу статуса."
        )
        assert str(invalid.message) == "Это не персональный код Ashyq."
    with translation.override("kk"):
        assert str(invalid.message) == "Бұл Ashyq жеке коды емес."


def test_personal_qr_svg_is_the_current_token(client, user):
    client.force_login(user)

    with time_machine.travel(START, tick=False):
        response = client.get(QR_URL)
        token = personal_qr_token(user)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert svg.startswith("<svg")
    assert svg == segno.make_qr(token, error="m").svg_inline(
        scale=5, border=2, dark="#000", light="#fff", omitsize=True
    )
    assert IIN not in svg
    assert_never_cached(response)


def test_personal_qr_svg_without_iin_is_no_content(client):
    client.force_login(User.objects.create_user(PHONE, language="ru"))

    response = client.get(QR_URL)

    assert response.status_code == 204
    assert response.content == b""
    assert_never_cached(response)


def test_personal_qr_svg_for_anonymous_redirects_to_sign_in(client):
    response = client.get(QR_URL)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/code/?next=/status/qr.svg"
    assert_never_cached(response)
