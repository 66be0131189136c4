from datetime import UTC, datetime

from django.utils import timezone
from ninja import Schema

from marketplace.core.errors import ValidationFailed


class ErrorOut(Schema):
    detail: str
    code: str


# Documented error responses shared by operations (the handler in marketplace/api.py emits them).
ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


# The largest list offset used: any offset beyond the data gives an empty page, and larger numbers
# would overflow the database's OFFSET (a 500 found by tests/test_fuzz_api.py).
MAX_OFFSET = 2**31 - 1


def as_utc(value: datetime | None) -> datetime | None:
    """An aware datetime from a client, moved to UTC before it reaches the database: ISO 8601
    allows offsets up to ±23:59 but PostgreSQL refuses those beyond ±15:59 (a 500 found by
    tests/test_fuzz_api.py). Naive values and None pass through for the caller to judge."""
    if value is None or timezone.is_naive(value):
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValidationFailed("That time is out of range") from None


def errors(*codes: int) -> dict:
    return {code: ErrorOut for code in codes}
