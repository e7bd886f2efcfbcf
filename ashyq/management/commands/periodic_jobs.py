"""Run every periodic job once, in this process.

`make run` has no Celery beat: without Redis, tasks run eagerly when they are
queued, and nothing queues the periodic ones. This runs each task of
CELERY_BEAT_SCHEDULE once (automatic check-out, status SMS, expiry warnings,
retention), as beat would; run it now and then, or use `make worker` with Redis.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "Run each periodic job (CELERY_BEAT_SCHEDULE) once, in-process."

    def handle(self, *args, **options) -> None:
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            task = import_string(entry["task"])
            result = task.apply()
            if result.failed():
                raise result.result
            self.stdout.write(f"{name}: {result.result}")
