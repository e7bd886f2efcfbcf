"""The one error type of the apps: a machine-readable code and a message for people.

Services raise it (or a subclass) when a request cannot be done; views show
`message`, tests assert `code`. A subclass exists only where a caller must
act differently (a missing venue is a 404, a taken BIN offers a dispute), so
no caller compares code strings to choose what to do.
"""

from django.core.exceptions import ValidationError
from django.utils.functional import Promise


class AshyqError(Exception):
    """A refused request. The message stays lazy so that it is rendered in the
    language active where it is shown, not where it was raised."""

    def __init__(self, code: str, message: str | Promise) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return str(self.message)

    def validation_error(self) -> ValidationError:
        """The same refusal as a form error, for a form that calls a service."""
        return ValidationError(self.message, code=self.code)
