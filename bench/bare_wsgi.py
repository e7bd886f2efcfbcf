"""The bare floor's WSGI application: Django's handler with no middleware at all.

allauth refuses to start unless its middleware is listed in the settings
(bench.bare_settings lists it), so the list is emptied after setup, before
the handler reads it: the requests then meet no middleware.
"""

import os

import django
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare_settings")
django.setup(set_prefix=False)
settings.MIDDLEWARE = []
application = WSGIHandler()
