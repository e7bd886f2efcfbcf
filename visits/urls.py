from django.urls import path

from visits import dashboard_views, entry_views, views

app_name = "visits"

urlpatterns = [
    # The printed QR contract (docs/rules.md §3): this path never changes.
    path("v/<str:code>/", entry_views.venue_entry, name="venue_entry"),
    path("visits/", views.history, name="history"),
    path("visits/lookups/", views.lookups, name="lookups"),
    path("visits/<int:visit_id>/", entry_views.visit_detail, name="detail"),
    path("visits/<int:visit_id>/exit/", entry_views.visit_exit, name="exit"),
    path("profile/isolation/", views.isolation_point, name="isolation_point"),
    path("staff/<int:venue_id>/", views.staff_page, name="staff"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/<int:venue_id>/", dashboard_views.venue_dashboard, name="venue_dashboard"),
    path("dashboard/<int:venue_id>/export.csv", dashboard_views.venue_export, name="venue_export"),
]
