"""The LOGGING dictionary of ashyq/settings.py: one console handler, every line
carrying the request id (ashyq.logs), as JSON lines or as readable text."""

from typing import Any


def logging_config(*, level: str, log_format: str) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "ashyq.logs.RequestIdFilter"}},
        "formatters": {
            "plain": {
                "()": "ashyq.logs.PlainFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            },
            "json": {"()": "ashyq.logs.JSONFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
