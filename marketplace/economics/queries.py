"""The building blocks of the economics figures (`metrics.py` has the definitions): the
scope's filter, the aggregate expressions shared by the rows and the rollup (`rolled.py`,
`rollup.py`), the helper counts, period buckets and the break-even rule."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    Func,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from marketplace.core.expressions import IntFloor
from marketplace.economics.scope import Scope
from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.jobs.models import Fulfilment, JobEvent, JobOffer, JobStatus
from marketplace.payments.models import Payment
from marketplace.supply.cells import Cell
from marketplace.supply.models import SupplyDemandStat

# Shared with the supply figures: the count of helpers whose radius covers a cell.
from marketplace.supply.services import HelperCounter


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
        "cy": IntFloor(F(f"{prefix}lat") / Value(grid.dlat)),
        "cx": IntFloor(F(f"{prefix}lng") / Value(grid.dlng)),
    }


class _NotIndexed(Func):
    """A column the query must not be driven by: on SQLite, which keeps no value histograms,
    the planner would take any range on created_at over a far narrower one on another indexed
    column; the unary ``+`` keeps the condition as a filter only. Elsewhere the column as is
    (PostgreSQL chooses by its statistics)."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="+%(expressions)s", **extra_context)


def scoped(
    qs: QuerySet, scope: Scope, prefix: str = "", ranges=None, posted_filter_only=False
) -> QuerySet:
    """Filter `qs` to the scope's jobs; `prefix` reaches the job ("job__" from a related row).
    `ranges`: created_at ranges inside the scope to read instead of the whole of it (only
    those conditions, so that the database can use each range of its index).
    `posted_filter_only`: the query is narrowed by another index (see `_NotIndexed`)."""
    if ranges is None:
        ranges = ((scope.start, scope.end),)
    column = f"{prefix}created_at"
    if posted_filter_only:
        qs = qs.alias(_posted=_NotIndexed(F(column), output_field=DateTimeField()))
        column = "_posted"
    posted = Q()
    for start, end in ranges:
        posted |= Q(**{f"{column}__gte": start, f"{column}__lt": end})
    qs = qs.filter(posted, **{f"{prefix}market": scope.market})
    if scope.category is not None:
        qs = qs.filter(**{f"{prefix}category": scope.category})
    if scope.cell is not None:
        keys = cell_keys(scope.grid, prefix)
        qs = qs.annotate(_cy=keys["cy"], _cx=keys["cx"]).filter(
            _cy=scope.cell[0], _cx=scope.cell[1]
        )
    return qs


def day_counts() -> dict:
    """The additive per-job counts of the metrics (`rolled.COUNTS`), as aggregate() keyword
    arguments: over a scope's rows, per period, and per day for the rollup.

    ``offered`` and ``expired`` probe small indexes per job, only where the answer is not known
    already: an accepted job always has an offer (acceptance records one); a professional
    visit chosen at posting was never offered and never expired; an expired job stays expired
    or becomes a professional visit (the only transition out of expired)."""
    helper = Q(choice=Fulfilment.HELPER)
    cancelled = Q(status=JobStatus.CANCELLED)
    return {
        "posted": Count("id"),
        "helper_requests": Count("id", filter=helper),
        "offered": Count(
            "id",
            filter=Q(accepted_at__isnull=False)
            | Q(helper, Exists(JobOffer.objects.filter(job=OuterRef("pk")))),
        ),
        "accepted": Count("id", filter=Q(accepted_at__isnull=False)),
        "completed": Count("id", filter=Q(completed_at__isnull=False)),
        "confirmed": Count("id", filter=Q(status=JobStatus.CONFIRMED)),
        "cancelled": Count("id", filter=cancelled),
        "cancelled_by_customer": Count("id", filter=cancelled & Q(cancelled_by="customer")),
        "cancelled_by_operator": Count("id", filter=cancelled & Q(cancelled_by="operator")),
        "expired": Count(
            "id",
            filter=Q(
                helper,
                Q(status__in=(JobStatus.EXPIRED, JobStatus.PROFESSIONAL)),
                Exists(JobEvent.objects.filter(job=OuterRef("pk"), kind="expired")),
            ),
        ),
        "professional_booked": Count("id", filter=Q(fulfilment=Fulfilment.PROFESSIONAL)),
        "price_sum": Sum("price"),
        "list_price_sum": Sum("professional_list_price"),
    }


def area_counts() -> dict:
    """Per supply grid cell: requests, requests for a helper, accepted. Rows are counted by
    ``created_at`` (never NULL), which the report index holds, so PostgreSQL can answer from
    the index alone (its indexes do not carry ``id``)."""
    return {
        "posted": Count("created_at"),
        "helper_requests": Count("created_at", filter=Q(choice=Fulfilment.HELPER)),
        "accepted": Count("created_at", filter=Q(accepted_at__isnull=False)),
    }


def review_sums() -> dict:
    """The customers' ratings and NPS answers, as aggregate() keyword arguments."""
    return {
        "ratings": Count("id"),
        "rating_sum": Sum("rating"),
        "answers": Count("id", filter=Q(nps__isnull=False)),
        "promoters": Count("id", filter=Q(nps__gte=9)),
        "detractors": Count("id", filter=Q(nps__lte=6)),
    }


def payments_all() -> QuerySet:
    """Payments that can hold captured money: only jobs a helper holds or held (payments are
    booked on acceptance; a release clears the acceptance but also releases the whole
    authorisation), so the others are not looked up. Scope them with `scoped(…, "job__")`."""
    return Payment.objects.filter(job__accepted_at__isnull=False)


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
        any_skill, by_category = HelperCounter().counts(scope.grid, [Cell(*scope.cell)])[
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
        for cell, (any_skill, by_category) in HelperCounter().counts(grid, missing).items():
            known[cell] = by_category.get(scope.category.pk, 0) if scope.category else any_skill
    return known
