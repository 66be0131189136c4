"""Calendar days on a market's clock, shared by the derived figures (supply and economics):
a moment's local date, a local day's first instant, `created_at` within a set of days, and
work split into chunks of days. Pure functions over the standard library and Django's Q."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone


def local_date(value: datetime | date | None, tz: ZoneInfo) -> date | None:
    """The date of `value` on the clock of `tz`; a date (or None) is returned as it is."""
    if value is None or not isinstance(value, datetime):
        return value
    return timezone.localtime(value, tz).date() if timezone.is_aware(value) else value.date()


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """Local midnight at the start of `day` in `tz`, as an aware datetime."""
    return datetime.combine(day, dt_time.min, tzinfo=tz)


def chunks(days: list[date], size: int) -> Iterable[list[date]]:
    """`days` in consecutive lists of at most `size`."""
    for i in range(0, len(days), size):
        yield days[i : i + size]


def posted_on(days: list[date], tz: ZoneInfo, prefix: str = "") -> Q:
    """created_at within any of `days` (local midnight to midnight), consecutive days merged."""
    condition = Q()
    start = prev = None
    for day in [*days, None]:
        if start is not None and (day is None or day != prev + timedelta(days=1)):
            condition |= Q(
                **{
                    f"{prefix}created_at__gte": day_start(start, tz),
                    f"{prefix}created_at__lt": day_start(prev + timedelta(days=1), tz),
                }
            )
            start = None
        if day is not None and start is None:
            start = day
        prev = day
    return condition
