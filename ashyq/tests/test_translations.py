"""docs/rules.md §6: an English sentence on a Kazakh or Russian page is a bug.

CI runs `makemessages` before this test, so a new string in the code that
nobody translated shows up here as an untranslated entry. The catalogues
under `locale/upstream/` hold our Kazakh for Django's own strings (the admin,
forms, the calendar); they are held to the same rules.
"""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
CATALOGUES = [
    "kk/LC_MESSAGES/django.po",
    "ru/LC_MESSAGES/django.po",
    "upstream/kk/LC_MESSAGES/django.po",
    "upstream/kk/LC_MESSAGES/djangojs.po",
]
# Named placeholders of either style, with any conversion (%(count)d too),
# and str.format fields.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdrfi]|\{\w*\}|%[sd]")


@pytest.fixture(params=CATALOGUES)
def catalogue(request) -> polib.POFile:
    return polib.pofile(str(LOCALE_DIR / request.param))


def test_every_entry_is_translated(catalogue):
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []


def test_no_entry_is_fuzzy(catalogue):
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []


def test_placeholders_survive_translation(catalogue):
    def placeholders(text: str) -> set[str]:
        return set(PLACEHOLDER.findall(text))

    broken = []
    for entry in catalogue.translated_entries():
        if entry.msgid_plural:
            # Every plural form keeps the placeholders of the plural msgid.
            expected = placeholders(entry.msgid_plural)
            for form in entry.msgstr_plural.values():
                if placeholders(form) != expected:
                    broken.append((entry.msgid, form))
        elif placeholders(entry.msgid) != placeholders(entry.msgstr):
            broken.append((entry.msgid, entry.msgstr))
    assert broken == []


def test_the_compiled_catalogue_is_up_to_date(catalogue):
    compiled = polib.mofile(catalogue.fpath.replace(".po", ".mo"))
    source = {(e.msgctxt, e.msgid): e.msgstr for e in catalogue.translated_entries()}
    source.update(
        {
            (e.msgctxt, e.msgid): e.msgstr_plural[0]
            for e in catalogue.translated_entries()
            if e.msgid_plural
        }
    )
    built = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural[0] for e in compiled if e.msgid}
    assert built == source


@pytest.mark.parametrize(
    ("msgid", "kazakh"),
    [
        # Django's kk catalogue misspells it («Өзгетру») and lacks the rest.
        ("Change", "Өзгерту"),
        ("View site", "Порталға өту"),
        ("Recent actions", "Соңғы әрекеттер"),
        ("Save and view", "Сақтап, қарау"),
        ("Start typing to filter…", "Сүзу үшін теріп бастаңыз…"),
        ("Show counts", "Сандарды көрсету"),
        ("Date/time", "Күні мен уақыты"),
    ],
)
def test_django_admin_strings_come_from_our_kazakh(msgid, kazakh):
    with translation.override("kk"):
        assert translation.gettext(msgid) == kazakh


def test_our_own_catalogue_wins_over_the_upstream_one():
    # "Save" is ours (the portal's buttons) and Django's; one answer in kk.
    ours = polib.pofile(str(LOCALE_DIR / "kk/LC_MESSAGES/django.po")).find("Save")
    with translation.override("kk"):
        assert translation.gettext("Save") == ours.msgstr
