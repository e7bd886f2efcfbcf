import segno
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache

from accounts.personal_qr import personal_qr_token
from statuses.models import SourceChoices, StatusChoices
from statuses.selectors import current_status, history, status_info


def personal_qr_svg(user) -> str:
    token = personal_qr_token(user)
    # Medium error correction: survives a cracked screen or glare at the door.
    return segno.make_qr(token, error="m").svg_inline(
        scale=5, border=2, dark="#000", light="#fff", omitsize=True
    )


@never_cache
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return render(request, "statuses/welcome.html")
    if not user.iin:
        return render(request, "statuses/no_iin.html")
    derived = current_status(user.iin)
    record = derived.record
    return render(
        request,
        "statuses/home.html",
        {
            "holder": user.full_name,
            "status": derived.status.value,
            "status_label": StatusChoices(derived.status.value).label,
            "info": status_info(derived.status.value),
            "valid_until": derived.valid_until,
            "source_label": SourceChoices(record.source.value).label if record else "",
            "history": history(user.iin)[:50],
            "qr_svg": mark_safe(personal_qr_svg(user)),  # noqa: S308 (segno's own SVG)
        },
    )


@never_cache
@login_required
def personal_qr(request: HttpRequest) -> HttpResponse:
    """A fresh personal QR, fetched by the status page every half minute."""
    if not request.user.iin:
        return HttpResponse(status=204)
    return HttpResponse(personal_qr_svg(request.user), content_type="image/svg+xml")
