from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from statuses.models import StatusChoices
from venues.models import Venue
from visits.models import Visit


def _select_and_insert(request: HttpRequest, code: str) -> HttpResponse:
    venue_id = Venue.objects.filter(code=code).values_list("pk", flat=True).first()
    if venue_id is None:
        raise Http404
    visit = Visit.objects.create(
        venue_id=venue_id,
        iin=request.POST.get("iin", "")[:12],
        method=Visit.Method.SELF_SCAN,
        status=StatusChoices.BLUE,
        admitted=True,
        checked_in_at=timezone.now(),
        nonce=request.POST.get("nonce", "")[:64],
    )
    return HttpResponseRedirect(f"/visits/{visit.pk}/")


@require_POST
def bare_floor(request: HttpRequest, code: str) -> HttpResponse:
    """The same SELECT and INSERT as `floor`, served by bench.bare_settings: no
    middleware at all, a URLconf of this one view. The second floor of the bench."""
    return _select_and_insert(request, code)


@require_POST
def floor(request: HttpRequest, code: str) -> HttpResponse:
    """The cheapest check-in Django can do: one indexed SELECT, one INSERT.

    No session, no user, no status, no lock, no transaction: what is left is
    the request cycle itself (middleware, CSRF, URL resolution) and the two
    statements every check-in needs. The benchmark divides by this.
    """
    return _select_and_insert(request, code)
