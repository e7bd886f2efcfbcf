"""`make jobs`: every periodic job once, in-process, for a run without Celery beat."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from visits.tests.conftest import make_venue, make_visit

pytestmark = pytest.mark.django_db


def test_periodic_jobs_run_every_scheduled_task_once(settings):
    venue = make_venue(max_stay=datetime.timedelta(hours=3))
    forgotten = make_visit(venue, checked_in_at=timezone.now() - datetime.timedelta(hours=5))
    ancient = make_visit(
        venue,
        checked_in_at=timezone.now() - datetime.timedelta(days=settings.VISIT_RETENTION_DAYS + 2),
        checked_out_at=timezone.now() - datetime.timedelta(days=settings.VISIT_RETENTION_DAYS + 2),
    )
    out = io.StringIO()

    call_command("periodic_jobs", stdout=out)

    assert [line.split(":")[0] for line in out.getvalue().splitlines()] == list(
        settings.CELERY_BEAT_SCHEDULE
    )
    forgotten.refresh_from_db()
    assert forgotten.checked_out_at is not None
    assert forgotten.checkout_method == "automatic"
    assert not type(ancient).objects.filter(pk=ancient.pk).exists()
