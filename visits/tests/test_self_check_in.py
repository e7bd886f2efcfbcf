import re

import pytest
from django.urls import reverse

from visits.models import Visit
from visits.tests.budgets import session_queries, visit_writes
from visits.tests.conftest import citizen, make_venue

pytestmark = pytest.mark.django_db


def nonce_in(response) -> str:
    return re.search(r'name="nonce" value="([0-9a-f]+)"', response.content.decode()).group(1)


def test_a_signed_out_visitor_signs_in_and_comes_back(client):
    venue = make_venue()
    url = reverse("visits:venue_entry", args=[venue.code])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/code/?next=" + url


def test_the_printed_url_is_the_contract():
    assert reverse("visits:venue_entry", args=["abcdefghjkmn"]) == "/v/abcdefghjkmn/"


def test_get_shows_the_venue_and_writes_nothing(client):
    venue = make_venue()
    client.force_login(citizen("green"))

    response = client.get(reverse("visits:venue_entry", args=[venue.code]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Magnum" in html
    assert "Your status: Green" in html
    assert "Enter" in html
    assert Visit.objects.count() == 0


def test_enter_records_the_visit_and_shows_the_answer(client):
    venue = make_venue()
    person = citizen("green")
    client.force_login(person)
    url = reverse("visits:venue_entry", args=[venue.code])

    response = client.post(url, {"nonce": nonce_in(client.get(url))})

    visit = Visit.objects.get()
    answer_url = reverse("visits:detail", args=[visit.pk])
    assert (visit.venue, visit.iin, visit.user, visit.admitted, visit.status) == (
        venue,
        person.iin,
        person,
        True,
        "green",
    )
    assert visit.method == Visit.Method.SELF_SCAN
    # The POST answers with the answer page, named by its own address, which a
    # reload or a bookmark asks for instead of entering again.
    answer = response.content.decode()
    assert (response.status_code, response["Content-Location"]) == (200, answer_url)
    assert f'history.replaceState(null, "", "{answer_url}")' in answer
    # A change of language comes back to the answer, not to the form it answered.
    assert f'<input type="hidden" name="next" value="{answer_url}">' in answer
    assert "You may enter" in answer
    assert "answer-yes" in answer
    reloaded = client.get(answer_url).content.decode()
    assert "You may enter" in reloaded
    assert "replaceState" not in reloaded
    assert Visit.objects.count() == 1


def test_a_double_tap_makes_one_visit(client):
    venue = make_venue()
    client.force_login(citizen("green"))
    url = reverse("visits:venue_entry", args=[venue.code])
    nonce = nonce_in(client.get(url))

    first = client.post(url, {"nonce": nonce})
    second = client.post(url, {"nonce": nonce})

    visit = Visit.objects.get()
    assert first["Content-Location"] == second["Content-Location"] == f"/visits/{visit.pk}/"
    assert "You may enter" in second.content.decode()


def test_a_denial_is_recorded_and_explained(client):
    venue = make_venue(category="cafe", pcr_required=True)
    client.force_login(citizen())

    response = client.post(reverse("visits:venue_entry", args=[venue.code]), {"nonce": "n1"})

    visit = Visit.objects.get()
    assert (visit.admitted, visit.denial_code, visit.status) == (False, "pcr_required", "blue")
    answer = response.content.decode()
    assert "Entry denied" in answer
    assert "A negative PCR test, vaccination or recovery (green status) is required" in answer


def test_the_denial_reads_in_the_visitors_language(client):
    venue = make_venue(category="cafe", pcr_required=True)
    client.force_login(citizen())
    client.cookies["django_language"] = "kk"

    response = client.post(reverse("visits:venue_entry", args=[venue.code]), {"nonce": "n1"})

    assert "Кіруге рұқсат жоқ" in response.content.decode()


def test_entering_a_second_venue_closes_the_first(client):
    first, second = make_venue(), make_venue(name="Small")
    client.force_login(citizen("green"))

    client.post(reverse("visits:venue_entry", args=[first.code]), {"nonce": "a"})
    client.post(reverse("visits:venue_entry", args=[second.code]), {"nonce": "b"})

    old, new = Visit.objects.order_by("pk")
    assert (old.checkout_method, old.checked_out_at is not None) == ("moved", True)
    assert new.is_open


def test_exit_closes_the_visit(client):
    venue = make_venue()
    client.force_login(citizen("green"))
    client.post(reverse("visits:venue_entry", args=[venue.code]), {"nonce": "a"})
    visit = Visit.objects.get()

    response = client.post(reverse("visits:exit", args=[visit.pk]))

    visit.refresh_from_db()
    assert response["Location"] == reverse("visits:detail", args=[visit.pk])
    assert visit.checkout_method == "self"
    assert visit.checked_out_at is not None


def test_someone_elses_visit_is_not_found(client):
    venue = make_venue()
    owner, stranger = citizen("green"), citizen("green")
    client.force_login(owner)
    client.post(reverse("visits:venue_entry", args=[venue.code]), {"nonce": "a"})
    visit = Visit.objects.get()
    client.force_login(stranger)

    assert client.get(reverse("visits:detail", args=[visit.pk])).status_code == 404
    client.post(reverse("visits:exit", args=[visit.pk]))
    visit.refresh_from_db()
    assert visit.is_open


def test_an_unknown_code_is_a_translated_404(client):
    client.force_login(citizen())
    client.cookies["django_language"] = "ru"

    response = client.get("/v/nosuchcode12/")

    assert response.status_code == 404
    assert "Страница не найдена" in response.content.decode()


def test_entering_at_an_unknown_code_is_a_404_not_a_message(client):
    client.force_login(citizen("green"))

    response = client.post("/v/nosuchcode12/", {"nonce": "n"})

    assert response.status_code == 404
    assert Visit.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_self_check_in_post_stays_within_the_query_budget(client, assert_num_queries):
    # A real transaction, not the test's savepoint: production has no savepoint queries.
    venue = make_venue()
    for _ in range(5):
        other = citizen("green")
        Visit.objects.create(
            venue=venue,
            iin=other.iin,
            method="self_scan",
            status="green",
            admitted=True,
            checked_in_at=venue.created_at,
        )
    person = citizen("green")
    client.force_login(person)

    # The account (from the cache once it is warm), the venue lock, the reads
    # after it, the visit and COMMIT, and the venue for the answer page (from
    # the cache once it is warm); the session comes from Redis in production.
    with assert_num_queries(5 + visit_writes() + session_queries()):
        response = client.post(reverse("visits:venue_entry", args=[venue.code]), {"nonce": "q"})

    visit = Visit.objects.get(iin=person.iin)
    assert (visit.venue, visit.admitted, visit.nonce) == (venue, True, "q")
    assert response["Content-Location"] == reverse("visits:detail", args=[visit.pk])
    assert "You may enter" in response.content.decode()
