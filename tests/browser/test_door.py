"""Every scan decides anew: a person inside whose status turned red is refused on the next scan."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.identifiers import person_at_door
from statuses.imports import lab_import_check, lab_import_commit
from statuses.models import LabImport
from tests.browser.support import assert_speaks, check_axe, screenshot, sign_in, t
from tests.sample import person, venue, verified_organisation
from venues.models import StaffMembership
from visits.models import Visit
from visits.rules import DENIALS

pytestmark = pytest.mark.browser

# The colour of a refusal (static/css/ashyq.css, .answer-no).
RED = "rgb(164, 22, 26)"


def import_positive_pcr(iin: str, by) -> None:
    """A lab file with one positive PCR, checked and committed as the admin would."""
    taken = timezone.localtime(timezone.now() - datetime.timedelta(hours=3))
    lab_import = LabImport.objects.create(
        file_name="kdl-olymp.csv",
        content=(
            "iin,sample_id,taken_at,result,lab\n"
            f"{iin},S-7781,{taken:%Y-%m-%d %H:%M},positive,KDL Olymp\n"
        ).encode(),
        created_by=by,
    )
    lab_import_check(lab_import)
    lab_import_commit(lab_import, by=by)
    lab_import.refresh_from_db()
    assert lab_import.state == LabImport.State.DONE


def test_a_person_inside_who_turned_red_is_refused_on_the_next_scan(page, context, live_server):
    organisation = verified_organisation("ТОО «Дәрі»")
    pharmacy = venue(organisation, "Дәріхана", "Аптека", "Pharmacy", "pharmacy")
    staff = person("Дана Қасымова")
    StaffMembership.objects.create(venue=pharmacy, user=staff, added_by=organisation.admin)
    visitor = person("Айгерім Сәрсенова")  # nothing known: blue
    sign_in(context, live_server.url, staff, "kk")

    page.goto(f"/staff/{pharmacy.pk}/")
    page.keyboard.type(visitor.iin, delay=40)
    page.keyboard.press("Enter")
    answer = page.locator(".answer")
    expect(answer).to_have_class(re.compile(r"\banswer-yes\b"))
    expect(answer.locator(".status-line")).to_have_text(t("kk", "Blue"))
    inside = Visit.objects.get(iin=visitor.iin)
    assert inside.is_open

    import_positive_pcr(visitor.iin, by=person("Серік Әлиев", is_staff=True))

    # Staff see them at the top of the page before anyone scans them again.
    page.goto(f"/staff/{pharmacy.pk}/")
    worsened = page.get_by_role("region", name=t("kk", "Inside, and may not stay"))
    expect(worsened).to_contain_text(person_at_door(visitor.full_name, visitor.iin).name)
    expect(worsened).to_contain_text(t("kk", "Red"))
    assert_speaks(page, "kk")
    check_axe(page)
    screenshot(page, "staff-worsened-inside-kk")

    page.get_by_label(t("kk", "IIN or personal code")).focus()
    page.keyboard.type(visitor.iin, delay=40)
    page.keyboard.press("Enter")

    answer = page.locator(".answer")
    expect(answer).to_have_class(re.compile(r"\banswer-no\b"))
    expect(answer).to_have_css("background-color", RED)
    expect(answer.get_by_role("heading", level=2)).to_have_text(t("kk", "Entry denied"))
    expect(answer.locator(".status-line")).to_have_text(t("kk", "Red"))
    expect(answer).to_contain_text(t("kk", DENIALS["red"]))
    since = timezone.localtime(inside.checked_in_at).strftime("%H:%M")
    expect(answer).to_contain_text(
        t("kk", "Was inside since %(time)s: that visit is now closed. Ask them to leave.")
        % {"time": since}
    )
    expect(page.get_by_role("region", name=t("kk", "Inside, and may not stay"))).to_have_count(0)
    assert_speaks(page, "kk")
    check_axe(page)
    screenshot(page, "staff-rescan-refused-kk")

    refusal = Visit.objects.exclude(pk=inside.pk).get(iin=visitor.iin)
    inside.refresh_from_db()
    assert (refusal.admitted, refusal.status, refusal.denial_code) == (False, "red", "red")
    assert (inside.checkout_method, inside.checked_out_at) == (
        Visit.Checkout.REFUSED,
        refusal.checked_in_at,
    )
