from collections.abc import Iterator

import pytest

from accounts.identity import (
    ALLOWED,
    FirstClaimWins,
    IdentityDecision,
    StateRegistry,
    identity_check,
)
from accounts.models import User
from accounts.tests.constants import IIN, OTHER_IIN
from accounts.tests.http_stub import Registry, refusing_port, registry_backend

pytestmark = pytest.mark.django_db

PHONE = "+77011234567"


@pytest.fixture
def registry(settings) -> Iterator[Registry]:
    with registry_backend(settings, "IDENTITY") as stub:
        yield stub


@pytest.fixture
def user() -> User:
    return User.objects.create_user(PHONE, full_name="Aigerim Nurlanovna", language="ru")


def test_first_claim_wins_allows_a_free_iin(user):
    decision = FirstClaimWins().check(user=user, iin=IIN)

    assert decision == IdentityDecision(allowed=True, code="")


def test_first_claim_wins_refuses_an_iin_of_another_account(user):
    User.objects.create_user("+77017654321", iin=IIN)

    decision = FirstClaimWins().check(user=user, iin=IIN)

    assert decision == IdentityDecision(allowed=False, code="taken")


def test_first_claim_wins_allows_the_owner_to_claim_their_own_iin_again(user):
    user.iin = IIN
    user.save()

    assert FirstClaimWins().check(user=user, iin=IIN) == ALLOWED


def test_identity_check_uses_the_configured_backend_by_default(user, settings):
    settings.IDENTITY_CHECK_BACKEND = "accounts.identity.FirstClaimWins"
    User.objects.create_user("+77017654321", iin=IIN)

    assert identity_check(user=user, iin=IIN).code == "taken"
    assert identity_check(user=user, iin=OTHER_IIN) == ALLOWED


def test_state_registry_allows_when_the_registry_matches(user, registry):
    registry.reply(200, {"match": True})

    decision = identity_check(user=user, iin=IIN)

    assert decision == ALLOWED
    assert len(registry.requests) == 1


def test_state_registry_refuses_a_mismatch(user, registry):
    registry.reply(200, {"match": False})

    decision = identity_check(user=user, iin=IIN)

    assert decision == IdentityDecision(allowed=False, code="mismatch")


@pytest.mark.parametrize("answer", [{}, {"match": "true"}, {"match": 1}, {"match": None}])
def test_state_registry_counts_anything_but_a_true_match_as_a_mismatch(user, registry, answer):
    registry.reply(200, answer)

    assert identity_check(user=user, iin=IIN) == IdentityDecision(allowed=False, code="mismatch")


def test_state_registry_sends_the_phone_in_e164_and_the_iin(user, registry):
    registry.reply(200, {"match": True})

    identity_check(user=user, iin=IIN)

    (request,) = registry.requests
    assert request.path == "/v1/match"
    assert request.body == {"phone": PHONE, "iin": IIN}
    assert request.headers["Content-Type"] == "application/json"
    assert "Authorization" not in request.headers


def test_state_registry_sends_the_bearer_token_when_configured(user, registry, settings):
    settings.IDENTITY_REGISTRY_TOKEN = "registry-secret"
    registry.reply(200, {"match": True})

    identity_check(user=user, iin=IIN)

    assert registry.requests[0].headers["Authorization"] == "Bearer registry-secret"


def test_state_registry_fails_closed_on_a_server_error(user, registry):
    registry.reply(500, b"Internal Server Error")

    decision = identity_check(user=user, iin=IIN)

    assert decision == IdentityDecision(allowed=False, code="unavailable")


def test_state_registry_fails_closed_when_unreachable(user, registry, settings):
    with refusing_port() as port:
        settings.IDENTITY_REGISTRY_URL = f"http://127.0.0.1:{port}/v1/match"
        decision = identity_check(user=user, iin=IIN)

    assert decision == IdentityDecision(allowed=False, code="unavailable")


@pytest.mark.parametrize("body", [b"<html>maintenance</html>", b"", b'{"match": tru'])
def test_state_registry_fails_closed_on_invalid_json(user, registry, body):
    registry.reply(200, body)

    decision = identity_check(user=user, iin=IIN)

    assert decision == IdentityDecision(allowed=False, code="unavailable")


@pytest.mark.parametrize("body", [b"[]", b"null", b"true", b'"match"'])
def test_state_registry_fails_closed_on_json_that_is_not_an_object(user, registry, body):
    registry.reply(200, body)

    decision = identity_check(user=user, iin=IIN)

    assert decision == IdentityDecision(allowed=False, code="unavailable")


def test_state_registry_fails_closed_when_the_answer_is_cut_off(user, registry):
    registry.reply(200, b'{"match": true', truncate=True)

    decision = identity_check(user=user, iin=IIN)

    assert decision == IdentityDecision(allowed=False, code="unavailable")


def test_state_registry_refuses_a_taken_iin_without_asking_the_registry(user, registry):
    User.objects.create_user("+77017654321", iin=IIN)
    registry.reply(200, {"match": True})

    decision = StateRegistry().check(user=user, iin=IIN)

    assert decision == IdentityDecision(allowed=False, code="taken")
    assert registry.requests == []
