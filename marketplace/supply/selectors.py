"""Reads on supply/demand figures (DESIGN §5, §7): per area cell and period, the most under- and
over-supplied areas, and time series per cell. All from `SupplyDemandStat` rows (refreshed by
`supply_refresh`), aggregated in the database; Python sees one row per cell (and period).

Definitions, per cell over a period:

* **demand/supply ratio** = requests ÷ active helpers (helpers in range, the largest daily
  snapshot in the period). With no helpers in range the ratio is undefined: `ratio` is None and
  `no_helpers` is True; rankings treat it as infinitely undersupplied when there were requests.
* **fill rate** = requests a helper accepted ÷ requests posted.
* **offer acceptance rate** = offers accepted ÷ offers sent.
* **time to accept**: per day, the exact median and p90 of posting → acceptance; over a week or
  a month, their average over the days weighted by accepted requests (an approximation: exact
  percentiles would need every job), and the exact mean.

Periods are days in the market's time zone; a week starts on Monday; `end` is inclusive.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Case, DateField, F, Max, QuerySet, Sum, Value, When
from django.utils import timezone

from marketplace.core.errors import ValidationFailed
from marketplace.pricing.models import Market, ServiceCategory
from marketplace.supply.cells import Bounds, Cell, Grid, grid_for
from marketplace.supply.models import SupplyDemandStat, SupplyRefreshRun

PERIODS = ("day", "week", "month")
# Without start/end: the last this many periods, the current one included.
DEFAULT_PERIODS = {"day": 14, "week": 4, "month": 3}
MAX_RANGE_DAYS = 731
# A cell needs at least this many requests in the window to be ranked as under- or
# over-supplied, so that one request against no helpers (or against fifty) does not top the list.
MIN_REQUESTS = 5


@dataclass(frozen=True)
class CellFigures:
    cell: Cell
    grid: Grid
    period_start: date | None  # None: totals over the whole window
    requests: int
    active_helpers: int
    accepted: int
    expired_jobs: int
    offers_sent: int
    offers_accepted: int
    offers_declined: int
    offers_expired: int
    accept_seconds_sum: int
    median_time_to_accept_s: int | None
    p90_time_to_accept_s: int | None

    @functools.cached_property
    def bounds(self) -> Bounds:
        return self.grid.bounds(self.cell)

    @property
    def no_helpers(self) -> bool:
        return self.active_helpers == 0

    @property
    def ratio(self) -> float | None:
        """Requests per active helper; None when there are no helpers (see `no_helpers`)."""
        return None if self.no_helpers else self.requests / self.active_helpers

    @property
    def ratio_for_ranking(self) -> float:
        if self.no_helpers:
            return math.inf if self.requests else 0.0
        return self.requests / self.active_helpers

    @property
    def fill_rate(self) -> float | None:
        return self.accepted / self.requests if self.requests else None

    @property
    def offer_acceptance_rate(self) -> float | None:
        return self.offers_accepted / self.offers_sent if self.offers_sent else None

    @property
    def mean_time_to_accept_s(self) -> int | None:
        return round(self.accept_seconds_sum / self.accepted) if self.accepted else None


@dataclass(frozen=True)
class Window:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def market_today(market: Market, now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), ZoneInfo(market.time_zone)).date()


def _period_start(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def resolve_window(
    *,
    market: Market,
    period: str = "week",
    start: date | None = None,
    end: date | None = None,
    now: datetime | None = None,
) -> Window:
    """Validate the period and dates; fill in the default window (the last few periods)."""
    if period not in PERIODS:
        raise ValidationFailed(f"period must be one of {', '.join(PERIODS)}")
    end = end or market_today(market, now)
    if start is None:
        start = _period_start(end, period)
        for _ in range(DEFAULT_PERIODS[period] - 1):
            start = _period_start(start - timedelta(days=1), period)
    if start > end:
        raise ValidationFailed("start must not be after end")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ValidationFailed(f"The date range can be at most {MAX_RANGE_DAYS} days")
    return Window(start, end)


def _stats(
    *, market: Market, grid: Grid, category: ServiceCategory | None, window: Window
) -> QuerySet[SupplyDemandStat]:
    qs = SupplyDemandStat.objects.filter(
        market=market, cell_km=grid.km, period__gte=window.start, period__lte=window.end
    )
    if category is not None:
        qs = qs.filter(category=category)
    return qs


def _bucket(window: Window, period: str) -> Case:
    """The start of the week or month of `period`, as a CASE on the window's few bucket
    boundaries (computed here): cheaper than a date-truncation function on every row, which on
    SQLite is a Python call."""
    starts = [_period_start(window.start, period)]
    while True:
        following = _period_start(
            starts[-1] + timedelta(days=31 if period == "month" else 7), period
        )
        if following > window.end:
            break
        starts.append(following)
    boundaries = [*starts[1:], None]
    return Case(
        *[
            When(period__lt=boundary, then=Value(start))
            for start, boundary in zip(starts, boundaries, strict=True)
            if boundary is not None
        ],
        default=Value(starts[-1]),
        output_field=DateField(),
    )


def _figures(
    qs: QuerySet[SupplyDemandStat],
    *,
    window: Window,
    grid: Grid,
    category: ServiceCategory | None,
    period: str | None,
    min_requests: int = 0,
) -> list[CellFigures]:
    """One CellFigures per cell (and per period bucket when `period` is given)."""
    keys = ["cell_y", "cell_x"]
    if period == "day":
        qs = qs.annotate(bucket=F("period"))
    elif period is not None:
        qs = qs.annotate(bucket=_bucket(window, period))
    if period is not None:
        keys.insert(0, "bucket")
    helpers_field = "active_helpers" if category is not None else "active_helpers_any_skill"
    rows = (
        qs.values(*keys)
        .annotate(
            requests=Sum("requests_posted"),
            helpers=Max(helpers_field),
            accepted=Sum("jobs_accepted"),
            expired=Sum("jobs_expired"),
            offers_sent_=Sum("offers_sent"),
            offers_accepted_=Sum("offers_accepted"),
            offers_declined_=Sum("offers_declined"),
            offers_expired_=Sum("offers_expired"),
            wait_sum=Sum("accept_seconds_sum"),
            median_weighted=Sum(F("median_accept_seconds") * F("jobs_accepted")),
            p90_weighted=Sum(F("p90_accept_seconds") * F("jobs_accepted")),
        )
        .order_by(*keys)
    )
    if min_requests:
        rows = rows.filter(requests__gte=min_requests)
    result = []
    for row in rows:
        cell = Cell(row["cell_y"], row["cell_x"])
        accepted = row["accepted"] or 0
        bucket = row.get("bucket")
        if isinstance(bucket, datetime):
            bucket = bucket.date()
        result.append(
            CellFigures(
                cell=cell,
                grid=grid,
                period_start=bucket,
                requests=row["requests"] or 0,
                active_helpers=row["helpers"] or 0,
                accepted=accepted,
                expired_jobs=row["expired"] or 0,
                offers_sent=row["offers_sent_"] or 0,
                offers_accepted=row["offers_accepted_"] or 0,
                offers_declined=row["offers_declined_"] or 0,
                offers_expired=row["offers_expired_"] or 0,
                accept_seconds_sum=row["wait_sum"] or 0,
                median_time_to_accept_s=(
                    round(row["median_weighted"] / accepted) if accepted else None
                ),
                p90_time_to_accept_s=round(row["p90_weighted"] / accepted) if accepted else None,
            )
        )
    return result


def supply_demand(
    *,
    market: Market,
    category: ServiceCategory | None = None,
    period: str = "week",
    start: date | None = None,
    end: date | None = None,
    cell: Cell | None = None,
    now: datetime | None = None,
) -> list[CellFigures]:
    """Figures per cell and period bucket (day, week from Monday, or month) in [start, end],
    ordered by period then cell. With `cell`, the time series of that one cell."""
    window = resolve_window(market=market, period=period, start=start, end=end, now=now)
    grid = grid_for(market)
    qs = _stats(market=market, grid=grid, category=category, window=window)
    if cell is not None:
        qs = qs.filter(cell_y=cell.y, cell_x=cell.x)
    return _figures(qs, window=window, grid=grid, category=category, period=period)


def supply_demand_totals(
    *,
    market: Market,
    category: ServiceCategory | None = None,
    start: date,
    end: date,
    min_requests: int = 0,
) -> list[CellFigures]:
    """One row per cell with the figures over the whole window [start, end]."""
    window = resolve_window(market=market, period="day", start=start, end=end)
    grid = grid_for(market)
    qs = _stats(market=market, grid=grid, category=category, window=window)
    return _figures(
        qs, window=window, grid=grid, category=category, period=None, min_requests=min_requests
    )


def most_undersupplied(
    *,
    market: Market,
    category: ServiceCategory | None = None,
    start: date,
    end: date,
    limit: int = 10,
    min_requests: int = MIN_REQUESTS,
) -> list[CellFigures]:
    """Cells with the most requests per helper (no helpers at all first), among cells with at
    least `min_requests` requests; ties: more requests, then lower fill rate."""
    rows = supply_demand_totals(
        market=market, category=category, start=start, end=end, min_requests=min_requests
    )
    rows.sort(key=lambda r: (-r.ratio_for_ranking, -r.requests, r.fill_rate or 0.0))
    return rows[: max(0, limit)]


def most_oversupplied(
    *,
    market: Market,
    category: ServiceCategory | None = None,
    start: date,
    end: date,
    limit: int = 10,
    min_requests: int = MIN_REQUESTS,
) -> list[CellFigures]:
    """Cells with the fewest requests per helper, among cells with helpers and at least
    `min_requests` requests; ties: more helpers first."""
    rows = supply_demand_totals(
        market=market, category=category, start=start, end=end, min_requests=min_requests
    )
    rows = [r for r in rows if not r.no_helpers]
    rows.sort(key=lambda r: (r.ratio_for_ranking, -r.active_helpers, r.cell.y, r.cell.x))
    return rows[: max(0, limit)]


def last_refresh() -> SupplyRefreshRun | None:
    return SupplyRefreshRun.objects.order_by("-ran_at", "-id").first()
