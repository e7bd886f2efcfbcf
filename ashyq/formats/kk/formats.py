"""Kazakh date and number formats: Django ships none for kk.

Without them Kazakh pages fall back to the global defaults: a 12-hour US
clock, month first ("Қар. 30, 2026, 6:38 Т.Ж."), `mm/dd/yyyy` and Sunday as
the first day of the week. Month names come from the translation catalogue
(`F`), written in lower case there, as Kazakh writes them inside a date.
Cyrillic letters are printed as they are; only Latin letters are format codes.
"""

DATE_FORMAT = "j F Y ж."
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y ж., H:i"
YEAR_MONTH_FORMAT = "F Y ж."
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday

# The first format is the one date inputs show; ISO stays accepted because
# browsers and exports send it.
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d"]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S", "%H:%M:%S.%f"]
DATETIME_INPUT_FORMATS = [
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S.%f",
    "%d.%m.%Y",
    "%d.%m.%y %H:%M",
    "%d.%m.%y",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d",
]
