"""The building blocks of the economics figures (`metrics.py` has the definitions): the
scope's filter, the aggregate expressions shared by the whole-scope and per-period queries,
exact percentiles, the helper counts, period buckets and the break-even rule."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, DateField, F, Max, Q, QuerySet, Sum, Value, When, Window
from django.db.models.functions import RowNumber
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.jobs.models import Fulfilment, JobStatus
from marketplace.payments.models import Payment
from marketplace.supply.cells import Cell
from marketplace.supply.models import SupplyDemandStat

# Shared with the supply figures: FLOOR and posting → acceptance seconds in the database's own
# arithmetic (Django's generic versions are a Python call per row on SQLite), and the count of
# helpers whose radius covers a cell.
from marketplace.supply.services import _WAIT, _Floor, _HelperCounter

if TYPE_CHECKING:
    from marketplace.economics.metrics import Scope


def rate(numerator: int | float, denominator: int | float) -> float | None:
    return numerator / denominator if denominator else None


def div_half_up(numerator: int, denominator: int) -> int:
    """numerator ÷ denominator rounded half up (towards +∞ on ties), for any sign of the
    numerator; the project's one rounding rule (`pricing.services.share_half_up`) extended to
    losses."""
    if denominator <= 0:
        raise ValueError("the denominator must be positive")
    return (2 * numerator + denominator) // (2 * denominator)


def break_even(*, fixed_cost: int, contribution: int, jobs: int) -> tuple[int | None, str]:
    """Jobs a month that cover `fixed_cost`, given a total contribution (net revenue − processing)
    earned over `jobs` confirmed jobs: ⌈fixed × jobs ÷ contribution⌉, or None and why."""
    if jobs <= 0:
        return None, gettext(
            "No break-even yet: no confirmed jobs, so the margin per job is unknown"
        )
    if contribution <= 0:
        margin = div_half_up(contribution, jobs)
        return None, gettext(
            "No break-even: the margin per job is ≤ 0 (%(margin)s), so every job adds to the "
            "loss whatever the volume"
        ) % {"margin": margin}
    needed = -(-fixed_cost * jobs // contribution)
    if needed == 0:
        return 0, gettext("No fixed cost to cover: every job adds to the profit")
    return needed, ngettext(
        "Needs %(count)s job a month", "Needs %(count)s jobs a month", needed
    ) % {"count": needed}


def cell_keys(grid, prefix: str = "") -> dict:
    """The supply grid cell (y, x) of the job's exact point, as annotations."""
    return {
        "cy": _Floor(F(f"{prefix}lat") / Value(grid.dlat)),
        "cx": _Floor(F(f"{prefix}lng") / Value(grid.dlng)),
    }


def scoped(qs: QuerySet, scope: Scope, prefix: str = "") -> QuerySet:
    """Filter `qs` to the scope's jobs; `prefix` reaches the job ("job__" from a related row)."""
    qs = qs.filter(
        **{
            f"{prefix}market": scope.market,
            f"{prefix}created_at__gte": scope.start,
            f"{prefix}created_at__lt": scope.end,
        }
    )
    if scope.category is not None:
        qs = qs.filter(**{f"{prefix}category": scope.category})
    if scope.cell is not None:
        keys = cell_keys(scope.grid, prefix)
        qs = qs.annotate(_cy=keys["cy"], _cx=keys["cx"]).filter(
            _cy=scope.cell[0], _cx=scope.cell[1]
        )
    return qs


def within(scope: Scope) -> LessThanOrEqual:
    # julianday arithmetic is exact to about 10 µs: a millisecond's slack keeps "exactly T" in.
    return LessThanOrEqual(_WAIT, Value(scope.fill_within.total_seconds() + 0.001))


def job_counts(scope: Scope) -> dict:
    """The per-job counts, as aggregate() keyword arguments (used whole and per bucket)."""
    helper = Q(choice=Fulfilment.HELPER)
    return {
        "posted": Count("id"),
        "helper_requests": Count("id", filter=helper),
        "accepted": Count("id", filter=Q(accepted_at__isnull=False)),
        "accepted_within": Count("id", filter=Q(within(scope), helper)),
        "completed": Count("id", filter=Q(completed_at__isnull=False)),
        "confirmed": Count("id", filter=Q(status=JobStatus.CONFIRMED)),
    }


def payments(scope: Scope) -> QuerySet:
    """The payments of the scope's jobs. Only jobs a helper holds or held can have money
    captured (payments are booked on acceptance; a release clears the acceptance but also
    releases the whole authorisation), so the others are not looked up."""
    return scoped(Payment.objects.all(), scope, "job__").filter(job__accepted_at__isnull=False)


def money() -> dict:
    """Money sums over the scope's payments, as aggregate() keyword arguments.

    Read from the payment's running totals (``amount_captured``, ``fee_captured``,
    ``amount_refunded``, ``fee_refunded``), which the payment services update in the same
    transaction as they write the ledger legs: per payment they equal the ledger's sums (the
    captured_fee/captured_payout legs into the platform and helper accounts, and the refund
    legs out of them). One row per job instead of five or more ledger legs; the economics
    benchmark checks both give the same figures."""
    bps = settings.PAYMENT_PROCESSING_BPS
    captured = Q(amount_captured__gt=0)
    return {
        "gmv": Sum(F("amount_captured") - F("amount_refunded")),
        "fees": Sum("fee_captured"),
        "fee_refunds": Sum("fee_refunded"),
        "captured": Count("id", filter=captured),
        # captured × bps ÷ 10000 rounded half up, per payment, in integer arithmetic
        "variable": Sum((F("amount_captured") * (2 * bps) + 10_000) / 20_000, filter=captured),
    }


