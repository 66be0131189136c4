"""Writes for supply/demand: refreshing the figures, and applying a fee suggestion.

`supply_refresh` recomputes `SupplyDemandStat` rows (one per market × cell × category × day of
posting, see models.py for what each figure means) from jobs, offers and job events, entirely by
database aggregation: one grouped query per table and chunk of days, plus one query per area cell
for the helpers in range. Python only sees the final per-group rows.

Incremental by default: it recomputes the days (in each market's time zone) of the jobs that
changed since the previous run (created, accepted, closed, an offer sent or answered, or any job
event), plus the current day, and replaces those days' rows. With `since`/`until` it recomputes
every day in that range instead (a rebuild, e.g. after changing SUPPLY_CELL_KM).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    FloatField,
    Func,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone

from marketplace.core.days import chunks, day_start, local_date, posted_on
from marketplace.core.errors import NotAllowed, ValidationFailed
from marketplace.core.expressions import IntFloor
from marketplace.core.geo import bounding_box
from marketplace.helpers.models import HelperProfile, HelperStatus, lat_band
from marketplace.helpers.selectors import KM_PER_DEGREE
from marketplace.jobs.models import JobEvent, JobOffer, JobRequest, OfferStatus
from marketplace.pricing.models import Market, PriceBookEntry, PriceChange, ServiceCategory
from marketplace.pricing.services import price_entry_update
from marketplace.supply.cells import Cell, Grid, grid_for
from marketplace.supply.models import SupplyDemandStat, SupplyRefreshRun

# Changes committed a little after the previous run's clock reading are still picked up.
OVERLAP = timedelta(minutes=5)
# Days aggregated per group of queries (bounds memory and transaction length on a rebuild).
CHUNK_DAYS = 31

# (day, cell_y, cell_x, category_id)
GroupKey = tuple[date, int, int, int]


@dataclass
class _Group:
    posted: int = 0
    accepted: int = 0
    expired: int = 0
    accept_seconds_sum: int = 0
    median: int | None = None
    p90: int | None = None
    offers_sent: int = 0
    offers_accepted: int = 0
    offers_declined: int = 0
    offers_expired: int = 0


def supply_refresh(
    *,
    since: datetime | date | None = None,
    until: datetime | date | None = None,
    now: datetime | None = None,
) -> SupplyRefreshRun:
    """Recompute supply/demand figures; see the module docstring. Idempotent."""
    now = now or timezone.now()
    started = time.perf_counter()
    last = SupplyRefreshRun.objects.order_by("-ran_at", "-id").first()
    incremental = since is None and until is None and last is not None
    helpers = HelperCounter()
    days_done = rows = 0
    markets = list(Market.objects.order_by("pk"))
    if incremental:
        touched = _touched_days(markets=markets, changed_since=last.ran_at - OVERLAP)
    for market in markets:
        tz = ZoneInfo(market.time_zone)
        today = timezone.localtime(now, tz).date()
        if incremental:
            days = touched[market.pk] | {today}
        else:
            first, end = local_date(since, tz), local_date(until, tz)
            days = days_with_data(market=market, tz=tz, first=first, end=end)
            if (first is None or first <= today) and (end is None or today < end):
                days.add(today)
        grid = grid_for(market)
        for chunk in chunks(sorted(days), CHUNK_DAYS):
            rows += _refresh_days(
                market=market, grid=grid, tz=tz, days=chunk, now=now, helpers=helpers
            )
            days_done += len(chunk)
    return SupplyRefreshRun.objects.create(
        ran_at=now,
        incremental=incremental,
        days_recomputed=days_done,
        rows_written=rows,
        duration_ms=round((time.perf_counter() - started) * 1000),
    )


def _touched_days(*, markets: list[Market], changed_since: datetime) -> dict[int, set[date]]:
    """Per market, the local days of the jobs that changed since `changed_since`.

    Three small queries rather than one OR over the jobs table (which would read every job):
    jobs posted since then (created_at index), jobs with an offer sent or answered since then,
    and jobs with an event since then. Every state change of a job (acceptance, release,
    expiry, cancellation, ...) goes through `transition()`, which writes a JobEvent, so these
    three see everything the figures count."""
    local_day = Case(
        *[
            When(market_id=m.pk, then=TruncDate("created_at", tzinfo=ZoneInfo(m.time_zone)))
            for m in markets
        ],
        output_field=DateField(),
    )
    changed_offers = JobOffer.objects.filter(
        Q(sent_at__gte=changed_since) | Q(responded_at__gte=changed_since)
    ).values("job_id")
    changed_events = JobEvent.objects.filter(created_at__gte=changed_since).values("job_id")
    jobs = JobRequest.objects.filter(market__in=markets)
    days: dict[int, set[date]] = {m.pk: set() for m in markets}
    for touched in (
        jobs.filter(created_at__gte=changed_since),
        jobs.filter(pk__in=changed_offers),
        jobs.filter(pk__in=changed_events),
    ):
        for market_id, day in (
            touched.annotate(day=local_day).values_list("market_id", "day").order_by().distinct()
        ):
            days[market_id].add(day)
    return days


def days_with_data(
    *,
    market: Market,
    tz: ZoneInfo,
    first: date | None,
    end: date | None,
    derived: QuerySet | None = None,
    day_field: str = "period",
) -> set[date]:
    """Days in [first, end) with jobs, or with rows to replace (so stale rows go too):
    `derived`, the market's derived rows dated by `day_field` (default: the supply figures;
    the economics rollup passes its own)."""
    jobs = JobRequest.objects.filter(market=market)
    stats = SupplyDemandStat.objects.filter(market=market) if derived is None else derived
    if first is not None:
        jobs = jobs.filter(created_at__gte=day_start(first, tz))
        stats = stats.filter(**{f"{day_field}__gte": first})
    if end is not None:
        jobs = jobs.filter(created_at__lt=day_start(end, tz))
        stats = stats.filter(**{f"{day_field}__lt": end})
    # Every day from the first job to the last (a day without jobs just yields no rows): two
    # index lookups instead of converting every job's time to the local day.
    span = jobs.aggregate(first=Min("created_at"), last=Max("created_at"))
    days = set(stats.values_list(day_field, flat=True).order_by().distinct())
    if span["first"] is not None:
        day, last = local_date(span["first"], tz), local_date(span["last"], tz)
        while day <= last:
            days.add(day)
            day += timedelta(days=1)
    return days


def _local_day(days: list[date], tz: ZoneInfo, field: str):
    """The market-local day of `field` among the (sorted) `days` the rows were filtered to: a
    binary search over the days' UTC boundaries written as nested CASEs, so each row costs a
    few comparisons and no time-zone conversion in the database."""
    if len(days) == 1:
        return Value(days[0], output_field=DateField())
    middle = len(days) // 2
    return Case(
        When(
            **{f"{field}__lt": day_start(days[middle], tz)},
            then=_local_day(days[:middle], tz, field),
        ),
        default=_local_day(days[middle:], tz, field),
        output_field=DateField(),
    )


def _cell_keys(grid: Grid, tz: ZoneInfo, days: list[date], prefix: str = "") -> dict:
    return {
        "day": _local_day(days, tz, f"{prefix}created_at"),
        "cy": IntFloor(F(f"{prefix}lat") / Value(grid.dlat)),
        "cx": IntFloor(F(f"{prefix}lng") / Value(grid.dlng)),
    }


def _key(row: dict, category_field: str = "category_id") -> GroupKey:
    return (row["day"], int(row["cy"]), int(row["cx"]), row[category_field])


def _seconds(value) -> int:
    """Seconds from the database (a float), never negative."""
    return 0 if value is None else max(0, round(value))


class _WaitSeconds(Func):
    """Seconds from posting to acceptance, as a float, in the database's own date arithmetic
    (Django's generic datetime subtraction is a Python function per row on SQLite)."""

    output_field = FloatField()

    def __init__(self):
        super().__init__(F("accepted_at"), F("created_at"))

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra_context,
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))::double precision",
            arg_joiner=" - ",
            **extra_context,
        )


