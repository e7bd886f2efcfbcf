from django.urls import include, path

from visits import dashboard_views, entry_views, views

app_name = "visits"

# The owners' dashboards, under dashboard/.
dashboard_patterns = [
    path("", dashboard_views.dashboard, name="dashboard"),
    path("<int:venue_id>/", dashboard_views.venue_dashboard, name="venue_dashboard"),
    path("<int:venue_id>/export.csv", dashboard_views.venue_export, name="venue_export"),
]

# A person's own visits, under visits/.
visit_patterns = [
    path("", views.history, name="history"),
    path("lookups/", views.lookups, name="lookups"),
    path("<int:visit_id>/", entry_views.visit_detail, name="detail"),
    path("<int:visit_id>/exit/", entry_views.visit_exit, name="exit"),
]

urlpatterns = [
    # The printed QR contract (docs/rules.md §3): this path never changes.
    path("v/<str:code>/", entry_views.venue_entry, name="venue_entry"),
    path("visits/", include(visit_patterns)),
    path("profile/isolation/", views.isolation_point, name="isolation_point"),
    path("staff/<int:venue_id>/", views.staff_page, name="staff"),
    path("dashboard/", include(dashboard_patterns)),
]
