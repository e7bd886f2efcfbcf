"""The bare floor: the portal's settings with no middleware and a URLconf of one view.

`make bench` serves it from a gunicorn of its own (bench.bare_wsgi,
DJANGO_SETTINGS_MODULE=bench.bare_settings, BENCH_BARE=1), so that every scenario can be set against
the cheapest a Django view can be: the request cycle without sessions,
CSRF, locale, security headers or whitenoise, one indexed SELECT and one INSERT.
Production never loads this module.
"""

from ashyq.env import env_bool
from ashyq.settings import *  # noqa: F403
from ashyq.settings import BASE_DIR

BENCH_BARE = env_bool("BENCH_BARE", False)
# Only for allauth's start-up check: bench.bare_wsgi builds the handler with none.
MIDDLEWARE = ["allauth.account.middleware.AccountMiddleware"]
ROOT_URLCONF = "bench.bare_urls"
STATIC_ROOT = BASE_DIR / "bench-results" / "staticfiles"
