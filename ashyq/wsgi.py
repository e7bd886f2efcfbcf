import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ashyq.settings")

application = get_wsgi_application()

# gunicorn runs no system checks: production must not start on FirstClaimWins by default.
from accounts.checks import refuse_to_start_on_identity_errors  # noqa: E402

refuse_to_start_on_identity_errors()
