import pytest
from django.utils import translation

from accounts.errors import AshyqError
from accounts.identifiers import IdentifierError, validate_iin
from accounts.personal_qr import PersonalQRError
from accounts.services import ClaimRefused
from statuses.services import StatusError
from venues.services import BinTaken, VenueError
from visits.services import CheckInError, IsolationPointLocked, VenueNotFound


@pytest.mark.parametrize(
    "error_type",
    [
        IdentifierError,
        PersonalQRError,
        ClaimRefused,
        StatusError,
        VenueError,
        BinTaken,
        CheckInError,
        VenueNotFound,
        IsolationPointLocked,
    ],
)
def test_every_refusal_is_an_ashyq_error(error_type: type) -> None:
    assert issubclass(error_type, AshyqError)


def test_the_message_is_rendered_in_the_language_where_it_is_shown() -> None:
    with translation.override("en"), pytest.raises(IdentifierError) as caught:
        validate_iin("12345")
    with translation.override("ru"):
        shown = str(caught.value)
    assert caught.value.code == "length"
    assert shown == "ИИН должен состоять ровно из 12 цифр."


def test_an_isolation_lock_carries_its_code() -> None:
    assert IsolationPointLocked().code == "isolation_locked"
