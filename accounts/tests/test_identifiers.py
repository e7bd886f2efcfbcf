"""IIN and BIN validation, as docs/rules.md §1 states it."""

import datetime

import pytest
from django.conf import settings
from django.utils import translation

from accounts.identifiers import (
    BIN_MESSAGES,
    IIN_MESSAGES,
    IdentifierError,
    PersonAtDoor,
    check_digit,
    iin_birth_date,
    mask_iin,
    person_at_door,
    validate_bin,
    validate_iin,
)

# Typed by East Asian keyboards; str.isdigit() is True for every character.
FULL_WIDTH_IIN = "".join(chr(ord("０") + int(digit)) for digit in "061211600012")


def with_check_digit(first11: str) -> str:
    """Append the check digit, computed here from the spec's wording.

    Written independently of `check_digit()` so that a bug there cannot make
    its own test data agree with it.
    """
    digits = [int(char) for char in first11]
    first = sum(weight * digit for weight, digit in zip(range(1, 12), digits, strict=True)) % 11
    if first != 10:
        return first11 + str(first)
    weights = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]
    second = sum(weight * digit for weight, digit in zip(weights, digits, strict=True)) % 11
    assert second != 10, f"{first11} has no valid check digit; pick another serial"
    return first11 + str(second)


# -- check digit -------------------------------------------------------------
# Each literal below was summed by hand; the comment shows the work.


@pytest.mark.parametrize(
    ("first11", "expected"),
    [
        # 9+10+0+4+0+6+21+0+0+0+11 = 61, 61 mod 11 = 6
        pytest.param("95010130001", 6, id="first pass decides"),
        # first pass 87 mod 11 = 10; second 24+5+12+7+8+54+2 = 112, mod 11 = 2
        pytest.param("06121160001", 2, id="first pass gives 10, second decides"),
        # first pass 153 mod 11 = 10; second 155 mod 11 = 1
        pytest.param("88031530051", 1, id="second pass decides again"),
        pytest.param("82121424009", None, id="both passes give 10: no valid number"),
        # first pass 164 mod 11 = 10; second 76 mod 11 = 10
        pytest.param("10054000093", None, id="both passes give 10 (a BIN prefix)"),
    ],
)
def test_check_digit(first11: str, expected: int | None) -> None:
    assert check_digit(first11) == expected


@pytest.mark.parametrize(
    "first11",
    [
        pytest.param("0612116000", id="10 digits"),
        pytest.param("061211600012", id="12 digits"),
        pytest.param("0612116000A", id="a letter"),
        pytest.param("٠٦١٢١١٦٠٠٠١", id="Arabic-Indic digits"),
    ],
)
def test_check_digit_needs_eleven_ascii_digits(first11: str) -> None:
    with pytest.raises(ValueError, match="11 ASCII digits"):
        check_digit(first11)


# -- IIN and BIN: one validation, two kinds of number --------------------------

VALIDATE = {"IIN": validate_iin, "BIN": validate_bin}

ACCEPTED = [
    pytest.param("IIN", "061211600012", "061211600012", id="IIN: the known valid IIN"),
    pytest.param("IIN", "950101300016", "950101300016", id="IIN: valid by the first pass"),
    pytest.param("IIN", "880315300511", "880315300511", id="IIN: valid by the second pass"),
    pytest.param("IIN", "  061211600012\n", "061211600012", id="IIN: surrounding whitespace"),
    pytest.param("IIN", "061211 600012", "061211600012", id="IIN: a space after the birth date"),
    pytest.param("IIN", "0612 1160 0012", "061211600012", id="IIN: spaces in groups of four"),
    # 0+10+0+4+20+0+0+0+9+20+33 = 96, 96 mod 11 = 8
    pytest.param(
        "BIN", "050140001238", "050140001238", id="BIN: resident legal entity, head office"
    ),
    pytest.param("BIN", " 050140001238 ", "050140001238", id="BIN: surrounding whitespace"),
    pytest.param("BIN", "0501 4000 1238", "050140001238", id="BIN: inner spaces"),
]


@pytest.mark.parametrize(("kind", "raw", "expected"), ACCEPTED)
def test_validate_accepts(kind: str, raw: str, expected: str) -> None:
    assert VALIDATE[kind](raw) == expected


# Real birth dates and centuries, organisation types and months: the check digit is added
# by with_check_digit().
VALID_FIRST11 = [
    pytest.param("IIN", "00022950001", id="IIN: 29 Feb 2000, a leap year"),
    pytest.param("IIN", "96022940001", id="IIN: 29 Feb 1996"),
    pytest.param("IIN", "99123110001", id="IIN: born 1899 (digit 1)"),
    pytest.param("IIN", "99123120001", id="IIN: born 1899 (digit 2)"),
    pytest.param("IIN", "15121260001", id="IIN: born 2015 (digit 6)"),
    pytest.param("BIN", "05015000123", id="BIN: non-resident (5)"),
    pytest.param("BIN", "05016000123", id="BIN: entrepreneur (6)"),
    pytest.param("BIN", "05014100123", id="BIN: branch (1)"),
    pytest.param("BIN", "05014200123", id="BIN: representative (2)"),
    pytest.param("BIN", "05014300123", id="BIN: peasant farm (3)"),
    pytest.param("BIN", "05124000123", id="BIN: December"),
]


