"""SPEC §6: an English sentence on a Kazakh or Russian page is a bug.

CI runs `makemessages` before this test, so a new string in the code that
nobody translated shows up here as an untranslated entry.
"""

from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"


@pytest.fixture(params=["kk", "ru"])
def catalogue(request) -> polib.POFile:
    return polib.pofile(str(LOCALE_DIR / request.param / "LC_MESSAGES" / "django.po"))


def test_every_entry_is_translated(catalogue):
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []


def test_no_entry_is_fuzzy(catalogue):
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []


def test_placeholders_survive_translation(catalogue):
    import re

    pattern = re.compile(r"%\(\w+\)s|\{\w+\}")
    broken = [
        entry.msgid
        for entry in catalogue.translated_entries()
        if not entry.msgid_plural
        and sorted(pattern.findall(entry.msgid)) != sorted(pattern.findall(entry.msgstr))
    ]
    assert broken == []


def test_the_compiled_catalogue_is_up_to_date(catalogue):
    compiled = polib.mofile(catalogue.fpath.replace(".po", ".mo"))
    source = {(e.msgctxt, e.msgid): e.msgstr for e in catalogue.translated_entries()}
    built = {(e.msgctxt, e.msgid): e.msgstr for e in compiled if e.msgid}
    assert built == source
