"""Reading the economics figures from the rollup where it is exact, and from the rows elsewhere.

`split(scope)` cuts the scope into the whole market-time days that the latest rollup refresh
covered and no change has touched since (`rollup.changed_job_ids`, eight index range scans at
every read) — read from the rollup tables — and the rest: the partial first and last day,
the touched days (today, typically), and everything when there is no usable refresh or the
scope is one area cell — read from the job rows. Both parts are added up with the same
definitions, so a figure is the same whichever part a job is in
(tests/economics/test_economics_rollup.py checks it on random data, and the benchmark against
a naive loop over the rows).

Order statistics do not add up; they come from a histogram instead. The accepted jobs are
counted per bucket of waiting time (`rollup.WAIT_EDGES`; `WaitMinute` for the rolled days, one
grouped query for the rest); the bucket that holds a wanted rank, or the fill-rate limit T, is
then read exactly from the rows of that bucket alone, through the ``(market, accept_wait_us,
…)`` index.
Distinct counts (customers, helpers) are computed from the rows, through covering indexes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet, Sum

from marketplace.economics import queries as q
from marketplace.economics.models import AreaMonth, DayFigures, QuoteDay, WaitMinute
from marketplace.economics.rollup import (
    MINUTE_US,
    bucket_end,
    bucket_of,
    changed_days,
    changed_job_ids,
    latest_run,
    run_is_usable,
    wait_minute,
)
from marketplace.economics.scope import Scope
from marketplace.jobs.models import Fulfilment, JobRequest, JobStatus, Review, ReviewDirection
from marketplace.supply.cells import Cell

# The additive job counts: `queries.day_counts` names, which are `DayFigures` columns.
COUNTS = tuple(q.day_counts())
# Money (`queries.money` names) and reviews (`queries.review_sums` names) in `DayFigures`.
MONEY = {
    "gmv": "gmv",
    "fees": "fees",
    "fee_refunds": "fee_refunds",
    "captured": "captured_payments",
    "variable": "processing_variable",
}
REVIEWS = {
    "ratings": "ratings",
    "rating_sum": "rating_sum",
    "answers": "nps_answers",
    "promoters": "promoters",
    "detractors": "detractors",
}


@dataclass(frozen=True)
class Split:
    """`days`: the rolled-up days (consecutive runs, inclusive); `rows`: the created_at ranges
    read from the rows (half-open)."""

    scope: Scope
    days: tuple[tuple[date, date], ...] = ()
    rows: tuple[tuple[datetime, datetime], ...] = field(default=())

    def rolled(self) -> Q | None:
        """The rolled days, as a condition on a rollup table's ``day``."""
        if not self.days:
            return None
        condition = Q()
        for first, last in self.days:
            condition |= Q(day__gte=first, day__lte=last)
        return condition

    def rolled_ranges(self) -> tuple[tuple[datetime, datetime], ...]:
        """The rolled days, as created_at ranges."""
        return tuple(
            (self._midnight(a), self._midnight(b + timedelta(days=1))) for a, b in self.days
        )

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.scope.tz)


def split(scope: Scope) -> Split:
    everything = Split(scope=scope, rows=((scope.start, scope.end),))
    if scope.cell is not None:  # the rollup has no per-cell days
        return everything
    run = latest_run()
    if not run_is_usable(run):
        return everything
    first, end = _whole_days(scope)
    if first >= end:
        return everything
    dirty = changed_days(scope.market, changed_job_ids(run))
    runs: list[list[date]] = []
    day = first
    while day < end:
        if day not in dirty:
            if runs and runs[-1][1] == day - timedelta(days=1):
                runs[-1][1] = day
            else:
                runs.append([day, day])
        day += timedelta(days=1)
    days = tuple((a, b) for a, b in runs)
    rows = _outside(scope, [(a, b + timedelta(days=1)) for a, b in days])
    return Split(scope=scope, days=days, rows=rows)


def _whole_days(scope: Scope) -> tuple[date, date]:
    """[first, end): the market-time days that lie wholly inside the scope."""
    first = scope.start.astimezone(scope.tz).date()
    if datetime.combine(first, time.min, tzinfo=scope.tz) < scope.start:
        first += timedelta(days=1)
    end = scope.end.astimezone(scope.tz).date()
    return first, end


