"""Domain errors. Services raise these; the API and the views map them to HTTP in one place."""

from django.utils.translation import gettext


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code

    @property
    def message(self) -> str:
        """The message in the active language (the code stays stable for API clients). The
        English text is the msgid; constant messages are collected in core/error_messages.py."""
        return gettext(self._message) if self._message else self._message

    @message.setter
    def message(self, value: str) -> None:
        self._message = str(value)

    def with_status(self, status_code: int) -> "DomainError":
        self.status_code = status_code
        return self


class ValidationFailed(DomainError):
    status_code = 422
    code = "invalid"


class NotAllowed(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class InvalidTransition(DomainError):
    """The object is not in a state that allows this action (someone was faster, or it closed)."""

    status_code = 409
    code = "conflict"