_WAIT = _WaitSeconds()


def _helper_jobs(market: Market, days: list[date], tz: ZoneInfo) -> QuerySet[JobRequest]:
    """The market's requests for a helper posted on `days`: not those the customer booked as a
    professional visit straight away (they never asked for a helper)."""
    window = posted_on(days, tz)
    booked_at_posting = JobEvent.objects.filter(
        posted_on(days, tz, prefix="job__"),
        job__market=market,
        kind="professional_booked",
        data__source="posting",
    ).values("job_id")
    return JobRequest.objects.filter(window, market=market).exclude(pk__in=booked_at_posting)


def _aggregate(market: Market, grid: Grid, tz: ZoneInfo, days: list[date]) -> dict:
    """Every figure but the helper counts, per (day, cell, category) group."""
    groups: dict[GroupKey, _Group] = {}
    jobs = _helper_jobs(market, days, tz).annotate(**_cell_keys(grid, tz, days))
    for row in jobs.values("day", "cy", "cx", "category_id").annotate(
        posted=Count("id"),
        accepted=Count("id", filter=Q(accepted_at__isnull=False)),
        wait_total=Sum(_WAIT, filter=Q(accepted_at__isnull=False)),
    ):
        groups[_key(row)] = _Group(
            posted=row["posted"],
            accepted=row["accepted"],
            accept_seconds_sum=_seconds(row["wait_total"]),
        )

    expired = (
        JobEvent.objects.filter(posted_on(days, tz, prefix="job__"), job__market=market)
        .filter(kind="expired")
        .annotate(**_cell_keys(grid, tz, days, prefix="job__"))
        .values("day", "cy", "cx", "job__category_id")
        .annotate(n=Count("job_id", distinct=True))
    )
    for row in expired:
        group = groups.get(_key(row, "job__category_id"))
        if group is not None:
            group.expired = row["n"]

    offers = (
        JobOffer.objects.filter(posted_on(days, tz, prefix="job__"), job__market=market)
        .annotate(**_cell_keys(grid, tz, days, prefix="job__"))
        .values("day", "cy", "cx", "job__category_id")
        .annotate(
            sent=Count("id"),
            accepted=Count("id", filter=Q(status=OfferStatus.ACCEPTED)),
            declined=Count("id", filter=Q(status=OfferStatus.DECLINED)),
            expired=Count("id", filter=Q(status=OfferStatus.EXPIRED)),
        )
    )
    for row in offers:
        group = groups.get(_key(row, "job__category_id"))
        if group is not None:
            group.offers_sent = row["sent"]
            group.offers_accepted = row["accepted"]
            group.offers_declined = row["declined"]
            group.offers_expired = row["expired"]

    _add_percentiles(groups, jobs)
    return groups


