from allauth.account import views as allauth_views
from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts.attempts import attempt_key
from accounts.forms import ProfileForm
from accounts.identifiers import mask_iin
from accounts.middleware import set_language_cookie
from accounts.phones import display_phone
from accounts.services import (
    ClaimRefused,
    user_claim_iin,
    user_for_phone,
    user_set_language,
    user_set_name,
)


def safe_next(request: HttpRequest, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


@require_http_methods(["GET", "POST"])
def language(request: HttpRequest) -> HttpResponse:
    """The language choice: the first screen of a new visitor, and the switch."""
    next_url = safe_next(request)
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


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """IIN and full name: asked after sign-in until given; skippable."""
    user = request.user
    next_url = safe_next(request)
    if user.iin:
        form = ProfileForm(
            request.POST or None, initial={"full_name": user.full_name, "iin": user.iin}
        )
        form.fields["iin"].disabled = True
    else:
        form = ProfileForm(request.POST or None, initial={"full_name": user.full_name})
    refusal = None
    if request.method == "POST" and form.is_valid():
        if user.iin:
            user_set_name(user, full_name=form.cleaned_data["full_name"])
            return HttpResponseRedirect(next_url)
        try:
            user_claim_iin(
                user, iin=form.cleaned_data["iin"], full_name=form.cleaned_data["full_name"]
            )
        except ClaimRefused as exc:
            refusal = exc.message
        else:
            return HttpResponseRedirect(next_url)
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "next": next_url, "refusal": refusal, "has_iin": bool(user.iin)},
    )


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/account.html",
        {
            "phone": display_phone(str(user.phone)) if user.phone else "",
            "iin": user.iin or "",
            "masked_iin": mask_iin(user.iin) if user.iin else "",
        },
    )


class RequestLoginCodeView(allauth_views.RequestLoginCodeView):
    """allauth's code request; the number's account is made here, once the form
    has passed (rate limit included), so that cleaning a form writes nothing."""

    def form_valid(self, form) -> HttpResponse:
        form._user = user_for_phone(form.cleaned_data["phone"])
        return super().form_valid(form)


request_login_code = RequestLoginCodeView.as_view()


class ConfirmLoginCodeView(allauth_views.ConfirmLoginCodeView):
    """allauth's code confirmation, with the attempt limit on a shared counter."""

    def get_form_kwargs(self) -> dict:
        kwargs = super().get_form_kwargs()
        if self._action != "resend":
            kwargs["attempt_key"] = attempt_key(self._process.state)
        return kwargs

    def form_invalid(self, form) -> HttpResponse:
        if not getattr(form, "attempts_exhausted", False):
            return super().form_invalid(form)
        # Another request used the last try: this code is dead, start over.
        self._process.abort()
        adapter = get_adapter(self.request)
        adapter.add_message(
            self.request, messages.ERROR, message=adapter.error_messages["too_many_login_attempts"]
        )
        return HttpResponseRedirect(reverse("account_request_login_code"))


confirm_login_code = ConfirmLoginCodeView.as_view()
