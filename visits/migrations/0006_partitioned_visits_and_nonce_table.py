"""Visits partitioned by day on PostgreSQL, the double-tap guard in a table of
its own, and the venues' occupancy counted once (docs/scaling.md).

The conversion keeps every row: the plain table is renamed, a partitioned one
is made like it with a partition for each day its rows (and the days ahead)
need, the rows are copied and counted, and the indexes and foreign keys are
made again under their old names. Django runs it in one transaction, so a
failure leaves the plain table as it was. SQLite keeps the plain table.
"""

import datetime

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count

# How long a check-in request may be repeated (a double tap, a retry) and
# still get the first one's answer; visits.jobs.NONCE_LIFE says the same.
NONCE_LIFE = datetime.timedelta(hours=1)
AHEAD_DAYS = 7


def _partition_name(day: datetime.date) -> str:
    return f"visits_visit_p{day:%Y%m%d}"


def _bound(day: datetime.date) -> str:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC).isoformat()


def _rebuild(cursor, *, partition: bool) -> None:
    """Make visits_visit again, partitioned by day or plain, with the same rows."""
    cursor.execute(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "AND tablename = 'visits_visit' AND indexname <> 'visits_visit_pkey'"
    )
    indexes = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'visits_visit'::regclass AND contype = 'f'"
    )
    foreign_keys = cursor.fetchall()
    cursor.execute("SELECT pg_get_serial_sequence('visits_visit', 'id')")
    old_sequence = cursor.fetchone()[0]
    cursor.execute(f"SELECT last_value, is_called FROM {old_sequence}")  # noqa: S608
    last_value, is_called = cursor.fetchone()

    cursor.execute("ALTER TABLE visits_visit RENAME TO visits_visit_old")
    cursor.execute(
        "CREATE TABLE visits_visit (LIKE visits_visit_old INCLUDING DEFAULTS "
        "INCLUDING CONSTRAINTS INCLUDING IDENTITY)"
        + (" PARTITION BY RANGE (checked_in_at)" if partition else "")
    )
    if partition:
        cursor.execute(
            "SELECT DISTINCT (checked_in_at AT TIME ZONE 'UTC')::date FROM visits_visit_old"
        )
        # Every day that has rows, today and the days ahead; none for the
        # days between old rows that had none.
        today = datetime.datetime.now(datetime.UTC).date()
        days = {row[0] for row in cursor.fetchall()}
        days |= {today + datetime.timedelta(days=n) for n in range(AHEAD_DAYS + 1)}
        for day in sorted(days):
            cursor.execute(
                f'CREATE TABLE "{_partition_name(day)}" PARTITION OF visits_visit '  # noqa: S608
                f"FOR VALUES FROM ('{_bound(day)}') TO "
                f"('{_bound(day + datetime.timedelta(days=1))}')"
            )
    cursor.execute("INSERT INTO visits_visit SELECT * FROM visits_visit_old")
    copied = cursor.rowcount
    cursor.execute("SELECT count(*) FROM visits_visit_old")
    if cursor.fetchone()[0] != copied:
        raise RuntimeError("visits_visit: not every row was copied; nothing was changed")
    cursor.execute("DROP TABLE visits_visit_old")
    cursor.execute("SELECT pg_get_serial_sequence('visits_visit', 'id')")
    new_sequence = cursor.fetchone()[0]
    cursor.execute(f"ALTER SEQUENCE {new_sequence} RENAME TO visits_visit_id_seq")
    cursor.execute("SELECT setval('visits_visit_id_seq', %s, %s)", [last_value, is_called])
    # A primary key of a partitioned table must contain the partition key.
    key = "id, checked_in_at" if partition else "id"
    cursor.execute(f"ALTER TABLE visits_visit ADD CONSTRAINT visits_visit_pkey PRIMARY KEY ({key})")
    for definition in indexes:
        cursor.execute(definition)
    for name, definition in foreign_keys:
        cursor.execute(f'ALTER TABLE visits_visit ADD CONSTRAINT "{name}" {definition}')


def partition_visits(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            _rebuild(cursor, partition=True)


def unpartition_visits(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            _rebuild(cursor, partition=False)


def guard_recent_nonces(apps, schema_editor) -> None:
    """The nonces of the last NONCE_LIFE move to the guard table with the change."""
    Visit = apps.get_model("visits", "Visit")
    VisitNonce = apps.get_model("visits", "VisitNonce")
    since = datetime.datetime.now(datetime.UTC) - NONCE_LIFE
    recent = Visit.objects.filter(checked_in_at__gte=since).exclude(nonce="")
    VisitNonce.objects.bulk_create(
        [
            VisitNonce(nonce=nonce, visit_id=pk, checked_in_at=checked_in_at)
            for pk, nonce, checked_in_at in recent.values_list("pk", "nonce", "checked_in_at")
        ],
        ignore_conflicts=True,
    )


def count_occupancy(apps, schema_editor) -> None:
    """Each venue's counter starts at the admitted visits open there now."""
    Visit = apps.get_model("visits", "Visit")
    Venue = apps.get_model("venues", "Venue")
    open_visits = (
        Visit.objects.filter(admitted=True, checked_out_at__isnull=True)
        .order_by()
        .values("venue_id")
        .annotate(people=Count("id"))
    )
    for row in open_visits:
        Venue.objects.filter(pk=row["venue_id"]).update(occupancy=row["people"])


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0005_status_lookup"),
        ("venues", "0005_venue_occupancy"),
    ]

    operations = [
        migrations.CreateModel(
            name="VisitNonce",
            fields=[
                ("nonce", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("visit_id", models.BigIntegerField()),
                ("checked_in_at", models.DateTimeField()),
            ],
        ),
        migrations.RunPython(guard_recent_nonces, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="visit",
            name="visit_nonce_unique",
        ),
        migrations.AlterField(
            model_name="insidealert",
            name="visit",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="alerts",
                to="visits.visit",
                verbose_name="visit",
            ),
        ),
        migrations.RunPython(partition_visits, unpartition_visits),
        migrations.RunPython(count_occupancy, migrations.RunPython.noop),
    ]