@pytest.mark.parametrize(("kind", "first11"), VALID_FIRST11)
def test_validate_returns_a_valid_number_as_it_is(kind: str, first11: str) -> None:
    number = with_check_digit(first11)

    assert VALIDATE[kind](number) == number


REFUSED = [
    # With the right check digit added: refused for the century, the date, the type or the
    # division alone.
    pytest.param("IIN", with_check_digit("06121100001"), "century", id="IIN: 7th digit 0"),
    pytest.param("IIN", with_check_digit("06121170001"), "century", id="IIN: 7th digit 7"),
    pytest.param("IIN", with_check_digit("06121180001"), "century", id="IIN: 7th digit 8"),
    pytest.param("IIN", with_check_digit("06121190001"), "century", id="IIN: 7th digit 9"),
    pytest.param("IIN", with_check_digit("06131160001"), "date", id="IIN: month 13"),
    pytest.param("IIN", with_check_digit("06001160001"), "date", id="IIN: month 00"),
    pytest.param("IIN", with_check_digit("06120060001"), "date", id="IIN: day 00"),
    pytest.param("IIN", with_check_digit("06123260001"), "date", id="IIN: day 32"),
    pytest.param("IIN", with_check_digit("06043160001"), "date", id="IIN: 31 April"),
    pytest.param("IIN", with_check_digit("00022930001"), "date", id="IIN: 29 Feb 1900, not leap"),
    pytest.param("IIN", with_check_digit("01022950001"), "date", id="IIN: 29 Feb 2001"),
    pytest.param("BIN", with_check_digit("05004000123"), "date", id="BIN: month 00"),
    pytest.param("BIN", with_check_digit("05134000123"), "date", id="BIN: month 13"),
    pytest.param("BIN", with_check_digit("05010000123"), "type", id="BIN: type 0"),
    pytest.param("BIN", with_check_digit("05013000123"), "type", id="BIN: type 3"),
    pytest.param("BIN", with_check_digit("05017000123"), "type", id="BIN: type 7"),
    pytest.param("BIN", with_check_digit("05014400123"), "division", id="BIN: division 4"),
    pytest.param("BIN", with_check_digit("05014900123"), "division", id="BIN: division 9"),
    # Wrong in length, in characters or in the check digit.
    pytest.param("IIN", "", "length", id="IIN: empty"),
    pytest.param("IIN", "   ", "length", id="IIN: only whitespace"),
    pytest.param("IIN", "06121160001", "length", id="IIN: 11 digits"),
    pytest.param("IIN", "0612116000123", "length", id="IIN: 13 digits"),
    pytest.param("IIN", "061211-600012", "length", id="IIN: a dash is not removed"),
    pytest.param("IIN", "06121160001A", "digits", id="IIN: a letter"),
    pytest.param("IIN", "0612I1600012", "digits", id="IIN: capital I for 1"),
    pytest.param("IIN", "٠٦١٢١١٦٠٠٠١٢", "digits", id="IIN: Arabic-Indic digits"),
    pytest.param("IIN", FULL_WIDTH_IIN, "digits", id="IIN: full-width digits"),
    pytest.param("IIN", "06121160001²", "digits", id="IIN: a superscript two"),
    pytest.param("IIN", "061211600112", "check_digit", id="IIN: a typo in the serial"),
    pytest.param("IIN", "061211600013", "check_digit", id="IIN: last digit off by one"),
    pytest.param("IIN", "061211600021", "check_digit", id="IIN: two digits swapped"),
    pytest.param("IIN", "821214240092", "check_digit", id="IIN: both passes give 10"),
    pytest.param("BIN", "", "length", id="BIN: empty"),
    pytest.param("BIN", "05014000123", "length", id="BIN: 11 digits"),
    pytest.param("BIN", "0501400012380", "length", id="BIN: 13 digits"),
    pytest.param("BIN", "05014000123B", "digits", id="BIN: a letter"),
    pytest.param("BIN", "٠٥٠١٤٠٠٠١٢٣٨", "digits", id="BIN: Arabic-Indic digits"),
    pytest.param("BIN", "050140001239", "check_digit", id="BIN: last digit off by one"),
    pytest.param("BIN", "100540000930", "check_digit", id="BIN: both passes give 10"),
]


