"""Reasons the system writes are stored as codes and read in the reader's language."""

import importlib

import pytest
from django.utils import translation

from statuses.notes import CONTACT, LAB_IMPORT, note_text

migration = importlib.import_module("statuses.migrations.0005_record_reason_as_code")


@pytest.mark.parametrize(
    ("language", "code", "params", "expected"),
    [
        ("en", CONTACT, {"case": "********1234"}, "contact of case ********1234"),
        (
            "en",
            CONTACT,
            {"case": "********1234", "place": "Magnum"},
            "contact of case ********1234 at Magnum",
        ),
        ("kk", CONTACT, {"case": "********1234"}, "науқаспен байланыс (ЖСН ********1234)"),
        (
            "ru",
            CONTACT,
            {"case": "********1234", "place": "Магнум"},
            "контакт с заболевшим (ИИН ********1234), место: Магнум",
        ),
        (
            "kk",
            LAB_IMPORT,
            {"id": 7, "file": "олимп.csv"},
            "Зертхана нәтижелерінің №7 импорты: олимп.csv",
        ),
        ("ru", LAB_IMPORT, {"id": 7, "file": "a.csv"}, "Импорт результатов анализов №7: a.csv"),
        # A typed note is shown as typed; an unknown code never breaks a page.
        ("kk", "", {}, "Жедел тест оң"),
        ("kk", "from_the_future", {}, "Жедел тест оң"),
        ("kk", CONTACT, {}, "Жедел тест оң"),
    ],
)
def test_note_text_in_the_readers_language(language, code, params, expected):
    with translation.override(language):
        assert (
            note_text(code, params, typed="Жедел тест оң" if code != CONTACT or not params else "")
            == expected
        )


@pytest.mark.parametrize(
    ("note", "coded"),
    [
        ("contact of case ********1234", ("contact", {"case": "********1234"})),
        (
            "contact of case ********1234 at Magnum, Small",
            ("contact", {"case": "********1234", "place": "Magnum, Small"}),
        ),
        ("Lab import 12: results.csv", ("lab_import", {"id": 12, "file": "results.csv"})),
        (
            "Зертхана нәтижелерінің №3 импорты: олимп.csv",
            ("lab_import", {"id": 3, "file": "олимп.csv"}),
        ),
        ("Импорт результатов анализов №4: a b.csv", ("lab_import", {"id": 4, "file": "a b.csv"})),
        ("positive rapid test at the clinic", None),
        ("contact of the case", None),
    ],
)
def test_the_migration_reads_the_old_english_reasons(note, coded):
    assert migration.note_to_code(note) == coded


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("kk", "науқаспен байланыс (ЖСН ********1234), орны: Жарық дүкені"),
        ("ru", "контакт с заболевшим (ИИН ********1234), место: Магазин «Жарык»"),
        ("en", "contact of case ********1234 at Zharyq Store"),
    ],
)
def test_a_place_stored_in_every_language_is_read_in_the_readers(language, expected):
    place = {"kk": "Жарық дүкені", "ru": "Магазин «Жарык»", "en": "Zharyq Store"}
    with translation.override(language):
        assert note_text(CONTACT, {"case": "********1234", "place": place}) == expected


def test_a_place_missing_in_the_readers_language_falls_back_to_another():
    place = {"kk": "Жарық дүкені", "ru": "", "en": ""}
    with translation.override("ru"):
        assert note_text(CONTACT, {"case": "********1234", "place": place}).endswith(
            "место: Жарық дүкені"
        )
