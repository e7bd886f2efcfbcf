"""An epidemiologist in the admin: import lab results, see a case turn red, trace and
mark the contacts yellow (docs/rules.md §5)."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from accounts import sms
from statuses.selectors import current_status
from tests.browser.support import screenshot, sign_in, t
from tests.sample import new_iin, person, venue, verified_organisation
from visits.models import Visit

# Epidemiologists work in the admin on a desktop screen, not on a phone.
pytestmark = [pytest.mark.browser, pytest.mark.desktop]


def visit(where, iin: str, user, start: datetime.datetime, minutes: int) -> Visit:
    return Visit.objects.create(
        venue=where,
        iin=iin,
        user=user,
        method=Visit.Method.SELF_SCAN,
        status="blue",
        admitted=True,
        checked_in_at=start,
        checked_out_at=start + datetime.timedelta(minutes=minutes),
        checkout_method=Visit.Checkout.SELF,
    )


def test_an_epidemiologist_imports_a_positive_result_and_marks_the_contacts(
    page, context, live_server
):
    epidemiologist = person("Гүлнар Сейітова", language="ru", is_staff=True)
    epidemiologist.groups.add(Group.objects.get(name="epidemiologist"))
    organisation = verified_organisation()
    cafe = venue(organisation, "Дос кофеханасы", "Кофейня «Дос»", "Dos Coffee", "cafe")
    case = person("Ерлан Жұмабаев", language="ru")
    neighbour = person("Айгерім Сәрсенова", language="kk")
    passer_by = person("Иван Петров", language="ru")
    walk_in = new_iin()
    lunch = timezone.localtime().replace(hour=13, minute=0, second=0, microsecond=0)
    lunch -= datetime.timedelta(days=1)
    visit(cafe, case.iin, case, lunch, 60)
    visit(cafe, neighbour.iin, neighbour, lunch + datetime.timedelta(minutes=15), 60)
    visit(cafe, walk_in, None, lunch - datetime.timedelta(minutes=30), 70)
    # Ten minutes together is less than the fifteen that make a contact.
    visit(cafe, passer_by.iin, passer_by, lunch + datetime.timedelta(minutes=50), 40)
    taken_at = (lunch + datetime.timedelta(hours=3)).strftime("%d.%m.%Y %H:%M")
    csv = (
        "ИИН;номер пробы;дата забора;результат;лаборатория\n"
        f"{case.iin};KDL-0001;{taken_at};положительный;КДЛ Олимп\n"
        f"12345;KDL-0002;{taken_at};отрицательный;КДЛ Олимп\n"
    ).encode()
    sign_in(context, live_server.url, epidemiologist, "ru")

    page.goto("/admin/statuses/labimport/add/")
    page.locator('input[type="file"]').set_input_files(
        files=[{"name": "olimp.csv", "mimeType": "text/csv", "buffer": csv}]
    )
    page.get_by_role("button", name=t("ru", "Check the file")).click()

    expect(page).to_have_url(re.compile(r"/admin/statuses/labimport/\d+/change/$"))
    expect(page.locator("#accepted-rows")).to_have_text("1")
    expect(page.locator("#rejected-rows")).to_have_text("1")
    assert current_status(case.iin).status.value == "blue"
    page.get_by_role("button", name=t("ru", "Confirm import")).click()

    expect(page.locator("#created-rows")).to_have_text("1")
    assert current_status(case.iin).status.value == "red"
    assert [message.to for message in sms.outbox] == [str(case.phone)]

    page.goto(f"/admin/visits/visit/person/?q={case.iin}")
    expect(page.locator("#status-now")).to_contain_text(t("ru", "Red"))
    page.get_by_role("link", name=t("ru", "Trace contacts")).click()

    expect(page).to_have_url(re.compile(r"/admin/visits/visit/tracing/\?iin="))
    contacts = page.locator("#contacts")
    expect(contacts.locator("tbody tr")).to_have_count(2)
    expect(contacts).to_contain_text(neighbour.iin)
    expect(contacts).to_contain_text(walk_in)
    expect(contacts).not_to_contain_text(passer_by.iin)
    page.get_by_label(neighbour.iin).check()
    page.get_by_label(walk_in).check()
    page.get_by_role("button", name=t("ru", "Mark selected as contacts")).click()

    expect(page.locator(".messagelist")).to_contain_text("2")
    screenshot(page, "epidemiologist-contacts-marked-ru")
    assert current_status(neighbour.iin).status.value == "yellow"
    assert current_status(walk_in).status.value == "yellow"
    assert current_status(passer_by.iin).status.value == "blue"
    # The contact with an account hears of it by SMS, in Kazakh.
    assert sms.outbox[-1].to == str(neighbour.phone)
    assert "Ashyq" in sms.outbox[-1].text
