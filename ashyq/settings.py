"""Ashyq settings: one file, configured by environment variables.

They are read through the helpers in ashyq/env.py, and every one is listed in
the README. Defaults are safe for a local run
(SQLite, eager Celery, SMS to the console); production sets DEBUG=0 and
must then provide SECRET_KEY and ALLOWED_HOSTS.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from ashyq.env import env_bool, env_int, env_list, env_str, redis_sibling_db
from ashyq.logging_config import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # modeltranslation must come before the admin to patch its forms.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Widget templates, for FORM_RENDERER below.
    "django.forms",
    "allauth",
    "allauth.account",
    "phonenumber_field",
    "accounts",
    "statuses",
    "venues",
    "visits",
    "ashyq",
]

MIDDLEWARE = [
    "ashyq.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ashyq.middleware.PrivatePagesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # A database or Redis away answers 503 "try again" in the page's language.
    "ashyq.outage.OutageMiddleware",
    # After the language is known, so that the 400 page speaks it.
    "ashyq.middleware.RejectNulBytesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.LanguageChoiceMiddleware",
    # Last, so that it runs the report views themselves on the replica.
    "ashyq.db.ReplicaMiddleware",
]

ROOT_URLCONF = "ashyq.urls"
WSGI_APPLICATION = "ashyq.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ashyq.context_processors.support_phone",
            ],
        },
    },
]

# Forms render through the project's templates, so that templates/ can give
# the admin's date and time boxes real labels (admin/widgets/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# A database host that drops packets (a network partition, a replica's host
# gone) would hold a worker for the operating system's TCP timeout, about two
# minutes; connecting gives up after this many seconds instead, and the page
# answers "try again" (ashyq/outage.py) or reads the primary (ashyq/db.py).
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = DATABASE_CONNECT_TIMEOUT
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DATABASE_PREPARED_STATEMENTS", True
):
    # Statements sent through server-side binding cursors are prepared on their
    # first run. Django's ORM binds on the client and prepares nothing; only
    # the door's fixed statements use such a cursor (visits.checkin_queries),
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 0
    # and each runs on its generic plan, which prunes the daily partitions of
    # the visits as it starts: left to choose, PostgreSQL keeps re-planning
    # statements that name a window of days (0.8 ms each time at 38 days,
    # against 0.1 ms; docs/scaling.md). Through a pooler without prepared
    # statements every statement is planned anew, so this stays off there.
    DATABASES["default"]["OPTIONS"]["options"] = "-c plan_cache_mode=force_generic_plan"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    from psycopg import IsolationLevel

    # Every transaction says READ COMMITTED in its BEGIN, whatever the server's
    # default_transaction_isolation: the check-in counts the people inside after
    # it has waited for the venue lock, and a REPEATABLE READ snapshot taken
    # before the wait would let a venue fill past its capacity.
    DATABASES["default"].setdefault("OPTIONS", {})["isolation_level"] = (
        IsolationLevel.READ_COMMITTED
    )
# A streaming replica for the reports (docs/scaling.md): the pages named in
# REPLICA_READ_VIEWS read there (ashyq.db). Unset, there is no `replica` alias
# and everything reads the primary.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = DATABASE_CONNECT_TIMEOUT
    # Tests read the primary's test database through a second connection
    # instead of creating a database on a read-only server.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["ashyq.db.ReplicaRouter"]
# Seconds after a write (any POST) during which the same browser reads the
# primary even on report pages, so that it sees what it just wrote.
DATABASE_REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", 5)
# GET pages that only read and may lag the primary by a moment: the
# epidemiologists' reports and tracing, the organisation dashboards, exports.
REPLICA_READ_VIEWS = frozenset(
    {
        "admin:visits_visit_tracing",
        "admin:visits_visit_tracing_export",
        "admin:visits_visit_reports",
        "admin:visits_visit_venue_export",
        "visits:dashboard",
        "visits:venue_dashboard",
        "visits:venue_export",
    }
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")

# Two roles (docs/scaling.md, Redis): the cache (sessions, signed-in accounts,
# rate limits) may evict under an LRU policy; the Celery broker must never
# lose a queued task, so it runs with noeviction, ideally on its own server.
REDIS_CACHE_URL = env_str("REDIS_CACHE_URL") or REDIS_URL
REDIS_BROKER_URL = env_str("REDIS_BROKER_URL") or (
    redis_sibling_db(REDIS_URL) if REDIS_URL and not env_str("REDIS_CACHE_URL") else REDIS_URL
)
if REDIS_BROKER_URL and REDIS_BROKER_URL == REDIS_CACHE_URL:
    raise ImproperlyConfigured(
        "REDIS_BROKER_URL and REDIS_CACHE_URL name the same Redis database: clearing or "
        "evicting the cache would drop queued tasks. Give each its own database or server."
    )

if REDIS_CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "ashyq.cache.PooledRedisCache",
            "LOCATION": REDIS_CACHE_URL,
            "KEY_PREFIX": "ashyq",
        }
    }
    # Sessions live in the cache role and fall back to the database when the
    # LRU policy evicts one, so nobody is signed out by memory pressure.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: with no broker configured, tasks run in-process so that a local run
# needs nothing but Python.
CELERY_BROKER_URL = REDIS_BROKER_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_BROKER_URL
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Off, so that an eager task's retry runs in-process instead of surfacing as
# an error in the request that queued it. Tests turn it on.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged after it ran, so a worker killed mid-task hands it to
# another worker; tasks are written to be safe when run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers log through LOGGING below (JSON in production), not Celery's own setup.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "warn-expiring-greens": {
        "task": "statuses.tasks.warn_expiring_greens",
        "schedule": 15 * 60,
    },
    "notify-status-transitions": {
        "task": "statuses.tasks.notify_status_transitions",
        "schedule": 10 * 60,
    },
    "close-expired-visits": {
        "task": "visits.tasks.close_expired_visits",
        "schedule": 5 * 60,
    },
    "delete-old-visits": {
        "task": "visits.tasks.delete_old_visits",
        "schedule": 24 * 3600,
    },
    # PostgreSQL: the daily partitions of visits, a week ahead (visits/partitions.py).
    "create-visit-partitions": {
        "task": "visits.tasks.create_visit_partitions",
        "schedule": 3600,
    },
    "prune-visit-nonces": {
        "task": "visits.tasks.prune_visit_nonces",
        "schedule": 3600,
    },
    # The venues' occupancy counters against their open visits (visits/occupancy.py).
    "reconcile-occupancy": {
        "task": "visits.tasks.reconcile_occupancy",
        "schedule": 15 * 60,
    },
    # SMS the after-commit hand-over could not queue (broker away, process
    # killed): docs/rules.md §7, nothing decided is lost.
    "relay-sms-outbox": {
        "task": "accounts.tasks.relay_sms_outbox",
        "schedule": 60,
    },
    "prune-sms-outbox": {
        "task": "accounts.tasks.prune_sms_outbox",
        "schedule": 24 * 3600,
    },
    "delete-unconfirmed-accounts": {
        "task": "accounts.tasks.delete_unconfirmed_accounts",
        "schedule": 24 * 3600,
    },
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.CachedModelBackend",
    "accounts.backends.CachedAuthenticationBackend",
]
# How long a signed-in account is read from the cache instead of the database
# (accounts.backends); every save drops it sooner. 0 reads the database always.
USER_CACHE_SECONDS = env_int("USER_CACHE_SECONDS", 300)
LOGIN_URL = "account_request_login_code"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# django-allauth: phone number only, sign-in (and sign-up) by an SMS code.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "request_login_code": "accounts.forms.RequestPhoneCodeForm",
    "confirm_login_code": "accounts.forms.ConfirmPhoneCodeForm",
}
ACCOUNT_LOGIN_METHODS = {"phone"}
ACCOUNT_SIGNUP_FIELDS = ["phone*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_USER_MODEL_EMAIL_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = env_int("LOGIN_CODE_TIMEOUT", 300)
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_RATE_LIMITS = {
    # Per client (IP) and per number (key). Every code request costs an SMS,
    # so the per-number limit is tight and has a daily ceiling too.
    "request_login_code": env_str("RATE_LIMIT_REQUEST_CODE", "10/m/ip,60/h/ip,3/10m/key,10/d/key"),
    "login_failed": env_str("RATE_LIMIT_LOGIN_FAILED", "10/m/ip,5/5m/key"),
    "login": "30/m/ip",
    "signup": "20/m/ip",
    # Staff lookups of people by IIN at the door (docs/rules.md §4), per staff account.
    "staff_lookup": env_str("STAFF_LOOKUP_RATE_LIMIT", "120/m/user"),
}
# Behind a reverse proxy, how many X-Forwarded-For hops to trust when allauth
# works out the client address for its per-client limits.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

PHONENUMBER_DEFAULT_REGION = "KZ"
PHONENUMBER_DB_FORMAT = "E164"

# SMS (docs/rules.md §7). SMS_BACKEND may name several backends, comma-separated
# ("console,file" prints each code and appends it to var/sms.jsonl). With
# DEBUG off the default is the HTTP gateway, so production cannot start
# without SMS_HTTP_URL.
SMS_BACKEND = env_str("SMS_BACKEND", "console,file" if DEBUG else "http")
SMS_FILE_PATH = Path(env_str("SMS_FILE_PATH", str(VAR_DIR / "sms.jsonl")))
SMS_HTTP_URL = env_str("SMS_HTTP_URL")
SMS_HTTP_TOKEN = env_str("SMS_HTTP_TOKEN")
SMS_HTTP_TIMEOUT = env_int("SMS_HTTP_TIMEOUT", 10)
SMS_MAX_TRIES = env_int("SMS_MAX_TRIES", 6)
SMS_ALLOWED_COUNTRIES = [code.upper() for code in env_list("SMS_ALLOWED_COUNTRIES", "KZ")]
_sms_backends = [name.strip() for name in SMS_BACKEND.split(",") if name.strip()]
if not _sms_backends or set(_sms_backends) - {"console", "file", "locmem", "http"}:
    raise ImproperlyConfigured(
        f"SMS_BACKEND must be console, file, locmem or http (or several, comma-separated), "
        f"got {SMS_BACKEND!r}"
    )
if "http" in _sms_backends and not SMS_HTTP_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("SMS_BACKEND=http needs an http(s) SMS_HTTP_URL.")

# Status durations (docs/rules.md §2), in days: changed by decree several times
# during the epidemic, so they are configuration.
STATUS_PCR_NEGATIVE_DAYS = env_int("STATUS_PCR_NEGATIVE_DAYS", 7)
STATUS_VACCINATION_DAYS = env_int("STATUS_VACCINATION_DAYS", 365)
STATUS_RECOVERY_DAYS = env_int("STATUS_RECOVERY_DAYS", 90)
STATUS_CONTACT_DAYS = env_int("STATUS_CONTACT_DAYS", 14)
STATUS_PCR_POSITIVE_DAYS = env_int("STATUS_PCR_POSITIVE_DAYS", 10)
STATUS_EXPIRY_WARNING_HOURS = env_int("STATUS_EXPIRY_WARNING_HOURS", 24)
PERSONAL_QR_MAX_AGE = env_int("PERSONAL_QR_MAX_AGE", 60)
IDENTITY_CHECK_BACKEND = env_str("IDENTITY_CHECK_BACKEND", "accounts.identity.FirstClaimWins")
IDENTITY_REGISTRY_URL = env_str("IDENTITY_REGISTRY_URL")
IDENTITY_REGISTRY_TOKEN = env_str("IDENTITY_REGISTRY_TOKEN")
# With DEBUG off, FirstClaimWins refuses to start unless this says it was chosen.
ALLOW_UNVERIFIED_IIN_CLAIMS = env_bool("ALLOW_UNVERIFIED_IIN_CLAIMS", False)
SUPPORT_PHONE = env_str("SUPPORT_PHONE", "1406")
ORGANISATION_VERIFICATION_BACKEND = env_str(
    "ORGANISATION_VERIFICATION_BACKEND", "venues.verification.OperatorApproval"
)
ORGANISATION_REGISTRY_URL = env_str("ORGANISATION_REGISTRY_URL")
ORGANISATION_REGISTRY_TOKEN = env_str("ORGANISATION_REGISTRY_TOKEN")
INVITATION_SMS_INTERVAL_MINUTES = env_int("INVITATION_SMS_INTERVAL_MINUTES", 60)
INVITATION_SMS_DAILY_LIMIT = env_int("INVITATION_SMS_DAILY_LIMIT", 50)

# Venues (docs/rules.md §3)
VENUE_TEST_MODE_DAYS = env_int("VENUE_TEST_MODE_DAYS", 7)
VENUE_IDLE_DAYS = env_int("VENUE_IDLE_DAYS", 14)
# Share of capacity a venue admitting blue status may fill, per zone.
ZONE_CAPACITY_SHARES = {
    "green": 1.0,
    "yellow": env_int("ZONE_YELLOW_CAPACITY_PERCENT", 70) / 100,
    "red": env_int("ZONE_RED_CAPACITY_PERCENT", 60) / 100,
}
VISIT_RETENTION_DAYS = env_int("VISIT_RETENTION_DAYS", 30)

# The address printed in venue QR posters; a printed URL never changes, so
# this must be the public one (https://…). Empty: taken from the request.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")

# Languages (docs/rules.md §6): Kazakh first, then Russian, then English.
LANGUAGE_CODE = "kk"
LANGUAGES = [
    ("kk", "Қазақша"),
    ("ru", "Русский"),
    ("en", "English"),
]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Our catalogue first; then, under it, our Kazakh for Django's own strings
# (admin, auth, forms), which Django's kk catalogue lacks or gets wrong. Both
# win over the catalogues Django and allauth ship.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "upstream"]
# Kazakh date formats (Django has none) and Russian with a 24-hour clock.
FORMAT_MODULE_PATH = ["ashyq.formats"]
MODELTRANSLATION_DEFAULT_LANGUAGE = "kk"
MODELTRANSLATION_LANGUAGES = ("kk", "ru", "en")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("ru", "kk", "en")
TIME_ZONE = env_str("TIME_ZONE", "Asia/Almaty")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "ashyq.storage.StaticStorage"
        )
    },
}

CSRF_FAILURE_VIEW = "ashyq.views.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
# JSON lines for production log shippers; readable lines for a local run.
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, got {LOG_FORMAT!r}")
# One line per request (ashyq.logs): on in production; runserver logs its own.
REQUEST_LOG = env_bool("REQUEST_LOG", not DEBUG)
LOGGING = logging_config(level=LOG_LEVEL, log_format=LOG_FORMAT)
