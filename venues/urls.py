from django.urls import include, path, re_path

from venues import views

app_name = "venues"

# The pages of one venue, under venues/<venue_id>/.
venue_patterns = [
    path("", views.venue_detail, name="detail"),
    path("settings/", views.venue_settings, name="settings"),
    path("staff/", views.staff, name="staff"),
    path("poster/", views.poster, name="poster"),
    re_path(r"^qr\.(?P<kind>svg|png)$", views.poster_download, name="qr"),
    path("kiosk/", views.kiosk, name="kiosk"),
    path("kiosk/code.svg", views.kiosk_code, name="kiosk_code"),
    path("staff/<int:user_id>/remove/", views.staff_remove_view, name="staff_remove"),
    path(
        "invitations/<int:invitation_id>/cancel/",
        views.invitation_cancel_view,
        name="invitation_cancel",
    ),
]

urlpatterns = [
    path("venues/", views.venue_list, name="list"),
    path("venues/register/", views.register, name="register"),
    path("venues/disputes/", views.dispute, name="dispute"),
    path("venues/organisations/<int:organisation_id>/add/", views.venue_add, name="add"),
    path("venues/<int:venue_id>/", include(venue_patterns)),
]
