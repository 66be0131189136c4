"""Short figures for people: shares and durations, as the operator pages show them, and the
one date-and-time format of every page, notification and e-mail."""

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.dateformat import format as date_format


def percent_text(value: float | None) -> str:
    """0.834 → "83 %"; None (no data) → "—"."""
    return "—" if value is None else f"{round(value * 100)} %"


def duration_text(seconds: int | None) -> str:
    """Whole minutes below an hour ("12 min"), then hours and minutes ("1 h 05 min")."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"


# The one way a moment is written for people, on every page, notification and e-mail: the
# weekday, day and month in the active language, then the 24-hour time ("Thu 3 Dec, 10:13"),
# on the market's clock. Templates write the same with `|date:"D j M, H:i"` inside
# `{% timezone job.market.time_zone %}`.
DATE_FORMAT = "D j M"
DATETIME_FORMAT = "D j M, H:i"


def datetime_text(value: datetime, time_zone: str | tzinfo | None = None) -> str:
    """`value` on the clock of `time_zone` (a market's zone name, or a tzinfo; the site's zone
    when empty), written as DATETIME_FORMAT in the active language."""
    if isinstance(time_zone, str):
        time_zone = ZoneInfo(time_zone) if time_zone else None
    local = timezone.localtime(value, time_zone) if timezone.is_aware(value) else value
    return date_format(local, DATETIME_FORMAT)
