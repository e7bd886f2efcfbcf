import copy
import datetime
import json
import os
import time
from collections.abc import Callable, Iterator
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


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """A `replica` alias in every test run, as in production with DATABASE_REPLICA_URL.

    It mirrors `default`: a second connection to the same test database, so a
    report routed there (ashyq.db) sees only what is committed, as a replica
    would. Tests inside a transaction read the primary (the router's rule for
    read-your-writes); transactional tests may use both (below).
    """
    from django.conf import settings

    if "replica" not in settings.DATABASES:
        replica = copy.deepcopy(settings.DATABASES["default"])
        replica["TEST"] = {**replica.get("TEST", {}), "MIRROR": "default"}
        settings.DATABASES["replica"] = replica


# A real streaming replica of the test run's PostgreSQL (`.ci/run` starts one
# with ops/cluster/cluster.sh start-db): the URL of the replica server; its
# database name is ignored, the alias reads the primary's test database.
TEST_REPLICA_URL = os.environ.get("TEST_REPLICA_URL", "")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker) -> Iterator[None]:
    """The test database gets the visits' partitions, and with TEST_REPLICA_URL the
    `replica` alias reads that server.

    Django made the alias a mirror of `default` (it cannot create a database
    on a read-only server); the test database it created on the primary
    reaches the replica through the WAL, so only the address changes.
    """
    if TEST_REPLICA_URL:
        import dj_database_url
        from django.db import connections

        real = dj_database_url.parse(TEST_REPLICA_URL)
        replica = connections["replica"]
        replica.close()
        replica.settings_dict = {
            **replica.settings_dict,
            **{key: real[key] for key in ("HOST", "PORT", "USER", "PASSWORD")},
        }
    with django_db_blocker.unblock():
        visit_partitions_for_tests()
    yield


@pytest.fixture
def replica_caught_up() -> Callable[[], None]:
    """`replica_caught_up()`: wait until the replica has replayed all the primary wrote.

    For `replica`-marked tests: a physical replica lags by a moment, and a
    test reading it right after a commit must wait for that moment.
    """
    from django.db import connections

    def wait(timeout: float = 10) -> None:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()")
            target = cursor.fetchone()[0]
        deadline = time.monotonic() + timeout
        with connections["replica"].cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
                if cursor.fetchone()[0]:
                    return
                if time.monotonic() > deadline:
                    pytest.fail(f"the replica did not replay up to {target} in {timeout} s")
                time.sleep(0.02)

    return wait


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that commit (transactional, live server) may read the replica too.

    Their report pages read it as in production; pytest-django otherwise
    refuses any connection to an alias a test did not list. Tests marked
    `replica` need a real one and are skipped without TEST_REPLICA_URL.
    """
    no_replica = pytest.mark.skip(reason="needs a real streaming replica: set TEST_REPLICA_URL")
    for item in items:
        if not TEST_REPLICA_URL and item.get_closest_marker("replica"):
            item.add_marker(no_replica)
        marker = item.get_closest_marker("django_db")
        kwargs = dict(marker.kwargs) if marker else {}
        fixtures = set(getattr(item, "fixturenames", ()))
        transactional = kwargs.get("transaction") or fixtures & {"transactional_db", "live_server"}
        if transactional and not kwargs.get("databases"):
            kwargs.update(transaction=True, databases=["default", "replica"])
            item.add_marker(
                pytest.mark.django_db(*(marker.args if marker else ()), **kwargs), append=False
            )


@pytest.fixture
def sms_outbox() -> list[sms.SMS]:
    return sms.outbox


def read_sms_file(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# Data that migrations load. A transactional test empties every table when it
# ends, so the transactional tests that follow must load it again themselves.
REFERENCE_DATA_LOADERS = [
    ("statuses.migrations.0001_initial", "load_status_info"),
    ("statuses.migrations.0002_epidemiologist_group", "create_group"),
    ("venues.migrations.0002_reference_data", "load"),
    ("visits.migrations.0002_epidemiologist_permissions", "grant"),
]


def load_reference_data() -> None:
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    # The group migrations flip `models_module` on the app configs they are
    # given; here those are the live ones, so put them back afterwards.
    saved = {config.label: config.models_module for config in apps.get_app_configs()}
    try:
        for module, function in REFERENCE_DATA_LOADERS:
            loader = getattr(importlib.import_module(module), function)
            loader(apps, SimpleNamespace(connection=connection))
    finally:
        for config in apps.get_app_configs():
            config.models_module = saved[config.label]


@pytest.fixture(autouse=True)
def _reference_data_in_transactional_tests(request) -> None:
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        (marker is not None and bool(marker.kwargs.get("transaction")))
        or "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        load_reference_data()


# The test database's visit partitions (PostgreSQL). Tests write visits at
# fixed dates (September 2021, the first half of 2026) and around today: one
# partition for each fixed range, and the daily ones of the weeks around today
# that production would have, made by the job's own code.
TEST_PARTITIONS = [
    ("visits_visit_y2021", datetime.date(2021, 1, 1), datetime.date(2022, 1, 1)),
    ("visits_visit_h2026", datetime.date(2026, 1, 1), datetime.date(2026, 7, 1)),
]
TEST_DAYS_BEFORE_TODAY = 50


def visit_partitions_for_tests() -> None:
    from visits import partitions

    if not partitions.partitioned():
        return
    existing = set(partitions.partition_names())
    for name, start, end in TEST_PARTITIONS:
        if name not in existing:
            partitions.create_partition(name, start, end)
    today = datetime.datetime.now(datetime.UTC).date()
    days = [
        today + datetime.timedelta(days=n)
        for n in range(-TEST_DAYS_BEFORE_TODAY, partitions.PARTITIONS_AHEAD + 1)
    ]
    partitions.create_days(
        day for day in days if not any(start <= day < end for _, start, end in TEST_PARTITIONS)
    )
