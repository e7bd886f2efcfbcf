"""Values many tests share: two known valid IINs and a fixed moment in Almaty."""

import datetime
import zoneinfo

# Valid IINs whose check digits were worked out by hand in test_identifiers.py.
IIN = "061211600012"
OTHER_IIN = "950101300016"

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
# Noon on Monday 20 September 2021 in Almaty: the moment the tracing and import tests live at.
NOW = datetime.datetime(2021, 9, 20, 12, 0, tzinfo=ALMATY)
MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
