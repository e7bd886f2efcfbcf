from django.urls import path, re_path

from venues import views

app_name = "venues"

urlpatterns = [
    path("venues/", views.venue_list, name="list"),
    path("venues/register/", views.register, name="register"),
    path("venues/disputes/", views.dispute, name="dispute"),
    path("venues/organisations/<int:organisation_id>/add/", views.venue_add, name="add"),
    path("venues/<int:venue_id>/", views.venue_detail, name="detail"),
    path("venues/<int:venue_id>/settings/", views.venue_settings, name="settings"),
    path("venues/<int:venue_id>/staff/", views.staff, name="staff"),
    path("venues/<int:venue_id>/poster/", views.poster, name="poster"),
    re_path(r"^venues/(?P<venue_id>\d+)/qr\.(?P<kind>svg|png)$", views.poster_download, name="qr"),
    path("venues/<int:venue_id>/kiosk/", views.kiosk, name="kiosk"),
    path("venues/<int:venue_id>/kiosk/code.svg", views.kiosk_code, name="kiosk_code"),
    path(
        "venues/<int:venue_id>/staff/<int:user_id>/remove/",
        views.staff_remove_view,
        name="staff_remove",
    ),
    path(
        "venues/<int:venue_id>/invitations/<int:invitation_id>/cancel/",
        views.invitation_cancel_view,
        name="invitation_cancel",
    ),
]
