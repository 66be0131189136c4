"""Operator economics (DESIGN §7): does the pilot pay? Reads only; computed by database
aggregation (a fixed number of grouped queries per call, no Python loop over job rows). The
additive figures come from the daily rollup for whole days no change has touched since its
last refresh, and from the job rows for the rest (`rolled.py`, `rollup.py`): the same numbers
either way, never stale.

**Attribution.** Every figure is about the requests *posted* in the scope (``created_at`` in
``[start, end)``, in the market, optionally one category and one supply grid cell), whatever
happened to them later — the cohort rule the supply figures use too. Money therefore follows
the job it belongs to: a refund given in March for a job posted in February lowers February.
Money is in minor units of the market's currency; rates are floats in 0..1, or None when the
denominator is 0.

**Funnel.** ``posted``: every request. ``helper_requests``: those where the customer chose a
helper at posting (``JobRequest.choice``; the others were booked as professional visits at
once). ``offered``: requests with at least one offer. ``accepted``: a helper holds or held the
job (``accepted_at`` set; an acceptance the helper released does not count). ``completed``:
the helper marked it done. ``confirmed``: status confirmed. ``cancelled_by_*``: status
cancelled, by who. ``expired``: no helper in time (an ``expired`` event), whether or not a
professional was booked afterwards. ``professional_booked``: done by a professional, at posting
or as the fallback.

**Formulas.**

* fill rate = helper requests accepted within T (``Scope.fill_within``; posting → acceptance
  ≤ T, to the microsecond) ÷ helper requests.
* time to accept (posting → acceptance, ``JobRequest.accept_wait_us``) over accepted requests,
  in whole seconds rounded half up: median = the middle value, or the mean of the two middle
  values rounded half up; p90 = nearest rank, the value at rank ⌈0.9 n⌉ (the supply figures'
  rules).
* completion rate = confirmed ÷ accepted; cancellation rate = cancelled (by anyone) ÷ posted.
* active helpers = vetted helpers who have not paused (``is_available``), *now* (a snapshot:
  the profile keeps no history). Market-wide: the market's helpers, with the category's skill
  when a category is given. For a cell: helpers of any market whose service radius covers the
  cell's centre (the supply map's count). Per area (`by_area`), the same count as the supply
  map shows it: its largest daily snapshot over the scope's days, taken by `supply_refresh`
  (counted now for cells it has not reached yet).
* demand/supply ratio = helper requests ÷ active helpers (requests that never asked for a
  helper put no load on helpers; the supply map counts the same way).
* utilisation = distinct helpers with ≥ 1 confirmed job in scope ÷ active helpers (helpers who
  have left since still count above the line, so it can exceed 1 after churn);
  jobs per active helper = confirmed ÷ active helpers.
* GMV = what customers paid and kept paid: captured amounts (confirmed jobs, cancellation
  fees) minus refunds — the ledger's platform + helper legs, read from each payment's running
  totals, which the payment services keep equal to them (see `queries.money`).
* fees = platform fees captured; fee refunds = platform fees given back; net revenue =
  fees − fee refunds; take rate = net revenue ÷ GMV.
* processing costs = per payment with money captured: ``captured × PAYMENT_PROCESSING_BPS ÷
  10000`` rounded half up, plus ``PAYMENT_PROCESSING_FIXED`` (settings, minor units). The
  default 290 bps + 30 is a card-like cost (Stripe's standard European card pricing is of this
  order) chosen so that the margin is not overstated; a telecom that bills its customers for
  free sets both to 0. Refunds are assumed not to give processing fees back.
* contribution margin per job = (net revenue − processing costs) ÷ confirmed jobs, rounded
  half up. Cancellation-fee revenue counts, spread over the confirmed jobs.
* break-even jobs per month = ⌈fixed cost per month ÷ contribution margin per job⌉, computed
  on the exact margin (⌈fixed × confirmed ÷ (net revenue − processing)⌉), so rounding the
  displayed margin never moves it. Undefined (None, with a note saying why) when the margin is
  ≤ 0 or there is no confirmed job.
* months = days in the scope ÷ 30.44; confirmed per month = confirmed ÷ months.
* repeat rate = customers with ≥ 2 requests ÷ customers with ≥ 1.
* helper retention = helpers with a confirmed job in both halves of the scope ÷ helpers with
  a confirmed job in the first half.
* NPS = % promoters (9–10) − % detractors (0–6) over customers' answers (−100..100); CSAT =
  mean customer rating of the helper (1–5). From the customers' reviews of the scope's jobs.
* price ratio = mean quoted helper price ÷ mean quoted professional list price (the list
  price, before any free-installation offer); helper choice share = helper requests ÷ posted.

Weeks start on Monday and months on the 1st, in the market's time zone; a partial first or
last period holds only the part inside the scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from marketplace.economics import people, rolled
from marketplace.economics import queries as q
from marketplace.economics.queries import active_helpers, break_even, div_half_up, scoped

# Part of this module's interface (the what-if and the dashboard use them).
from marketplace.economics.scope import Scope

__all__ = [
    "AreaRow",
    "ChoicePoint",
    "Metrics",
    "MonthRow",
    "WeekRow",
    "active_helpers",
    "break_even",
    "by_area",
    "choice_points",
    "div_half_up",
    "metrics",
    "monthly",
    "scoped",
    "weekly",
]


@dataclass(frozen=True)
class Metrics:
    """See the module docstring for every definition."""

    currency: str
    posted: int
    offered: int
    accepted: int
    completed: int
    confirmed: int
    cancelled_by_customer: int
    cancelled_by_operator: int
    expired: int
    professional_booked: int
    fill_rate: float | None
    median_accept_seconds: int | None
    p90_accept_seconds: int | None
    completion_rate: float | None
    cancellation_rate: float | None
    active_helpers: int
    demand_supply_ratio: float | None
    utilisation: float | None
    jobs_per_active_helper: float | None
    gmv: int
    fees: int
    fee_refunds: int
    net_revenue: int
    take_rate: float | None
    processing_costs: int
    contribution_margin_per_job: int | None
    fixed_cost_per_month: int
    break_even_jobs_per_month: int | None
    break_even_note: str
    months: float
    confirmed_per_month: float
    repeat_rate: float | None
    helper_retention: float | None
    nps: float | None
    nps_answers: int
    csat: float | None
    price_ratio: float | None
    helper_choice_share: float | None
    # Added to the shared interface (never renamed):
    helper_requests: int = 0
    accepted_within: int = 0  # helper requests accepted within T
    cancelled: int = 0
    helpers_with_confirmed_jobs: int = 0
    captured_payments: int = 0
    customers: int = 0
    repeat_customers: int = 0
    csat_answers: int = 0


@dataclass(frozen=True)
class WeekRow:
    week_start: date
    posted: int
    accepted: int
    confirmed: int
    fill_rate: float | None
    helper_requests: int = 0
    accepted_within: int = 0


@dataclass(frozen=True)
class MonthRow:
    month: date
    confirmed: int
    net_revenue: int
    break_even_jobs: int | None  # with this month's margin; None when it is ≤ 0 or unknown
    posted: int = 0
    fees: int = 0
    fee_refunds: int = 0
    processing_costs: int = 0
    margin_per_job: int | None = None
    fixed_cost: int = 0


@dataclass(frozen=True)
class AreaRow:
    cell: tuple[int, int]
    lat: float  # cell centre
    lng: float
    posted: int
    active_helpers: int
    demand_supply_ratio: float | None  # helper requests ÷ active helpers
    helper_requests: int = 0
    accepted: int = 0


@dataclass(frozen=True)
class ChoicePoint:
    """Customers quoted one (helper price, professional list price) pair, and what they chose."""

    price_ratio: float  # helper price ÷ professional list price
    quotes: int
    chose_helper: int
    price: int = 0
    professional_list_price: int = 0
    professional_install_free: bool = False


# --- The figures -----------------------------------------------------------------------------


def metrics(scope: Scope) -> Metrics:
    sp = rolled.split(scope)
    counts = rolled.job_counts(sp)
    counts["accepted_within"] = rolled.accepted_within(sp)[None]
    median, p90 = rolled.percentiles(sp, rolled.wait_histogram(sp))
    customers = people.customers(scope, posted=counts["posted"])
    helpers_confirmed = people.helpers_with_confirmed_jobs(scope, confirmed=counts["confirmed"])
    reviews = rolled.reviews(sp)
    money = rolled.money(sp)
    helpers = q.active_helpers(scope)

    confirmed = counts["confirmed"]
    contribution = money["net"] - money["processing"]
    fixed = scope.market.fixed_cost_per_month
    needed, note = q.break_even(fixed_cost=fixed, contribution=contribution, jobs=confirmed)
    months = scope.months
    answers = reviews["answers"]
    return Metrics(
        currency=scope.market.currency,
        posted=counts["posted"],
        offered=counts["offered"],
        accepted=counts["accepted"],
        completed=counts["completed"],
        confirmed=confirmed,
        cancelled_by_customer=counts["cancelled_by_customer"],
        cancelled_by_operator=counts["cancelled_by_operator"],
        expired=counts["expired"],
        professional_booked=counts["professional_booked"],
        fill_rate=q.rate(counts["accepted_within"], counts["helper_requests"]),
        median_accept_seconds=median,
        p90_accept_seconds=p90,
        completion_rate=q.rate(confirmed, counts["accepted"]),
        cancellation_rate=q.rate(counts["cancelled"], counts["posted"]),
        active_helpers=helpers,
        demand_supply_ratio=q.rate(counts["helper_requests"], helpers),
        utilisation=q.rate(helpers_confirmed["all"], helpers),
        jobs_per_active_helper=q.rate(confirmed, helpers),
        gmv=money["gmv"],
        fees=money["fees"],
        fee_refunds=money["fee_refunds"],
        net_revenue=money["net"],
        take_rate=q.rate(money["net"], money["gmv"]),
        processing_costs=money["processing"],
        contribution_margin_per_job=q.div_half_up(contribution, confirmed) if confirmed else None,
        fixed_cost_per_month=fixed,
        break_even_jobs_per_month=needed,
        break_even_note=note,
        months=months,
        confirmed_per_month=confirmed / months,
        repeat_rate=q.rate(customers["repeat"], customers["all"]),
        helper_retention=q.rate(helpers_confirmed["both"], helpers_confirmed["first"]),
        nps=(100.0 * (reviews["promoters"] - reviews["detractors"]) / answers if answers else None),
        nps_answers=answers,
        csat=reviews["rating_sum"] / reviews["ratings"] if reviews["ratings"] else None,
        price_ratio=q.rate(counts["price_sum"], counts["list_price_sum"]),
        helper_choice_share=q.rate(counts["helper_requests"], counts["posted"]),
        helper_requests=counts["helper_requests"],
        accepted_within=counts["accepted_within"],
        cancelled=counts["cancelled"],
        helpers_with_confirmed_jobs=helpers_confirmed["all"],
        captured_payments=money["captured"],
        customers=customers["all"],
        repeat_customers=customers["repeat"],
        csat_answers=reviews["ratings"],
    )


# --- Periods -----------------------------------------------------------------------------------


def weekly(scope: Scope) -> list[WeekRow]:
    """Funnel per week (Monday start, market time), with the fill rate; every week of the scope,
    empty ones included."""
    sp = rolled.split(scope)
    names = ("posted", "helper_requests", "accepted", "confirmed")
    counts = rolled.counts_by_period(sp, "week", names)
    within = rolled.accepted_within(sp, "week")
    result = []
    for start, c in counts.items():
        result.append(
            WeekRow(
                week_start=start,
                posted=c["posted"],
                accepted=c["accepted"],
                confirmed=c["confirmed"],
                fill_rate=q.rate(within[start], c["helper_requests"]),
                helper_requests=c["helper_requests"],
                accepted_within=within[start],
            )
        )
    return result


def monthly(scope: Scope) -> list[MonthRow]:
    """Confirmed jobs, money and break-even per month (1st, market time), every month of the
    scope. The fixed cost is the market's current monthly cost, whole for partial months."""
    sp = rolled.split(scope)
    counts = rolled.counts_by_period(sp, "month", ("posted", "confirmed"))
    money = rolled.money_by_month(sp)
    fixed = scope.market.fixed_cost_per_month
    result = []
    for start, c in counts.items():
        m = money[start]
        confirmed = c["confirmed"]
        contribution = m["net"] - m["processing"]
        needed, _note = q.break_even(fixed_cost=fixed, contribution=contribution, jobs=confirmed)
        result.append(
            MonthRow(
                month=start,
                confirmed=confirmed,
                net_revenue=m["net"],
                break_even_jobs=needed,
                posted=c["posted"],
                fees=m["fees"],
                fee_refunds=m["fee_refunds"],
                processing_costs=m["processing"],
                margin_per_job=q.div_half_up(contribution, confirmed) if confirmed else None,
                fixed_cost=fixed,
            )
        )
    return result


