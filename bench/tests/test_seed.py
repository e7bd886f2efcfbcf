"""The seeder's bulk load: the tables end with the indexes the migrations made."""

import pytest
from django.db import connection

from bench.seed import Unindexed
from visits.tests.conftest import needs_postgresql

pytestmark = pytest.mark.django_db

INDEXES = """
SELECT t.relname, count(*), bool_and(x.indisvalid)
FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid
WHERE t.relname LIKE 'visits\\_visit%%'
GROUP BY t.relname ORDER BY t.relname
"""


def test_a_bulk_load_leaves_every_visits_partition_indexed():
    needs_postgresql()
    with connection.cursor() as cursor:
        cursor.execute(INDEXES)
        before = cursor.fetchall()
        with Unindexed(cursor, "visits_visit"):
            pass
        cursor.execute(INDEXES)
        after = cursor.fetchall()
    assert len(before) > 2  # the table, its partitions, the nonces
    assert all(valid for _table, _count, valid in before)
    assert after == before
