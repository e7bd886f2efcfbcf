from allauth.account import views as allauth_views
from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from accounts import views as account_views
from ashyq import views
from statuses import views as status_views

# Epidemiologists and operators sign in to the admin by SMS code like everyone else.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = _("Ashyq: sanitary and epidemiological service")
admin.site.site_title = _("Ashyq administration")
admin.site.index_title = _("Work with people, venues and results")

# A database or Redis outage met outside a view is a 503 "try again" too.
handler500 = "ashyq.outage.server_error"

urlpatterns = [
    path("", status_views.home, name="home"),
    path("", include("accounts.urls")),
    path("", include("statuses.urls")),
    path("", include("venues.urls")),
    path("", include("visits.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    # One sign-in screen for new and returning numbers: the password login and
    # the separate sign-up page would only tell who is registered.
    path(
        "accounts/login/",
        RedirectView.as_view(pattern_name="account_request_login_code", query_string=True),
        name="account_login",
    ),
    path(
        "accounts/signup/",
        RedirectView.as_view(pattern_name="account_request_login_code", query_string=True),
        name="account_signup",
    ),
    # Only the allauth views a phone-only sign-in uses. Its password, e-mail,
    # reset and phone-change pages would let an account grow a password or an
    # address nobody checks, and the reset page tries to send mail.
    path(
        "accounts/login/code/",
        account_views.request_login_code,
        name="account_request_login_code",
    ),
    path(
        "accounts/login/code/confirm/",
        account_views.confirm_login_code,
        name="account_confirm_login_code",
    ),
    path("accounts/logout/", allauth_views.logout, name="account_logout"),
    path("accounts/inactive/", allauth_views.account_inactive, name="account_inactive"),
    # Accounts have no password; the admin's own password pages stay unrouted.
    path("admin/password_change/", views.not_found),
    path("admin/password_change/done/", views.not_found),
    path("admin/", admin.site.urls),
]