def _rollup(model, sp: Split) -> QuerySet | None:
    condition = sp.rolled()
    if condition is None:
        return None
    qs = model.objects.filter(condition, market=sp.scope.market)
    if sp.scope.category is not None:
        qs = qs.filter(category=sp.scope.category)
    return qs


def _rows(qs: QuerySet, sp: Split, prefix: str = "") -> QuerySet | None:
    if not sp.rows:
        return None
    return q.scoped(qs, sp.scope, prefix, ranges=sp.rows)


# --- Sums over the whole scope ----------------------------------------------------------------


def job_counts(sp: Split) -> dict[str, int]:
    """The additive counts of `COUNTS` over the scope."""
    total = Counter()
    rows = _rows(JobRequest.objects.all(), sp)
    if rows is not None:
        total.update(_values(rows.aggregate(**q.day_counts())))
    rolled = _rollup(DayFigures, sp)
    if rolled is not None:
        total.update(_values(rolled.aggregate(**{n: Sum(n) for n in COUNTS})))
    return {name: total[name] for name in COUNTS}


def money(sp: Split) -> dict[str, int]:
    """`queries.money_row` over the scope's payments."""
    total = Counter()
    rows = _rows(q.payments_all(), sp, "job__")
    if rows is not None:
        total.update(_values(rows.aggregate(**q.money())))
    rolled = _rollup(DayFigures, sp)
    if rolled is not None:
        sums = rolled.aggregate(**{k: Sum(v) for k, v in MONEY.items()})
        total.update(_values(sums))
    return q.money_row(total)


def reviews(sp: Split) -> dict[str, int]:
    """The customers' reviews of the scope's confirmed jobs (`queries.review_sums`)."""
    total = Counter()
    rows = _rows(Review.objects.all(), sp, "job__")
    if rows is not None:
        rows = rows.filter(direction=ReviewDirection.OF_HELPER, job__status=JobStatus.CONFIRMED)
        total.update(_values(rows.aggregate(**q.review_sums())))
    rolled = _rollup(DayFigures, sp)
    if rolled is not None:
        total.update(_values(rolled.aggregate(**{k: Sum(v) for k, v in REVIEWS.items()})))
    return {name: total[name] for name in REVIEWS}


def _values(row: dict) -> dict[str, int]:
    return {k: v or 0 for k, v in row.items()}


# --- Waiting times ----------------------------------------------------------------------------


def wait_histogram(sp: Split) -> dict[int, int]:
    """Accepted jobs per waiting-time bucket (`rollup.wait_minute`) over the scope."""
    histogram = Counter()
    rows = _rows(JobRequest.objects.filter(accept_wait_us__isnull=False), sp)
    if rows is not None:
        for r in rows.annotate(minute=wait_minute()).values("minute").annotate(n=Count("id")):
            histogram[r["minute"]] += r["n"]
    rolled = _rollup(WaitMinute, sp)
    if rolled is not None:
        for r in rolled.values("minute").annotate(n=Sum("accepted")).order_by():
            histogram[r["minute"]] += r["n"]
    return histogram


def _bucket_range(edge: int) -> Q:
    """The jobs whose wait falls in the histogram bucket starting at `edge` (open-ended below
    the first and from the last)."""
    condition = Q()
    if edge > 0:
        condition &= Q(accept_wait_us__gte=edge * MINUTE_US)
    end = bucket_end(edge)
    if end is not None:
        condition &= Q(accept_wait_us__lt=end * MINUTE_US)
    return condition


