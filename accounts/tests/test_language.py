import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def test_a_new_visitor_is_asked_for_a_language_first(client):
    response = client.get("/accounts/login/code/?next=/x/")

    assert response.status_code == 302
    assert response["Location"] == "/language/?next=%2Faccounts%2Flogin%2Fcode%2F%3Fnext%3D%2Fx%2F"


def test_the_language_page_offers_the_three_languages(client):
    response = client.get(reverse("language"), {"next": "/"})

    html = response.content.decode()
    assert response.status_code == 200
    for name in ["Қазақша", "Русский", "English"]:
        assert name in html


def test_choosing_a_language_sets_the_cookie_and_returns(client):
    response = client.post(reverse("language"), {"language": "ru", "next": "/accounts/login/code/"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/code/"
    assert response.cookies[COOKIE].value == "ru"
    page = client.get("/accounts/login/code/")
    assert page.status_code == 200
    assert '<html lang="ru">' in page.content.decode()


def test_an_unknown_language_is_not_taken(client):
    response = client.post(reverse("language"), {"language": "de", "next": "/"})

    assert response.status_code == 200
    assert COOKIE not in response.cookies


def test_the_language_page_never_sends_people_to_another_site(client):
    response = client.post(
        reverse("language"), {"language": "kk", "next": "https://evil.example/phish"}
    )

    assert response["Location"] == reverse("home")


def test_the_choice_is_kept_on_the_account(client):
    user = User.objects.create_user("+77011234567", language="kk")
    client.force_login(user)
    client.cookies[COOKIE] = "kk"

    client.post(reverse("language"), {"language": "en", "next": "/"})

    user.refresh_from_db()
    assert user.language == "en"


def test_a_signed_in_person_without_the_cookie_gets_their_language(client):
    user = User.objects.create_user("+77011234567")
    client.force_login(user)
    User.objects.filter(pk=user.pk).update(language="ru")

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert '<html lang="ru">' in response.content.decode()
    assert response.cookies[COOKIE].value == "ru"


def test_every_page_has_the_language_switch(client):
    client.cookies[COOKIE] = "kk"

    html = client.get(reverse("account_request_login_code")).content.decode()

    assert 'action="/language/"' in html
    assert 'value="ru"' in html
    assert 'value="en"' in html


def test_the_health_check_needs_no_language(client):
    assert client.get(reverse("healthz")).status_code == 200
