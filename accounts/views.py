from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts.middleware import set_language_cookie
from accounts.phones import display_phone
from accounts.services import user_set_language


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@require_http_methods(["GET", "POST"])
def language(request: HttpRequest) -> HttpResponse:
    """The language choice: the first screen of a new visitor, and the switch."""
    next_url = _safe_next(request)
    if request.method == "POST":
        code = request.POST.get("language", "")
        if code in dict(settings.LANGUAGES):
            translation.activate(code)
            if request.user.is_authenticated:
                user_set_language(request.user, code)
            response = HttpResponseRedirect(next_url)
            set_language_cookie(response, code)
            return response
    return render(request, "accounts/language.html", {"next": next_url})


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "accounts/welcome.html")
    phone = display_phone(str(request.user.phone)) if request.user.phone else ""
    return render(request, "accounts/home.html", {"phone": phone})