def money_row(row: dict) -> dict:
    fees, refunds = row.get("fees") or 0, row.get("fee_refunds") or 0
    processing = (row.get("variable") or 0) + (
        row.get("captured") or 0
    ) * settings.PAYMENT_PROCESSING_FIXED
    return {
        "gmv": row.get("gmv") or 0,
        "fees": fees,
        "fee_refunds": refunds,
        "net": fees - refunds,
        "processing": processing,
        "captured": row.get("captured") or 0,
    }


def percentiles(jobs: QuerySet, n: int) -> tuple[int | None, int | None]:
    """Median and p90 of posting → acceptance over the `n` accepted jobs, in the database:
    accepted jobs ranked by waiting time (one sort), and only the (at most three) ranks the
    percentiles need come back."""
    if n == 0:
        return None, None
    middle = ((n + 1) // 2,) if n % 2 else (n // 2, n // 2 + 1)
    p90 = -(-9 * n // 10)  # ⌈0.9 n⌉, nearest rank
    ranked = (
        jobs.filter(accepted_at__isnull=False)
        .annotate(wait=_WAIT, rank=Window(RowNumber(), order_by=[F("wait").asc(), F("id").asc()]))
        .filter(rank__in=sorted({*middle, p90}))
        .order_by()
        .values_list("rank", "wait")
    )
    seconds = {rank: max(0, round(wait)) for rank, wait in ranked}
    return div_half_up(sum(seconds[r] for r in middle), len(middle)), seconds[p90]


def summarise(qs: QuerySet, **columns: str) -> dict[str, int]:
    """One row of aggregates over the rows of a grouped queryset (per customer, per helper):
    Django cannot aggregate over aggregates, so the grouped query becomes a subquery here.
    `columns` are SQL over the subquery's column names (see `sql_count_where`)."""
    sql, params = qs.order_by().query.sql_with_params()
    select = ", ".join(
        f"{expr} AS {connection.ops.quote_name(name)}" for name, expr in columns.items()
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select} FROM ({sql}) grouped", params)
        row = cursor.fetchone()
    return {name: value or 0 for name, value in zip(columns, row, strict=True)}


def sql_count_where(*conditions: str) -> str:
    """COUNT of the grouped rows where every (column, comparison) pair holds, e.g.
    ``sql_count_where("first", "> 0", "second", "> 0")`` (portable: no boolean sums)."""
    pairs = zip(conditions[::2], conditions[1::2], strict=True)
    where = " AND ".join(f"{connection.ops.quote_name(c)} {op}" for c, op in pairs)
    return f"COUNT(CASE WHEN {where} THEN 1 END)"


def active_helpers(scope: Scope) -> int:
    """Vetted, available helpers now: of the market, or covering the scope's cell."""
    if scope.cell is not None:
        any_skill, by_category = _HelperCounter().counts(scope.grid, [Cell(*scope.cell)])[
            Cell(*scope.cell)
        ]
        return by_category.get(scope.category.pk, 0) if scope.category else any_skill
    qs = HelperProfile.objects.filter(
        market=scope.market, status=HelperStatus.VETTED, is_available=True
    )
    if scope.category is not None:
        qs = qs.alias(skill=F("skills_mask").bitand(scope.category.mask)).filter(skill__gt=0)
    return qs.count()


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_start(start: date, period: str) -> date:
    if period == "week":
        return start + timedelta(days=7)
    return month_start(start + timedelta(days=32))


def period_starts(scope: Scope, period: str) -> list[date]:
    """The local start of every week or month that overlaps the scope."""
    first_of = week_start if period == "week" else month_start
    last_day = timezone.localtime(scope.end - timedelta(microseconds=1), scope.tz).date()
    starts = [first_of(timezone.localtime(scope.start, scope.tz).date())]
    while (following := next_start(starts[-1], period)) <= last_day:
        starts.append(following)
    return starts


def bucket(starts: list[date], tz: ZoneInfo, field: str):
    """The period start of `field` among `starts`: a binary search over the periods' UTC
    boundaries written as nested CASEs (a few comparisons per row, no time-zone conversion in
    the database). Rows are already limited to the scope, so the first bucket takes
    everything before the second one."""
    if len(starts) == 1:
        return Value(starts[0], output_field=DateField())
    middle = len(starts) // 2
    boundary = datetime.combine(starts[middle], time.min, tzinfo=tz)
    return Case(
        When(**{f"{field}__lt": boundary}, then=bucket(starts[:middle], tz, field)),
        default=bucket(starts[middle:], tz, field),
        output_field=DateField(),
    )


def as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def area_helpers(scope: Scope, cells: list[Cell]) -> dict[Cell, int]:
    """Helpers covering each cell: the supply figures' count (the largest daily snapshot in the
    scope's days, as the supply map shows it), already paid for by `supply_refresh`; counted
    now, the same way, for cells it has not reached yet (new since its last run)."""
    grid = scope.grid
    first = timezone.localtime(scope.start, scope.tz).date()
    last = timezone.localtime(scope.end - timedelta(microseconds=1), scope.tz).date()
    stats = SupplyDemandStat.objects.filter(
        market=scope.market, cell_km=grid.km, period__gte=first, period__lte=last
    )
    field = "active_helpers_any_skill"
    if scope.category is not None:
        stats, field = stats.filter(category=scope.category), "active_helpers"
    known = {
        Cell(r["cell_y"], r["cell_x"]): r["helpers"]
        for r in stats.values("cell_y", "cell_x").annotate(helpers=Max(field)).order_by()
    }
    missing = [c for c in cells if c not in known]
    if missing:
        for cell, (any_skill, by_category) in _HelperCounter().counts(grid, missing).items():
            known[cell] = by_category.get(scope.category.pk, 0) if scope.category else any_skill
    return known