def percentiles(sp: Split, histogram: dict[int, int]) -> tuple[int | None, int | None]:
    """Median and p90 of posting → acceptance in whole seconds (half up, never negative) over
    the accepted jobs: median = the middle value, or the mean of the two middle values rounded
    half up; p90 = nearest rank ⌈0.9 n⌉. Each rank's value is read from its bucket's rows."""
    n = sum(histogram.values())
    if n == 0:
        return None, None
    middle = ((n + 1) // 2,) if n % 2 else (n // 2, n // 2 + 1)
    p90 = -(-9 * n // 10)
    wanted = sorted({*middle, p90})
    seconds: dict[int, int] = {}
    below, ranks = 0, iter(wanted)
    rank = next(ranks)
    accepted = q.scoped(
        JobRequest.objects.filter(accept_wait_us__isnull=False), sp.scope, posted_filter_only=True
    )
    try:
        for minute in sorted(histogram):
            count = histogram[minute]
            while rank <= below + count:
                offset = rank - below - 1
                us = (
                    accepted.filter(_bucket_range(minute))
                    .order_by("accept_wait_us")
                    .values_list("accept_wait_us", flat=True)[offset]
                )
                seconds[rank] = max(0, (us + 500_000) // 1_000_000)
                rank = next(ranks)
            below += count
    except StopIteration:
        pass
    return q.div_half_up(sum(seconds[r] for r in middle), len(middle)), seconds[p90]


def within_limit(scope: Scope) -> int:
    """T of the fill rate in microseconds ("within T" includes exactly T)."""
    return scope.fill_within // timedelta(microseconds=1)


def accepted_within(sp: Split, period: str | None = None) -> Counter:
    """Requests for a helper accepted within T (Scope.fill_within), in total (key None) or per
    week/month start: the rows part by the exact condition; the rolled days by their buckets
    wholly within T, plus the jobs of T's own bucket read from the rows."""
    scope, limit = sp.scope, within_limit(sp.scope)
    starts = q.period_starts(scope, period) if period else []

    def key(day: date) -> date | None:
        return _period(starts, day) if period else None

    result = Counter()
    helper = Q(choice=Fulfilment.HELPER, accept_wait_us__lte=limit)
    rows = _rows(JobRequest.objects.filter(helper), sp)
    if rows is not None:
        if period is None:
            result[None] += rows.count()
        else:
            for r in (
                rows.annotate(b=q.bucket(starts, scope.tz, "created_at"))
                .values("b")
                .annotate(n=Count("id"))
                .order_by()
            ):
                result[q.as_date(r["b"])] += r["n"]
    rolled = _rollup(WaitMinute, sp)
    if rolled is None:
        return result
    boundary = bucket_of(limit + 1)  # the first bucket not wholly within T
    for r in (
        rolled.filter(minute__lt=boundary)
        .values("day")
        .annotate(n=Sum("accepted_helper"))
        .order_by()
    ):
        result[key(q.as_date(r["day"]))] += r["n"]
    # Read through the (market, accept_wait_us, …) index: one bucket's jobs, not the period's.
    edge = q.scoped(
        JobRequest.objects.filter(_bucket_range(boundary), helper),
        scope,
        ranges=sp.rolled_ranges(),
        posted_filter_only=True,
    )
    for created_at in edge.values_list("created_at", flat=True):
        result[key(created_at.astimezone(scope.tz).date())] += 1
    return result


def _period(starts: list[date], day: date) -> date:
    return starts[max(0, bisect_right(starts, day) - 1)]


# --- Per period ---------------------------------------------------------------------------------


def counts_by_period(sp: Split, period: str, names: tuple[str, ...]) -> dict[date, Counter]:
    """`names` (of COUNTS) per period start."""
    scope = sp.scope
    starts = q.period_starts(scope, period)
    result: dict[date, Counter] = {s: Counter() for s in starts}
    rows = _rows(JobRequest.objects.all(), sp)
    if rows is not None:
        wanted = {n: e for n, e in q.day_counts().items() if n in names}
        for r in (
            rows.annotate(b=q.bucket(starts, scope.tz, "created_at"))
            .values("b")
            .annotate(**wanted)
            .order_by()
        ):
            result[q.as_date(r.pop("b"))].update(_values(r))
    rolled = _rollup(DayFigures, sp)
    if rolled is not None:
        for r in rolled.values("day").annotate(**{n: Sum(n) for n in names}).order_by():
            result[_period(starts, q.as_date(r.pop("day")))].update(_values(r))
    return result


def money_by_month(sp: Split) -> dict[date, dict]:
    scope = sp.scope
    starts = q.period_starts(scope, "month")
    totals: dict[date, Counter] = {s: Counter() for s in starts}
    rows = _rows(q.payments_all(), sp, "job__")
    if rows is not None:
        for r in (
            rows.annotate(b=q.bucket(starts, scope.tz, "job__created_at"))
            .values("b")
            .annotate(**q.money())
            .order_by()
        ):
            totals[q.as_date(r.pop("b"))].update(_values(r))
    rolled = _rollup(DayFigures, sp)
    if rolled is not None:
        sums = {k: Sum(v) for k, v in MONEY.items()}
        for r in rolled.values("day").annotate(**sums).order_by():
            totals[_period(starts, q.as_date(r.pop("day")))].update(_values(r))
    return {start: q.money_row(total) for start, total in totals.items()}


# --- Areas and choices --------------------------------------------------------------------------


def area_counts(scope: Scope) -> dict[Cell, Counter]:
    """posted / helper_requests / accepted per supply grid cell: whole months whose days are
    all rolled from `AreaMonth`, the rest of the scope from the rows."""
    grid = scope.grid
    months = _clean_months(split(scope))
    result: dict[Cell, Counter] = {}
    rows = _rows(JobRequest.objects.all(), Split(scope=scope, rows=_outside(scope, months)))
    if rows is not None:
        for r in (
            rows.annotate(**q.cell_keys(grid))
            .values("cy", "cx")
            .annotate(**q.area_counts())
            .order_by()
        ):
            result.setdefault(Cell(int(r.pop("cy")), int(r.pop("cx"))), Counter()).update(r)
    if months:
        rolled = AreaMonth.objects.filter(
            market=scope.market, cell_km=grid.km, month__in=[m for m, _ in months]
        )
        if scope.category is not None:
            rolled = rolled.filter(category=scope.category)
        sums = {n: Sum(n) for n in ("posted", "helper_requests", "accepted")}
        for r in rolled.values("cell_y", "cell_x").annotate(**sums).order_by():
            cell = Cell(r.pop("cell_y"), r.pop("cell_x"))
            result.setdefault(cell, Counter()).update(_values(r))
    return result


def _clean_months(sp: Split) -> list[tuple[date, date]]:
    """(first day, first day of the next month) of every month wholly inside the scope whose
    days are all rolled."""
    rolled = set()
    for a, b in sp.days:
        day = a
        while day <= b:
            rolled.add(day)
            day += timedelta(days=1)
    months = []
    for start in q.period_starts(sp.scope, "month"):
        following = q.next_start(start, "month")
        days = (following - start).days
        if all(start + timedelta(days=i) in rolled for i in range(days)):
            months.append((start, following))
    return months


def _outside(scope: Scope, spans: list[tuple[date, date]]) -> tuple:
    """The created_at ranges of the scope outside `spans` ((first day, day after), sorted,
    inside the scope)."""
    ranges, cursor = [], scope.start
    for first, following in spans:
        start = datetime.combine(first, time.min, tzinfo=scope.tz)
        if cursor < start:
            ranges.append((cursor, start))
        cursor = datetime.combine(following, time.min, tzinfo=scope.tz)
    if cursor < scope.end:
        ranges.append((cursor, scope.end))
    return tuple(ranges)


def quote_counts(sp: Split) -> dict[tuple[int, int, bool], Counter]:
    """quotes / chose_helper per (price, professional list price, free installation)."""
    keys = ("price", "professional_list_price", "professional_install_free")
    result: dict[tuple, Counter] = {}
    helper = Q(choice=Fulfilment.HELPER)
    rows = _rows(JobRequest.objects.filter(professional_list_price__gt=0), sp)
    if rows is not None:
        for r in (
            rows.values(*keys)
            .annotate(quotes=Count("created_at"), chose_helper=Count("created_at", filter=helper))
            .order_by()
        ):
            key = (r["price"], r["professional_list_price"], bool(r["professional_install_free"]))
            result.setdefault(key, Counter()).update(
                quotes=r["quotes"], chose_helper=r["chose_helper"]
            )
    rolled = _rollup(QuoteDay, sp)
    if rolled is not None:
        for r in (
            rolled.values(*keys)
            .annotate(quotes=Sum("quotes"), chose_helper=Sum("chose_helper"))
            .order_by()
        ):
            key = (r["price"], r["professional_list_price"], bool(r["professional_install_free"]))
            result.setdefault(key, Counter()).update(
                quotes=r["quotes"], chose_helper=r["chose_helper"]
            )
    return result


__all__ = [
    "COUNTS",
    "Split",
    "accepted_within",
    "area_counts",
    "counts_by_period",
    "job_counts",
    "money",
    "money_by_month",
    "percentiles",
    "quote_counts",
    "reviews",
    "split",
    "wait_histogram",
]