# --- Areas and choices -------------------------------------------------------------------------


def by_area(scope: Scope) -> list[AreaRow]:
    """Requests per supply grid cell (of the job's exact point) against the helpers whose
    radius covers the cell's centre (see `queries.area_helpers`); busiest cells first."""
    grid = scope.grid
    counts = rolled.area_counts(scope)
    cells = list(counts)
    helpers = q.area_helpers(scope, cells)
    result = []
    for cell in cells:
        r, n = counts[cell], helpers[cell]
        lat, lng = grid.centre(cell)
        result.append(
            AreaRow(
                cell=(cell.y, cell.x),
                lat=round(lat, 5),
                lng=round(lng, 5),
                posted=r["posted"],
                active_helpers=n,
                demand_supply_ratio=q.rate(r["helper_requests"], n),
                helper_requests=r["helper_requests"],
                accepted=r["accepted"],
            )
        )
    result.sort(key=lambda a: (-a.posted, a.cell))
    return result


def choice_points(scope: Scope) -> list[ChoicePoint]:
    """What customers chose per quoted (helper price, professional list price, free
    installation) triple; quotes without a professional list price are left out (no ratio).
    Ordered by price ratio."""
    points = [
        ChoicePoint(
            price_ratio=price / list_price,
            quotes=c["quotes"],
            chose_helper=c["chose_helper"],
            price=price,
            professional_list_price=list_price,
            professional_install_free=free,
        )
        for (price, list_price, free), c in rolled.quote_counts(rolled.split(scope)).items()
    ]
    points.sort(key=lambda p: (p.price_ratio, p.professional_install_free, p.price))
    return points
