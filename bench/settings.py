"""The portal's own settings, plus the floor view when BENCH_FLOOR=1.

The benchmark runs with DJANGO_SETTINGS_MODULE=bench.settings so that the floor
URL exists only here: ashyq.settings, which production runs, never routes to it.
Nothing else differs from production, so the three scenarios share one process,
one middleware stack and one database.
"""

from ashyq.env import env_bool
from ashyq.settings import *  # noqa: F403
from ashyq.settings import BASE_DIR

BENCH_FLOOR = env_bool("BENCH_FLOOR", False)
if BENCH_FLOOR:
    # The portal's URLs followed by the floor, so the floor pays the same URL
    # resolution as every other view, not less.
    ROOT_URLCONF = "bench.urls"

# collectstatic for the manifest storage (DEBUG=0) writes here, not into the
# project's staticfiles/, so a benchmark leaves no trace outside bench-results/.
STATIC_ROOT = BASE_DIR / "bench-results" / "staticfiles"
