"""The allowed range of every number in a market's settings and its price book, defined once.

Used by the model validators and database check constraints (pricing/models.py), the services
(`price_entry_update`, `market_update` refuse anything outside with ValidationFailed → 422), the
API input schemas (pydantic `ge`/`le`, so the OpenAPI schema shows them) and the operator forms.

Money is integer minor units (rappen, grosze). The caps are far above any real tariff but low
enough that a quote always fits the job's columns (PositiveIntegerField: 2**31 - 1 on
PostgreSQL); see `MAX_QUOTE_AMOUNT` below for the arithmetic.
"""

import math
from dataclasses import dataclass

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import CheckConstraint, Q

# The largest value a PositiveIntegerField holds on every supported database (PostgreSQL
# `integer`): the job's price, fee, payout and professional price columns.
MAX_DB_INTEGER = 2**31 - 1

MAX_PRICE = 10_000_000  # 100,000.00 in the market's currency: any one job's fee or price
MAX_FIXED_COST_PER_MONTH = 1_000_000_000  # 10,000,000.00 a month of platform upkeep
MAX_BPS = 10_000  # commission: 100 %
MAX_PRO_MINUTES = 24 * 60  # a technician visit of at most 24 hours
MAX_CANCELLATION_FREE_MINUTES = 7 * 24 * 60  # a week
MAX_OFFER_DEADLINE_MINUTES = 24 * 60  # a day to answer an offer
MAX_DISPATCH_K = 20  # helpers offered a job at once
MAX_RADIUS_KM = 500  # search radius


@dataclass(frozen=True)
class Bound:
    low: int
    high: int
    unit: str  # "minor" (money), "bps", "minutes", "km" or "" — for messages and docs

    def validators(self) -> list:
        return [MinValueValidator(self.low), MaxValueValidator(self.high)]

    def contains(self, value: int) -> bool:
        return self.low <= value <= self.high

    def clamp(self, value: int) -> int:
        return min(max(value, self.low), self.high)


MONEY = Bound(0, MAX_PRICE, "minor")

MARKET_BOUNDS: dict[str, Bound] = {
    "commission_bps": Bound(0, MAX_BPS, "bps"),
    "fixed_cost_per_month": Bound(0, MAX_FIXED_COST_PER_MONTH, "minor"),
    "cancellation_free_minutes": Bound(0, MAX_CANCELLATION_FREE_MINUTES, "minutes"),
    "cancellation_fee": MONEY,
    "dispatch_k": Bound(1, MAX_DISPATCH_K, ""),
    "offer_deadline_minutes": Bound(1, MAX_OFFER_DEADLINE_MINUTES, "minutes"),
    "max_radius_km": Bound(1, MAX_RADIUS_KM, "km"),
}

ENTRY_BOUNDS: dict[str, Bound] = {
    "helper_fee": MONEY,
    "min_helper_fee": MONEY,
    "max_helper_fee": MONEY,
    "pro_callout_fee": MONEY,
    "pro_hourly_rate": MONEY,  # per hour
    "pro_expected_minutes": Bound(0, MAX_PRO_MINUTES, "minutes"),
    "pro_flat_price": MONEY,  # or null: calculated from call-out + minutes × hourly rate
}

# Why a quote always fits (pricing/services.py `build_quote`), for every entry within the bounds:
#   helper price          ≤ max_helper_fee                                  ≤ MAX_PRICE
#   platform fee, payout  ≤ helper price (commission ≤ 100 %, payout = price - fee)
#   professional price    ≤ max(pro_flat_price,
#                               pro_callout_fee + ⌈pro_hourly_rate × minutes / 60⌉)
#                         ≤ MAX_PRICE + MAX_PRICE × MAX_PRO_MINUTES / 60 = 250,000,000
#   |saving|              ≤ max(helper price, professional price)
#   |saving percent|      ≤ MAX_PRICE × 100 (a 0.01 professional price) = 1,000,000,000
# all below MAX_DB_INTEGER = 2,147,483,647. (share_half_up rounds to the nearest unit, and
# MAX_PRICE × MAX_PRO_MINUTES is a multiple of 60, so the middle line has no rounding surplus.)
MAX_QUOTE_AMOUNT = MAX_PRICE + MAX_PRICE * MAX_PRO_MINUTES // 60
assert MAX_PRICE * MAX_PRO_MINUTES % 60 == 0
assert MAX_QUOTE_AMOUNT <= MAX_DB_INTEGER
assert MAX_PRICE * 100 <= MAX_DB_INTEGER
assert MAX_FIXED_COST_PER_MONTH <= MAX_DB_INTEGER


def check_constraints(prefix: str, bounds: dict[str, Bound], nullable=()) -> list:
    """One CheckConstraint per bounded field, named `<prefix>_<field>_range`."""
    constraints = []
    for name, bound in bounds.items():
        condition = Q(**{f"{name}__gte": bound.low}) & Q(**{f"{name}__lte": bound.high})
        if name in nullable:
            condition = Q(**{f"{name}__isnull": True}) | condition
        constraints.append(CheckConstraint(condition=condition, name=f"{prefix}_{name}_range"))
    return constraints


def out_of_bounds(bounds: dict[str, Bound], changes: dict) -> list[str]:
    """One message per bounded field in `changes` that is not a whole number within its bound
    (None is left to the caller: only nullable fields accept it)."""
    problems = []
    for name, value in changes.items():
        bound = bounds.get(name)
        if bound is None or value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{name} must be a whole number, not {value!r}")
        elif not bound.contains(value):
            problems.append(f"{name} must be between {bound.low} and {bound.high}, not {value}")
    return problems


def parse_radius_steps(text: str) -> list[float]:
    """The search radii of "2,5,10,25"; ValueError with a message for operators when they are
    not positive finite numbers of at most MAX_RADIUS_KM km."""
    try:
        steps = [float(s) for s in str(text).split(",") if s.strip()]
    except ValueError:
        raise ValueError("Radius steps must be numbers separated by commas") from None
    if not steps or any(not math.isfinite(s) or s <= 0 for s in steps):
        raise ValueError("Radius steps must be positive numbers")
    if any(s > MAX_RADIUS_KM for s in steps):
        raise ValueError(f"Radius steps can be at most {MAX_RADIUS_KM} km")
    return steps
