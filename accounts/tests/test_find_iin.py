"""The IIN inside a scanned code that is not a bare IIN (an identity card's barcode)."""

import pytest

from accounts.identifiers import IdentifierError, find_iin
from accounts.tests.test_identifiers import FULL_WIDTH_IIN, with_check_digit

VALID = "061211600012"
OTHER_VALID = "950101300016"
# 950101300016 with the wrong last digit.
BAD_CHECK_DIGIT = "950101300017"
ARABIC_INDIC_IIN = "".join(chr(ord("٠") + int(digit)) for digit in VALID)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param(f"IIN {VALID}", VALID, id="labelled"),
        pytest.param(
            f"САРСЕНОВА|АЙГЕРИМ|{VALID}|11.12.2006|N043215678", VALID, id="among names and dates"
        ),
        pytest.param(f"{BAD_CHECK_DIGIT};{VALID}", VALID, id="one of two runs is valid"),
        pytest.param(f"2006 12 11;{VALID};043215678;2031", VALID, id="several shorter numbers"),
        pytest.param(f"N043215678\x00{VALID}\x00\x00", VALID, id="NUL bytes as separators"),
        pytest.param(f"\x1d{VALID}\x1e\r\n", VALID, id="control characters"),
        pytest.param(f"{VALID} ... {VALID}", VALID, id="the same IIN twice is one person"),
        pytest.param(f"{ARABIC_INDIC_IIN} {VALID}", VALID, id="next to Arabic-Indic digits"),
    ],
)
def test_find_iin_finds_the_one_iin(payload: str, expected: str) -> None:
    assert find_iin(payload) == expected


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        pytest.param("", "no_iin", id="empty"),
        pytest.param("https://example.com/ticket/42", "no_iin", id="a URL"),
        pytest.param(f"IIN {BAD_CHECK_DIGIT}", "no_iin", id="wrong check digit"),
        pytest.param(
            "IIN " + with_check_digit("99133130001"), "no_iin", id="check digit right, no date"
        ),
        pytest.param(f"{VALID}1", "no_iin", id="glued to a 13-digit run"),
        pytest.param(f"1{VALID}", "no_iin", id="a digit glued in front"),
        pytest.param(f"043215678{VALID}", "no_iin", id="glued to a document number"),
        pytest.param(f"IIN {FULL_WIDTH_IIN}", "no_iin", id="full-width digits"),
        pytest.param(f"IIN {ARABIC_INDIC_IIN}", "no_iin", id="Arabic-Indic digits"),
        pytest.param(f"٣{VALID}", "no_iin", id="glued to an Arabic-Indic digit"),
        pytest.param(f"{VALID} {OTHER_VALID}", "several_iins", id="two valid IINs"),
        pytest.param(f"{VALID}\x00{OTHER_VALID}", "several_iins", id="two, NUL-separated"),
    ],
)
def test_find_iin_refuses(payload: str, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        find_iin(payload)
    assert caught.value.code == code
