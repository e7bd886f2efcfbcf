from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import path

from ashyq.urls import urlpatterns as portal_urlpatterns
from bench import views

if not getattr(settings, "BENCH_FLOOR", False):
    # A second lock on the door: only bench.settings with BENCH_FLOOR=1 routes here.
    raise ImproperlyConfigured("bench.urls is for the benchmark only (BENCH_FLOOR=1).")

urlpatterns = [
    *portal_urlpatterns,
    path("bench/floor/<str:code>/", views.floor, name="bench_floor"),
]
