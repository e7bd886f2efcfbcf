from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import path

from bench import views

if not getattr(settings, "BENCH_BARE", False):
    # Like bench.urls: only bench.bare_settings with BENCH_BARE=1 routes here.
    raise ImproperlyConfigured("bench.bare_urls is for the benchmark only (BENCH_BARE=1).")

urlpatterns = [path("bench/bare/<str:code>/", views.bare_floor, name="bench_bare")]
