import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from accounts import sms
from ashyq.celery import app as celery_app


@pytest.fixture(autouse=True)
def _isolated_services(settings, tmp_path: Path) -> Iterator[None]:
    """Every test: SMS to memory, Celery in-process, a cache of its own."""
    settings.SMS_BACKEND = "locmem"
    settings.SMS_FILE_PATH = tmp_path / "sms.jsonl"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": str(tmp_path),
        }
    }
    eager = celery_app.conf.task_always_eager
    propagates = celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    sms.outbox.clear()
    yield
    celery_app.conf.task_always_eager = eager
    celery_app.conf.task_eager_propagates = propagates
    sms.outbox.clear()


@pytest.fixture
def sms_outbox() -> list[sms.SMS]:
    return sms.outbox


def read_sms_file(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
