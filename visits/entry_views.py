"""The citizen's door: the venue page a QR opens, "Enter", and the answer.

These are the requests of every citizen's check-in, millions a day
(docs/scaling.md). Each page reads the venue from the cache
(venues/cards.py) and the person in one statement (visits/door_reads.py).
"Enter" answers with the answer page itself, rendered from what the check-in
decided, and names its GET address (Content-Location, and
`history.replaceState` in the page): a reload or a bookmark shows the answer
again instead of sending the check-in twice, and a repeated nonce stays
harmless anyway.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from statuses.models import StatusChoices
from venues.cards import VenueCard, venue_card
from visits.door_reads import AnswerVisit, answer_reads, venue_page_reads
from visits.models import Visit
from visits.rules import Decision
from visits.services import (
    CheckInError,
    CheckInResult,
    VenueNotFound,
    decision_of,
    visit_check_in,
    visit_check_out_self,
)


@never_cache
@require_http_methods(["GET", "POST"])
def venue_entry(request: HttpRequest, code: str) -> HttpResponse:
    """`/v/<code>/`: the URL in every printed QR (docs/rules.md §3). GET shows, POST enters."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    user = request.user
    kiosk_token = request.POST.get("k") or request.GET.get("k") or ""
    if request.method == "POST" and user.iin:
        try:
            result = visit_check_in(
                venue_code=code,
                iin=user.iin,
                user=user,
                method=Visit.Method.SELF_SCAN,
                nonce=request.POST.get("nonce", "")[:64],
                kiosk_token=kiosk_token,
            )
        except VenueNotFound:
            raise Http404 from None
        except CheckInError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(request.path)
        return _answer_to_check_in(request, result)

    # The page every QR opens: only what it shows of the person (their
    # status, what the venue says of it, an open visit here).
    venue = venue_card(code=code)
    if venue is None:
        raise Http404
    now = timezone.now()
    context = {"venue": venue, "kiosk_token": kiosk_token, "test_mode": venue.in_test_mode(now)}
    if user.iin:
        person, here = venue_page_reads(venue_id=venue.pk, iin=user.iin, now=now)
        context.update(
            status=person.status.value,
            status_label=StatusChoices(person.status.value).label,
            # Said before anyone presses "Enter": a button the venue would
            # refuse is a promise the answer page then breaks.
            verdict=person.verdict_at(venue, now),
            open_visit=here,
            nonce=uuid.uuid4().hex,
        )
    return render(request, "visits/venue_entry.html", context)


def _answer_to_check_in(request: HttpRequest, result: CheckInResult) -> HttpResponse:
    if result.repeated:
        # A double tap, or a re-scan of someone inside: the visit is an older
        # one, whose recorded status may not be the status now. Shown as a
        # reload of its answer would show it.
        return _stored_answer(request, result.visit.pk, answered=True)
    # A new visit, decided a moment ago on the status read under the lock:
    # that status is the status now, and the decision the verdict now.
    visit = result.visit
    venue = _card(visit.venue_id)
    return _answer(request, visit, venue, result.decision, visit.status, answered=True)


@never_cache
@login_required
def visit_detail(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The full-screen answer: a colour and words, never a colour alone."""
    return _stored_answer(request, visit_id, answered=False)


def _stored_answer(request: HttpRequest, visit_id: int, *, answered: bool) -> HttpResponse:
    """The answer for a visit read back: it shows the status now, not only the
    one at entry, and an open visit is judged again: someone who turned red
    inside must not keep a green card."""
    now = timezone.now()
    found = answer_reads(visit_id=visit_id, user_id=request.user.pk, now=now)
    if found is None:
        raise Http404
    visit, person = found
    venue = _card(visit.venue_id)
    decision = person.verdict_at(venue, now) if visit.is_open else decision_of(visit)
    return _answer(request, visit, venue, decision, person.status.value, answered=answered)


def _card(venue_id: int) -> VenueCard:
    venue = venue_card(venue_id=venue_id)
    if venue is None:  # deleted since
        raise Http404
    return venue


def _answer(
    request: HttpRequest,
    visit: Visit | AnswerVisit,
    venue: VenueCard,
    decision: Decision,
    status_now: str,
    *,
    answered: bool,
) -> HttpResponse:
    if not visit.admitted:
        state = "denied"
    elif visit.checked_out_at is not None:
        state = "left"
    elif decision.admitted:
        state = "inside"
    else:
        state = "refused_now"
    # The address a reload asks for, when this page answers the POST.
    page_url = reverse("visits:detail", args=[visit.pk]) if answered else ""
    response = render(
        request,
        "visits/visit_detail.html",
        {
            "visit": visit,
            "venue": venue,
            "decision": decision,
            "state": state,
            "status_label": StatusChoices(visit.status).label,
            "status_now": status_now,
            "status_now_label": StatusChoices(status_now).label,
            "test_mode": venue.in_test_mode(),
            "page_url": page_url,
        },
    )
    if page_url:
        response["Content-Location"] = page_url
    return response


@login_required
@require_POST
def visit_exit(request: HttpRequest, visit_id: int) -> HttpResponse:
    if visit_check_out_self(visit_id=visit_id, user=request.user):
        messages.success(request, _("Your exit is recorded. Goodbye!"))
    return HttpResponseRedirect(reverse("visits:detail", args=[visit_id]))
