from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from ashyq import views
from statuses import views as status_views

# Epidemiologists and operators sign in to the admin by SMS code like everyone else.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = _("Ashyq: sanitary and epidemiological service")
admin.site.site_title = _("Ashyq administration")
admin.site.index_title = _("Work with people, venues and results")

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
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
