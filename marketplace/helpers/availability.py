"""Weekly availability as a 168-character string of '0'/'1', one character per hour of the week
(Monday 00:00 is index 0) in the market's local time."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from marketplace.helpers.models import HOURS_PER_WEEK, NO_AVAILABILITY

MAX_WINDOW_HOURS = HOURS_PER_WEEK


def hours_mask(slots: list[tuple[int, int, int]]) -> str:
    """(weekday, start_hour, end_hour) slots → 168-char mask."""
    bits = list(NO_AVAILABILITY)
    for weekday, start, end in slots:
        for hour in range(start, end):
            bits[weekday * 24 + hour] = "1"
    return "".join(bits)


def window_hours(start: datetime, end: datetime, time_zone: str) -> frozenset[int]:
    """Hour-of-week indices touched by [start, end) in the given time zone."""
    tz = ZoneInfo(time_zone)
    # Step through real (UTC) hours and read each one's local wall-clock hour: adding an hour to
    # a local aware datetime is wall-clock arithmetic, which goes wrong across DST changes.
    cursor = start.astimezone(tz).replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    end_utc = end.astimezone(UTC)
    hours: set[int] = set()
    while cursor < end_utc and len(hours) < HOURS_PER_WEEK:
        local = cursor.astimezone(tz)
        hours.add(local.weekday() * 24 + local.hour)
        cursor += timedelta(hours=1)
    return frozenset(hours)


def is_available(mask: str, hours: frozenset[int]) -> bool:
    """Available when the helper's week has at least one of the window's hours free."""
    return any(mask[h] == "1" for h in hours)
