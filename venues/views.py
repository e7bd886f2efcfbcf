from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.errors import AshyqError
from venues.forms import DisputeForm, InviteForm, OrganisationForm, VenueForm
from venues.models import Venue
from venues.qr import kiosk_url, qr_file, qr_svg_inline
from venues.selectors import (
    invitations_waiting,
    is_venue_admin,
    managed_venue,
    organisations_for,
    public_url,
    staff_of,
    venue_for,
    venues_for,
)
from venues.services import (
    BinTaken,
    VenueError,
    invitation_cancel,
    organisation_dispute,
    organisation_register,
    staff_invite,
    staff_remove,
    venue_create,
    venue_update,
)


@login_required
def venue_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "venues/list.html",
        {
            "venues": venues_for(request.user),
            "organisations": organisations_for(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Become a responsible person: the organisation and its first venue."""
    organisation_form = OrganisationForm(request.POST or None, prefix="org")
    venue_form = VenueForm(request.POST or None, prefix="venue")
    error = dispute_form = None
    if request.method == "POST" and organisation_form.is_valid() and venue_form.is_valid():
        try:
            venue = organisation_register(
                admin=request.user,
                bin=organisation_form.cleaned_data["bin"],
                legal_name=organisation_form.cleaned_data["legal_name"],
                venue=venue_form.venue_fields(),
            )
        except BinTaken as exc:
            error = exc.message
            dispute_form = DisputeForm(initial={"bin": organisation_form.cleaned_data["bin"]})
        except AshyqError as exc:
            error = exc.message
        except ValidationError as exc:
            venue_form.add_error(None, exc)
        else:
            messages.success(request, _("Your organisation and venue are registered."))
            return redirect(venue)
    return render(
        request,
        "venues/register.html",
        {
            "organisation_form": organisation_form,
            "venue_form": venue_form,
            "error": error,
            "dispute_form": dispute_form,
        },
    )


@login_required
@require_POST
def dispute(request: HttpRequest) -> HttpResponse:
    """File a dispute over a BIN someone else registered; an operator follows it up."""
    form = DisputeForm(request.POST)
    if form.is_valid():
        try:
            organisation_dispute(
                claimant=request.user,
                bin=form.cleaned_data["bin"],
                message=form.cleaned_data["message"],
            )
        except VenueError as exc:
            form.add_error("bin", exc.message)
        else:
            messages.success(
                request,
                _(
                    "Your dispute is filed. An operator will call you at this account's "
                    "number to check the documents; you can also call %(support)s."
                )
                % {"support": settings.SUPPORT_PHONE},
            )
            return redirect("venues:list")
    return render(request, "venues/dispute.html", {"form": form}, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def venue_add(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = get_object_or_404(organisations_for(request.user), pk=organisation_id)
    return _venue_form_page(
        request,
        VenueForm(request.POST or None),
        save=lambda fields: venue_create(organisation=organisation, **fields),
        saved=_("The venue is added."),
        context={"organisation": organisation},
    )


@login_required
def venue_detail(request: HttpRequest, venue_id: int) -> HttpResponse:
    venue = venue_for(request.user, venue_id)
    return render(
        request,
        "venues/detail.html",
        {"venue": venue, "is_admin": is_venue_admin(request.user, venue)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def venue_settings(request: HttpRequest, venue_id: int) -> HttpResponse:
    venue = managed_venue(request.user, venue_id)
    return _venue_form_page(
        request,
        VenueForm(request.POST or None, instance=venue),
        save=lambda fields: venue_update(venue, **fields),
        saved=_("The settings are saved."),
        context={"venue": venue, "organisation": venue.organisation},
    )


def _venue_form_page(
    request: HttpRequest,
    form: VenueForm,
    *,
    save: Callable[[dict], Venue],
    saved: str,
    context: dict,
) -> HttpResponse:
    """The venue form, new or existing: saved through `save` and back to the venue,
    or shown again with what the model's own checks refused."""
    if request.method == "POST" and form.is_valid():
        try:
            venue = save(form.venue_fields())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, saved)
            return redirect(venue)
    return render(request, "venues/venue_form.html", {"form": form, **context})


@login_required
@require_http_methods(["GET", "POST"])
def staff(request: HttpRequest, venue_id: int) -> HttpResponse:
    venue = managed_venue(request.user, venue_id)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invited = staff_invite(venue=venue, phone=form.cleaned_data["phone"], by=request.user)
        except VenueError as exc:
            form.add_error(None, exc.message)
        else:
            if invited.sms_sent:
                messages.success(request, _("The invitation is sent by SMS."))
            else:
                minutes = settings.INVITATION_SMS_INTERVAL_MINUTES
                messages.warning(
                    request,
                    ngettext(
                        "This number already got an invitation SMS from this venue in the last "
                        "%(minutes)d minute, so no new SMS is sent. The invitation stands: your "
                        "colleague signs in to Ashyq with this number.",
                        "This number already got an invitation SMS from this venue in the last "
                        "%(minutes)d minutes, so no new SMS is sent. The invitation stands: your "
                        "colleague signs in to Ashyq with this number.",
                        minutes,
                    )
                    % {"minutes": minutes},
                )
            return redirect("venues:staff", venue.pk)
    return render(
        request,
        "venues/staff.html",
        {
            "venue": venue,
            "form": form,
            "members": staff_of(venue),
            "invitations": invitations_waiting(venue),
        },
    )


@login_required
@require_POST
def staff_remove_view(request: HttpRequest, venue_id: int, user_id: int) -> HttpResponse:
    venue = managed_venue(request.user, venue_id)
    staff_remove(venue=venue, user_id=user_id, by=request.user)
    messages.success(request, _("The person no longer works at this venue in Ashyq."))
    return redirect("venues:staff", venue.pk)


@login_required
@require_POST
def invitation_cancel_view(request: HttpRequest, venue_id: int, invitation_id: int) -> HttpResponse:
    venue = managed_venue(request.user, venue_id)
    invitation_cancel(venue=venue, invitation_id=invitation_id)
    messages.success(request, _("The invitation is cancelled."))
    return redirect("venues:staff", venue.pk)


def _public_url(request: HttpRequest, venue) -> str:
    return public_url(venue, request.build_absolute_uri("/"))


@login_required
def poster(request: HttpRequest, venue_id: int) -> HttpResponse:
    """The print-ready A4 poster for the door, in the three languages."""
    venue = venue_for(request.user, venue_id)
    url = _public_url(request, venue)
    return render(
        request,
        "venues/poster.html",
        {
            "venue": venue,
            "url": url,
            "qr_svg": mark_safe(qr_svg_inline(url, scale=10)),  # noqa: S308 (segno's SVG)
        },
    )


@login_required
def poster_download(request: HttpRequest, venue_id: int, kind: str) -> HttpResponse:
    venue = venue_for(request.user, venue_id)
    content_type = {"svg": "image/svg+xml", "png": "image/png"}[kind]
    response = HttpResponse(qr_file(_public_url(request, venue), kind), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="ashyq-{venue.code}.{kind}"'
    return response


@never_cache
@login_required
def kiosk(request: HttpRequest, venue_id: int) -> HttpResponse:
    """A tablet by the door: a QR that changes every 30 s, so a photo of it is
    useless a minute later (docs/rules.md §3)."""
    venue = venue_for(request.user, venue_id)
    url = kiosk_url(venue, _public_url(request, venue))
    return render(
        request,
        "venues/kiosk.html",
        {"venue": venue, "qr_svg": mark_safe(qr_svg_inline(url, scale=10))},  # noqa: S308
    )


@never_cache
@login_required
def kiosk_code(request: HttpRequest, venue_id: int) -> HttpResponse:
    venue = venue_for(request.user, venue_id)
    url = kiosk_url(venue, _public_url(request, venue))
    return HttpResponse(qr_svg_inline(url, scale=10), content_type="image/svg+xml")