def _add_percentiles(groups: dict[GroupKey, _Group], jobs: QuerySet[JobRequest]) -> None:
    """Median and p90 of posting → acceptance per group, in the database: each accepted job is
    ranked within its group by waiting time, and only the ranks that the percentiles need come
    back (at most three rows per group).

    Median: the middle value, or the mean of the two middle values when the count is even.
    p90: nearest rank, the value at rank ceil(0.9 × n)."""
    partition = [F("day"), F("cy"), F("cx"), F("category_id")]
    ranked = (
        jobs.filter(accepted_at__isnull=False)
        .annotate(
            wait=_WAIT,
            rank=Window(RowNumber(), partition_by=partition, order_by=[F("wait").asc(), "id"]),
            n=Window(Count("id"), partition_by=partition),
        )
        .annotate(rank2=F("rank") * 2, rank10=F("rank") * 10, n9=F("n") * 9)
        .filter(
            # 2·rank ∈ {n, n+1, n+2}: the one or two middle ranks
            Q(rank2__gte=F("n"), rank2__lte=F("n") + 2)
            # the nearest rank of p90: 10·rank ≥ 9n > 10·(rank − 1)
            | Q(rank10__gte=F("n9"), rank10__lt=F("n9") + 10)
        )
        .values("day", "cy", "cx", "category_id", "rank", "n", "wait")
    )
    picked: dict[GroupKey, dict[int, int]] = {}
    sizes: dict[GroupKey, int] = {}
    for row in ranked:
        key = _key(row)
        picked.setdefault(key, {})[row["rank"]] = _seconds(row["wait"])
        sizes[key] = row["n"]
    for key, ranks in picked.items():
        group = groups.get(key)
        if group is None:
            continue
        n = sizes[key]
        middle = (ranks[(n + 1) // 2],) if n % 2 else (ranks[n // 2], ranks[n // 2 + 1])
        group.median = (sum(middle) * 2 + len(middle)) // (2 * len(middle))  # half up
        group.p90 = ranks[math.ceil(n * 9 / 10)]


class HelperCounter:
    """Vetted, available helpers whose service radius covers a cell's centre, per category,
    remembered for the rest of the run (a snapshot, like the rest of the figures).

    One aggregate query per cell, shaped like matching's shortlist query (latitude bands and a
    longitude range on the partial covering index of matchable helpers), so the database counts
    from the index alone. "Covers": the helper's distance to the centre is at most their
    service radius, measured on the local flat-earth approximation at the centre's latitude
    with the haversine's degree length (within a few metres of the haversine distance at these
    ranges). Like matching, it reads only the helper profile (not the user row)."""

    def __init__(self):
        self._cache: dict[tuple[int, Cell], tuple[int, dict[int, int]]] = {}
        self._categories = list(ServiceCategory.objects.order_by("pk"))
        self._max_radius: int | None = None
        self._select = "SELECT COUNT(CASE WHEN skills_mask <> 0 THEN 1 END)" + "".join(
            f", COUNT(CASE WHEN (skills_mask & {int(c.mask)}) <> 0 THEN 1 END)"
            for c in self._categories
        )

    def counts(self, grid: Grid, cells: Iterable[Cell]) -> dict[Cell, tuple[int, dict[int, int]]]:
        cells = list(dict.fromkeys(cells))
        missing = [c for c in cells if (grid.km, c) not in self._cache]
        if missing:
            with connection.cursor() as cursor:
                for cell in missing:
                    self._cache[(grid.km, cell)] = self._count(cursor, *grid.centre(cell))
        return {c: self._cache[(grid.km, c)] for c in cells}

    def _count(self, cursor, lat: float, lng: float) -> tuple[int, dict[int, int]]:
        if self._max_radius is None:
            self._max_radius = (
                HelperProfile.objects.filter(
                    status=HelperStatus.VETTED, is_available=True
                ).aggregate(r=Max("service_radius_km"))["r"]
                or 0
            )
        if not self._max_radius:
            return 0, {c.pk: 0 for c in self._categories}
        min_lat, max_lat, min_lng, max_lng = bounding_box(lat, lng, self._max_radius)
        bands = list(range(lat_band(min_lat), lat_band(max_lat) + 1))
        ky, kx = KM_PER_DEGREE, KM_PER_DEGREE * math.cos(math.radians(lat))
        d2 = "((lat - %s) * %s) * ((lat - %s) * %s) + ((lng - %s) * %s) * ((lng - %s) * %s)"
        cursor.execute(
            f"{self._select} FROM {HelperProfile._meta.db_table} "
            f"WHERE lat_band IN ({', '.join(['%s'] * len(bands))}) "
            "AND lng BETWEEN %s AND %s AND lat BETWEEN %s AND %s "
            # Literal conditions, as in the partial index's definition, so that it is used.
            "AND is_available AND status = 'vetted' "
            f"AND {d2} <= service_radius_km * service_radius_km",
            [*bands, min_lng, max_lng, min_lat, max_lat, lat, ky, lat, ky, lng, kx, lng, kx],
        )
        any_skill, *by_category = cursor.fetchone()
        return any_skill, {c.pk: n for c, n in zip(self._categories, by_category, strict=True)}


def _refresh_days(
    *,
    market: Market,
    grid: Grid,
    tz: ZoneInfo,
    days: list[date],
    now: datetime,
    helpers: HelperCounter,
) -> int:
    groups = _aggregate(market, grid, tz, days)
    supply = helpers.counts(grid, [Cell(y, x) for (_day, y, x, _c) in groups])
    ops = connection.ops
    computed_at = ops.adapt_datetimefield_value(now)
    rows = []
    for (day, y, x, category_id), g in groups.items():
        any_skill, by_category = supply[Cell(y, x)]
        rows.append(
            (
                market.pk,
                category_id,
                ops.adapt_datefield_value(day),
                grid.km,
                y,
                x,
                g.posted,
                g.accepted,
                g.expired,
                g.offers_sent,
                g.offers_accepted,
                g.offers_declined,
                g.offers_expired,
                by_category.get(category_id, 0),
                any_skill,
                g.accept_seconds_sum,
                g.median,
                g.p90,
                computed_at,
            )
        )
    # Replace the days' rows in one short transaction; the market row lock serialises two
    # refreshes of the same market (PostgreSQL; SQLite serialises writers anyway). A plain
    # executemany: the ORM's bulk_create spends more time preparing values than the insert.
    with transaction.atomic():
        list(Market.objects.select_for_update().filter(pk=market.pk).values_list("pk"))
        SupplyDemandStat.objects.filter(market=market, period__in=days).delete()
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(_INSERT, rows)
    return len(rows)


_COLUMNS = (
    "market_id",
    "category_id",
    "period",
    "cell_km",
    "cell_y",
    "cell_x",
    "requests_posted",
    "jobs_accepted",
    "jobs_expired",
    "offers_sent",
    "offers_accepted",
    "offers_declined",
    "offers_expired",
    "active_helpers",
    "active_helpers_any_skill",
    "accept_seconds_sum",
    "median_accept_seconds",
    "p90_accept_seconds",
    "computed_at",
)
_INSERT = (
    f"INSERT INTO {SupplyDemandStat._meta.db_table} ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
)


# --- Applying a fee suggestion ------------------------------------------------------------------


@transaction.atomic
def fee_suggestion_apply(
    *, entry: PriceBookEntry, suggested_fee: int, actor, now: datetime | None = None
) -> PriceChange:
    """An operator accepts a fee suggestion: the helper fee changes through the price book's own
    service, so the change is in the price history with source "suggestion" and the reason.

    Checked again here, against figures as they are now: the fee must be the current suggestion,
    or at least lie within the suggestion's bounds (never below the entry's minimum, never above
    its maximum or the professional price, never a raise when professional installation is
    free)."""
    from marketplace.supply.suggestions import fee_suggestion_for

    if actor is None or not getattr(actor, "is_operator", False):
        raise NotAllowed("Only operators can change prices")
    if isinstance(suggested_fee, bool) or not isinstance(suggested_fee, int):
        raise ValidationFailed("The suggested fee must be a whole number of minor units")
    entry = PriceBookEntry.objects.select_related("market", "category").get(pk=entry.pk)
    suggestion = fee_suggestion_for(entry=entry, now=now)
    if suggested_fee == entry.helper_fee:
        raise ValidationFailed("The helper fee is already at this amount", code="unchanged")
    if not suggestion.lowest <= suggested_fee <= suggestion.highest:
        raise ValidationFailed(
            f"The fee must lie between {suggestion.lowest} and {suggestion.highest} "
            f"({suggestion.bounds_note})"
        )
    reason = suggestion.reason
    if suggested_fee != suggestion.suggested_fee:
        reason = f"{reason} Operator chose {suggested_fee} instead of {suggestion.suggested_fee}."
    price_entry_update(
        entry=entry,
        actor=actor,
        source="suggestion",
        reason=reason,
        now=now,
        helper_fee=suggested_fee,
    )
    return PriceChange.objects.filter(entry=entry, field="helper_fee").order_by("-pk").first()