@pytest.mark.parametrize(("kind", "raw", "code"), REFUSED)
def test_validate_refuses(kind: str, raw: str, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        VALIDATE[kind](raw)

    assert caught.value.code == code


# -- IIN only ------------------------------------------------------------------


@pytest.mark.parametrize("last", "0123456789")
def test_no_iin_is_valid_when_both_passes_give_10(last: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        validate_iin("82121424009" + last)

    assert caught.value.code == "check_digit"


def test_validate_iin_refuses_none_as_length() -> None:
    with pytest.raises(IdentifierError) as caught:
        validate_iin(None)  # type: ignore[arg-type]

    assert caught.value.code == "length"


@pytest.mark.parametrize(
    ("iin", "birth_date"),
    [
        pytest.param("061211600012", datetime.date(2006, 12, 11), id="6: 2000s"),
        pytest.param(with_check_digit("15121250001"), datetime.date(2015, 12, 12), id="5"),
        pytest.param("950101300016", datetime.date(1995, 1, 1), id="3: 1900s"),
        pytest.param(with_check_digit("96022940001"), datetime.date(1996, 2, 29), id="4"),
        pytest.param(with_check_digit("99123110001"), datetime.date(1899, 12, 31), id="1: 1800s"),
        pytest.param(with_check_digit("99123120001"), datetime.date(1899, 12, 31), id="2"),
    ],
)
def test_iin_birth_date_reads_the_century_digit(iin: str, birth_date: datetime.date) -> None:
    assert iin_birth_date(iin) == birth_date


def test_iin_birth_date_refuses_an_invalid_iin() -> None:
    with pytest.raises(IdentifierError):
        iin_birth_date("821214240092")


@pytest.mark.parametrize(
    ("iin", "masked"),
    [
        pytest.param("061211600012", "********0012", id="only the last four digits"),
        pytest.param(" 061211 600012 ", "********0012", id="spaces ignored"),
        pytest.param("06121160001", "************", id="wrong length: nothing shown"),
        pytest.param("", "************", id="empty"),
    ],
)
def test_mask_iin(iin: str, masked: str) -> None:
    assert mask_iin(iin) == masked


# -- BIN only ------------------------------------------------------------------


def test_an_iin_is_not_taken_for_a_bin() -> None:
    # 061211600012: 5th digit 1 is no organisation type.
    with pytest.raises(IdentifierError) as caught:
        validate_bin("061211600012")

    assert caught.value.code == "type"


# -- messages ----------------------------------------------------------------


def test_the_error_shows_its_message() -> None:
    with pytest.raises(IdentifierError) as caught:
        validate_iin("123")

    assert caught.value.message == IIN_MESSAGES["length"]
    assert str(caught.value) == str(IIN_MESSAGES["length"])


@pytest.mark.parametrize(
    ("messages", "codes"),
    [
        pytest.param(
            IIN_MESSAGES, {"length", "digits", "century", "date", "check_digit"}, id="IIN"
        ),
        pytest.param(
            BIN_MESSAGES, {"length", "digits", "date", "type", "division", "check_digit"}, id="BIN"
        ),
    ],
)
@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_every_code_has_its_own_message(messages: dict, codes: set, language: str) -> None:
    with translation.override(language):
        texts = {code: str(message).strip() for code, message in messages.items()}

    assert set(texts) == codes
    assert all(texts.values())
    assert len(set(texts.values())) == len(texts)


def test_iin_and_bin_messages_differ() -> None:
    assert not {str(m) for m in IIN_MESSAGES.values()} & {str(m) for m in BIN_MESSAGES.values()}


# What staff at the door see of a person


@pytest.mark.parametrize(
    ("full_name", "iin", "name", "year"),
    [
        ("Айгүл Сәрсенова", "870412450012", "Айгүл С.", 1987),
        # The patronymic is left out, however long.
        ("Айгүл Сәрсенова Болатқызы", "870412450012", "Айгүл С.", 1987),
        ("  Әсел   Нұрова  ", "061211600012", "Әсел Н.", 2006),
        # One word: nothing to take an initial from.
        ("Мадонна", "870412450012", "Мадонна", 1987),
        # No account, so no name: the year alone.
        ("", "061211600012", "", 2006),
        # A person born in the 1800s (century digit 1).
        ("Ivan Petrov", "991231100000", "Ivan P.", 1899),
        # A malformed IIN in old data: the name still, no year, no crash.
        ("Aigerim Sarsenova", "123", "Aigerim S.", None),
        ("Aigerim Sarsenova", "", "Aigerim S.", None),
    ],
)
def test_person_at_door_shows_first_name_initial_and_birth_year(full_name, iin, name, year):
    assert person_at_door(full_name, iin) == PersonAtDoor(name=name, birth_year=year)


def test_person_at_door_never_carries_the_iin_or_the_birth_date():
    seen = person_at_door("Айгүл Сәрсенова Болатқызы", "870412450012")

    assert "870412" not in repr(seen)
    assert "Сәрсенова" not in repr(seen)
    assert "Болатқызы" not in repr(seen)
