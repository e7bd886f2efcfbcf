import re
from unittest import mock

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse
from django.utils.html import escape

from accounts.adapter import AccountAdapter
from accounts.identifiers import IdentifierError
from accounts.identity import ALLOWED, FirstClaimWins
from accounts.models import User
from accounts.services import ClaimRefused, user_claim_iin
from accounts.tests.constants import IIN, OTHER_IIN
from tests.english import english_words

pytestmark = pytest.mark.django_db

PROFILE_URL = reverse("profile")
PHONE = "+77011234567"
OTHER_PHONE = "+77017654321"

IIN_ERRORS_EN = {
    "length": "An IIN must be exactly 12 digits long.",
    "digits": "An IIN may contain only the digits 0 to 9.",
    "century": "The 7th digit of an IIN must be from 1 to 6.",
    "date": "The first six digits of an IIN must be a real date of birth (YYMMDD).",
    "check_digit": (
        "This IIN is not valid: the last digit does not match the others. Check it for a typo."
    ),
}
IIN_ERRORS_RU = {
    "length": "ИИН должен состоять ровно из 12 цифр.",
    "digits": "ИИН может содержать только цифры от 0 до 9.",
    "century": "Седьмая цифра ИИН должна быть от 1 до 6.",
    "date": "Первые шесть цифр ИИН должны составлять существующую дату рождения (ГГММДД).",
    "check_digit": (
        "Этот ИИН недействителен: последняя цифра не сходится с остальными. "
        "Проверьте, нет ли опечатки."
    ),
}
MALFORMED_IINS = {
    "length": "06121160001",
    "digits": "06121160001O",
    "century": "061211700012",
    "date": "061311600012",
    "check_digit": "061211600013",
}


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def user() -> User:
    return User.objects.create_user(PHONE, language="ru")


@pytest.fixture
def holder() -> User:
    """Another account that already holds IIN."""
    return User.objects.create_user(
        OTHER_PHONE, iin=IIN, full_name="Aigerim Nurlanovna", language="ru"
    )


def error_code(response, field: str) -> str:
    return response.context["form"].errors.as_data()[field][0].code


def signed_in(client, user: User, language: str = "en"):
    client.force_login(user)
    # force_login stores the language active outside any request on the account.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_login_redirect_for_a_user_with_iin_goes_home(holder):
    request = RequestFactory().get("/accounts/login/code/confirm/")
    request.user = holder

    assert AccountAdapter().get_login_redirect_url(request) == "/"


def test_sign_in_with_a_next_url_asks_for_the_iin_first(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_request_login_code"), {"phone": "87011234567", "next": "/account/"}
        )
    code = re.search(r"\b\d{6}\b", sms_outbox[0].text).group()

    response = client.post(
        reverse("account_confirm_login_code"), {"code": code, "next": "/account/"}
    )

    assert response["Location"] == "/profile/?next=%2Faccount%2F"


