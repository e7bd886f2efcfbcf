"""An operator moves a claimed IIN to the account of the person who proved it is theirs."""

import pytest
from django.urls import reverse

from accounts.models import AuditEntry, User
from accounts.tests.clients import client_for
from statuses.tests.factories import UserFactory, epidemiologist, iin

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator() -> User:
    return UserFactory(is_staff=True, is_superuser=True, language="en")


def move_url(user: User) -> str:
    return reverse("admin:accounts_user_move_iin", args=[user.pk])


def test_an_operator_moves_the_iin_and_it_is_audited(operator):
    claimer = UserFactory(iin=iin(1))
    holder = UserFactory(phone="+77017654321")

    response = client_for(operator).post(
        move_url(claimer), {"phone": "8 701 765 43 21", "reason": "ID card seen at the centre"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:accounts_user_change", args=[holder.pk])
    claimer.refresh_from_db()
    holder.refresh_from_db()
    assert (claimer.iin, holder.iin) == (None, iin(1))
    entry = AuditEntry.objects.get(action=AuditEntry.Action.IIN_MOVED)
    assert (entry.actor, entry.iin, entry.detail) == (
        operator,
        iin(1),
        {
            "from_account": claimer.pk,
            "to_account": holder.pk,
            "reason": "ID card seen at the centre",
        },
    )


def test_the_user_page_offers_the_move_to_an_operator(operator):
    claimer = UserFactory(iin=iin(1))

    response = client_for(operator).get(reverse("admin:accounts_user_change", args=[claimer.pk]))

    assert move_url(claimer) in response.content.decode()


@pytest.mark.parametrize(
    ("target_fields", "phone", "reason", "error"),
    [
        ({"iin": iin(2)}, "+77017654321", "proved", "That account already has an IIN."),
        ({}, "+77019999999", "proved", "No account has this number."),
        ({}, "not a phone", "proved", "This does not look like a phone number."),
        ({}, "+77017654321", "", "This field is required."),
    ],
)
def test_a_move_that_cannot_be_done_says_why_and_changes_nothing(
    operator, target_fields, phone, reason, error
):
    claimer = UserFactory(iin=iin(1))
    UserFactory(phone="+77017654321", **target_fields)

    response = client_for(operator).post(move_url(claimer), {"phone": phone, "reason": reason})

    assert response.status_code == 200
    assert error in response.content.decode()
    claimer.refresh_from_db()
    assert claimer.iin == iin(1)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.IIN_MOVED).exists()


def test_the_user_page_offers_no_move_to_whom_may_only_view_it(operator):
    claimer = UserFactory(iin=iin(1))

    response = client_for(epidemiologist()).get(
        reverse("admin:accounts_user_change", args=[claimer.pk])
    )

    assert response.status_code == 200
    assert move_url(claimer) not in response.content.decode()


def test_an_epidemiologist_who_may_only_view_accounts_cannot_move(operator):
    claimer = UserFactory(iin=iin(1))
    UserFactory(phone="+77017654321")

    response = client_for(epidemiologist()).post(
        move_url(claimer), {"phone": "+77017654321", "reason": "proved"}
    )

    assert response.status_code == 403
    claimer.refresh_from_db()
    assert claimer.iin == iin(1)
