"""Russian formats: Django's own, with a 24-hour clock that keeps its leading
zero ("06:38", as on the Kazakh pages and in the SMS) instead of "6:38".

Everything not set here comes from Django's `ru` formats.
"""

TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j E Y г., H:i"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S", "%H:%M:%S.%f"]
