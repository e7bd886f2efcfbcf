"""The business-registry backend, BIN disputes and transfers of an organisation by an operator."""

import re
from collections.abc import Iterator

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from accounts.tests.clients import client_for, text_of
from accounts.tests.http_stub import Registry, refusing_port, registry_backend
from venues.models import Organisation, OrganisationDispute
from venues.tests.factories import OrganisationFactory, UserFactory
from venues.tests.test_verification import BIN, IIN, register, registration

pytestmark = pytest.mark.django_db


# The registry backend


@pytest.fixture
def registry(settings) -> Iterator[Registry]:
    with registry_backend(settings, "ORGANISATION", token="org-secret") as stub:
        yield stub


def test_the_registry_verifies_when_the_applicant_heads_the_bin(registry):
    registry.reply(200, {"match": True})

    venue = register(UserFactory(iin=IIN))

    organisation = venue.organisation
    assert organisation.verified_at is not None
    assert (organisation.verified_by, organisation.verified_via) == (None, "registry")
    (request,) = registry.requests
    assert request.body == {"bin": BIN, "iin": IIN}
    assert request.headers["Authorization"] == "Bearer org-secret"
    entry = AuditEntry.objects.get(action="organisation_verified")
    assert (entry.actor, entry.detail) == (None, {"bin": BIN, "via": "registry"})


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"match": False}),
        (200, {"match": "yes"}),
        (200, b"[true]"),
        (200, b"not json"),
        (500, b"Internal Server Error"),
    ],
)
def test_the_registry_leaves_the_organisation_pending_unless_it_matches(registry, status, body):
    registry.reply(status, body)

    venue = register(UserFactory(iin=IIN))

    assert venue.organisation.verified_at is None
    assert len(registry.requests) == 1


def test_the_registry_unreachable_leaves_the_organisation_pending(registry, settings):
    with refusing_port() as port:
        settings.ORGANISATION_REGISTRY_URL = f"http://127.0.0.1:{port}/v1/match"
        venue = register(UserFactory(iin=IIN))

    assert venue.organisation.verified_at is None


def test_without_an_iin_the_registry_is_not_asked(registry):
    registry.reply(200, {"match": True})

    venue = register(UserFactory())

    assert venue.organisation.verified_at is None
    assert registry.requests == []


# Disputes and transfers


def test_the_already_registered_message_offers_a_dispute():
    theirs = OrganisationFactory(bin=BIN)
    client = client_for(UserFactory())

    response = client.post(reverse("venues:register"), registration())

    html = response.content.decode()
    assert "file a dispute below or call 1406" in text_of(response)
    assert f'action="{reverse("venues:dispute")}"' in html
    assert re.search(rf'name="bin"[^>]*value="{BIN}"|value="{BIN}"[^>]*name="bin"', html)
    assert list(Organisation.objects.all()) == [theirs]


def test_filing_a_dispute_records_it_once():
    theirs = OrganisationFactory(bin=BIN)
    claimant = UserFactory()
    client = client_for(claimant)
    url = reverse("venues:dispute")

    first = client.post(url, {"bin": BIN, "message": "I am the director since 2019"})
    client.post(url, {"bin": BIN, "message": "again"})

    assert first["Location"] == reverse("venues:list")
    dispute = OrganisationDispute.objects.get()
    assert (dispute.organisation, dispute.claimant, dispute.message) == (
        theirs,
        claimant,
        "I am the director since 2019",
    )


@pytest.mark.parametrize(
    ("bin", "error"),
    [
        (BIN, "No one else has registered this BIN."),
        ("123", "must be exactly 12 digits long."),
    ],
)
def test_a_dispute_needs_someone_elses_bin(bin, error):
    claimant = UserFactory()
    OrganisationFactory(bin="050140001238", admin=claimant)

    response = client_for(claimant).post(reverse("venues:dispute"), {"bin": bin})

    assert response.status_code == 400
    assert error in text_of(response)
    assert OrganisationDispute.objects.count() == 0


def organisation_form(organisation: Organisation, **changes) -> dict:
    return {
        "bin": organisation.bin,
        "legal_name": organisation.legal_name,
        "admin": organisation.admin_id,
        "transfer_reason": "",
        "venues-TOTAL_FORMS": "0",
        "venues-INITIAL_FORMS": "0",
        **changes,
    }


def test_a_transfer_needs_a_reason(superuser, venue):
    organisation = venue.organisation
    rightful = UserFactory()
    url = reverse("admin:venues_organisation_change", args=[organisation.pk])

    response = client_for(superuser).post(url, organisation_form(organisation, admin=rightful.pk))

    assert response.status_code == 200
    assert "Say why the organisation changes hands." in text_of(response)
    assert Organisation.objects.get().admin == organisation.admin


def test_the_operator_transfers_an_organisation_and_it_is_audited(superuser, venue):
    organisation = venue.organisation
    squatter = organisation.admin
    rightful = UserFactory()
    OrganisationDispute.objects.create(organisation=organisation, claimant=rightful)
    url = reverse("admin:venues_organisation_change", args=[organisation.pk])

    response = client_for(superuser).post(
        url,
        organisation_form(organisation, admin=rightful.pk, transfer_reason="Dispute: charter seen"),
    )

    assert response.status_code == 302
    assert Organisation.objects.get().admin == rightful
    entry = AuditEntry.objects.get(action="organisation_transferred")
    assert (entry.actor, entry.detail) == (
        superuser,
        {
            "bin": organisation.bin,
            "from": squatter.pk,
            "to": rightful.pk,
            "reason": "Dispute: charter seen",
        },
    )
    assert OrganisationDispute.objects.get().resolved_at is not None
    # The venues went with it.
    assert client_for(squatter).get(reverse("visits:staff", args=[venue.pk])).status_code == 404
    assert client_for(rightful).get(reverse("visits:staff", args=[venue.pk])).status_code == 200


def test_the_operator_asks_the_registry_again(registry, superuser):
    registry.reply(500, b"down")
    owner = UserFactory(iin=IIN)
    venue = register(owner)
    registry.reply(200, {"match": True})

    response = client_for(superuser).post(
        reverse("admin:venues_organisation_changelist"),
        {"action": "check_again", "_selected_action": [venue.organisation.pk]},
        follow=True,
    )

    assert "1 of 1 organisations verified." in text_of(response)
    organisation = Organisation.objects.get()
    assert (organisation.verified_via, organisation.verified_by) == ("registry", None)
    assert len(registry.requests) == 2