def test_profile_asks_a_user_without_iin(client, user):
    signed_in(client, user)

    response = client.get(PROFILE_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>About you</h1>" in html
    assert "Your health status is kept by IIN." in html
    assert 'name="iin"' in html
    assert 'name="full_name"' in html
    assert response.context["form"].fields["iin"].disabled is False
    assert '<a class="button link" href="/">Skip for now</a>' in html


@pytest.mark.parametrize(
    ("next_url", "kept"),
    [
        pytest.param("/account/", "/account/", id="a page of ours"),
        pytest.param("https://evil.example/", "/", id="another site is ignored"),
    ],
)
def test_profile_skip_link_goes_to_a_next_of_ours_only(client, user, next_url, kept):
    signed_in(client, user)

    response = client.get(PROFILE_URL, {"next": next_url})

    main = response.content.decode().split("<main")[1]
    assert f'<a class="button link" href="{kept}">Skip for now</a>' in main
    assert f'<input type="hidden" name="next" value="{kept}">' in main
    assert "evil.example" not in main


def test_profile_claim_saves_iin_and_normalised_name_and_goes_to_next(client, user):
    signed_in(client, user)

    response = client.post(
        PROFILE_URL,
        {
            "full_name": "  Aigerim \t Nurlanovna   Ospanova ",
            "iin": " 061211 600012 ",
            "next": "/a/",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/a/"
    user.refresh_from_db()
    assert user.iin == IIN
    assert user.full_name == "Aigerim Nurlanovna Ospanova"


def test_profile_claim_without_next_goes_home(client, user):
    signed_in(client, user)

    response = client.post(PROFILE_URL, {"full_name": "Aigerim", "iin": IIN})

    assert response["Location"] == "/"
    user.refresh_from_db()
    assert user.iin == IIN


@pytest.mark.parametrize("code", list(MALFORMED_IINS))
def test_profile_refuses_a_malformed_iin_saying_what_is_wrong(client, user, code):
    signed_in(client, user)

    response = client.post(PROFILE_URL, {"full_name": "Aigerim", "iin": MALFORMED_IINS[code]})

    assert response.status_code == 200
    assert error_code(response, "iin") == code
    assert (
        f'<p class="error" id="id_iin_error" role="alert">{escape(IIN_ERRORS_EN[code])}</p>'
        in response.content.decode()
    )
    user.refresh_from_db()
    assert user.iin is None
    assert user.full_name == ""


@pytest.mark.parametrize("code", list(MALFORMED_IINS))
def test_profile_refuses_a_malformed_iin_in_russian(client, user, code):
    signed_in(client, user, "ru")

    response = client.post(PROFILE_URL, {"full_name": "Айгерим", "iin": MALFORMED_IINS[code]})

    assert error_code(response, "iin") == code
    assert escape(IIN_ERRORS_RU[code]) in response.content.decode()


def test_profile_refuses_a_too_long_iin_with_the_iin_length_message(client, user):
    signed_in(client, user, "kk")

    response = client.post(
        PROFILE_URL, {"full_name": "Айгерім", "iin": "061211600012 061211600012"}
    )

    assert error_code(response, "iin") == "length"
    assert "ЖСН дәл 12 цифрдан тұруы керек." in response.content.decode()
    assert english_words(response.content.decode()) == []


def test_profile_too_long_name_is_refused_in_kazakh(client, user):
    signed_in(client, user, "kk")

    response = client.post(PROFILE_URL, {"full_name": "Айгерім " * 30, "iin": IIN})

    assert error_code(response, "full_name") == "max_length"
    assert english_words(response.content.decode()) == []
    user.refresh_from_db()
    assert user.iin is None


def test_profile_requires_the_full_name(client, user):
    signed_in(client, user)

    response = client.post(PROFILE_URL, {"full_name": "   ", "iin": IIN})

    assert error_code(response, "full_name") == "required"
    assert "Enter your full name as in your identity card." in response.content.decode()
    user.refresh_from_db()
    assert user.iin is None


def test_profile_refuses_an_iin_linked_to_another_account(client, user, holder, settings):
    settings.SUPPORT_PHONE = "8 800 080 14 06"
    signed_in(client, user, "ru")

    response = client.post(PROFILE_URL, {"full_name": "Самозванец", "iin": IIN, "next": "/a/"})

    assert response.status_code == 200
    assert (
        '<p class="message error" role="alert">Этот ИИН уже привязан к другому номеру телефона. '
        "Если он ваш, позвоните по номеру 8 800 080 14 06 или обратитесь в ЦОН с удостоверением "
        "личности, и мы во всём разберёмся.</p>"
    ) in response.content.decode()
    user.refresh_from_db()
    holder.refresh_from_db()
    assert (user.iin, user.full_name) == (None, "")
    assert (holder.iin, holder.full_name, str(holder.phone)) == (
        IIN,
        "Aigerim Nurlanovna",
        OTHER_PHONE,
    )


def test_profile_of_a_user_with_iin_shows_it_locked(client, holder):
    signed_in(client, holder)

    response = client.get(PROFILE_URL)

    html = response.content.decode()
    assert response.context["form"].fields["iin"].disabled is True
    assert re.search(r'<input type="text" name="iin" value="061211600012"[^>]* disabled[ >]', html)
    assert "Skip for now" not in html


def test_profile_of_a_user_with_iin_keeps_the_iin_but_changes_the_name(client, holder):
    signed_in(client, holder)

    response = client.post(
        PROFILE_URL, {"full_name": " Aigerim  Ospanova ", "iin": OTHER_IIN, "next": "/account/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/account/"
    holder.refresh_from_db()
    assert holder.iin == IIN
    assert holder.full_name == "Aigerim Ospanova"
    assert not User.objects.filter(iin=OTHER_IIN).exists()


def test_claim_iin_refuses_a_second_iin_for_an_account(holder):
    with pytest.raises(ClaimRefused) as refused:
        user_claim_iin(holder, iin=OTHER_IIN, full_name="Someone Else")

    assert refused.value.code == "already_set"
    holder.refresh_from_db()
    assert (holder.iin, holder.full_name) == (IIN, "Aigerim Nurlanovna")


def test_claim_iin_refuses_a_malformed_iin_without_saving(user):
    with pytest.raises(IdentifierError) as refused:
        user_claim_iin(user, iin="061211600013", full_name="Aigerim")

    assert refused.value.code == "check_digit"
    user.refresh_from_db()
    assert user.iin is None


def test_claim_iin_race_is_decided_by_the_database(user, holder, settings):
    settings.SUPPORT_PHONE = "1406"
    # Both claims passed the identity check before either was saved.
    with (
        mock.patch.object(FirstClaimWins, "check", return_value=ALLOWED),
        pytest.raises(ClaimRefused) as refused,
    ):
        user_claim_iin(user, iin=IIN, full_name="Second Claimant")

    assert refused.value.code == "taken"
    assert "1406" in refused.value.message
    assert (user.iin, user.full_name) == (None, "")
    user.refresh_from_db()
    holder.refresh_from_db()
    assert (user.iin, user.full_name) == (None, "")
    assert (holder.iin, holder.full_name) == (IIN, "Aigerim Nurlanovna")


def test_profile_race_shows_the_already_linked_message(client, user, holder):
    signed_in(client, user)

    with mock.patch.object(FirstClaimWins, "check", return_value=ALLOWED):
        response = client.post(PROFILE_URL, {"full_name": "Second", "iin": IIN})

    assert response.status_code == 200
    assert "This IIN is already linked to another phone number." in response.content.decode()
    assert "Skip for now" in response.content.decode()
    user.refresh_from_db()
    assert user.iin is None


@pytest.mark.parametrize(
    ("who", "shown"),
    [
        pytest.param(
            "holder",
            ["<dt>IIN</dt><dd>061211600012</dd>", "<dt>Name</dt><dd>Aigerim Nurlanovna</dd>"],
            id="the full IIN to its owner",
        ),
        pytest.param(
            "user",
            [
                "<dt>IIN</dt><dd>—</dd>",
                '<a class="button secondary" href="/profile/">Add my IIN</a>',
            ],
            id="without an IIN, an offer to add it",
        ),
    ],
)
def test_the_account_page_shows_the_iin_or_offers_to_add_it(client, request, who, shown):
    signed_in(client, request.getfixturevalue(who))

    response = client.get(reverse("account"))

    html = response.content.decode()
    assert [fragment for fragment in shown if fragment not in html] == []


def test_profile_for_anonymous_redirects_to_sign_in(client):
    response = client.get(PROFILE_URL)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/code/?next=/profile/"
