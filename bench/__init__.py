"""`make bench` (issue 8): seed PostgreSQL in bulk, drive gunicorn with wrk, compare
the check-ins against the cheapest check-in Django can do. Never imported by the portal.

    python -m bench.run --size quick      # under a minute
    python -m bench.run --size default    # 1 M persons, 10 M visits: seeding takes minutes
"""
