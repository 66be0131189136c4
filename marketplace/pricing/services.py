"""Quoting. Every amount is an integer in minor units (rappen, grosze).

Rounding rule (the only one in the code base): a share of an amount is rounded half up to the
nearest minor unit (`share_half_up`); the helper payout is the remainder, so `fee + payout == price`
always holds exactly.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from marketplace.core.errors import ValidationFailed
from marketplace.core.money import share_half_up
from marketplace.pricing.bounds import (
    ENTRY_BOUNDS,
    MARKET_BOUNDS,
    Bound,
    out_of_bounds,
    parse_radius_steps,
)
from marketplace.pricing.models import Market, PriceBookEntry, PriceChange, ServiceCategory


@dataclass(frozen=True)
class Quote:
    currency: str
    helper_price: int
    professional_price: int  # what the customer would pay for a technician (0 when free)
    professional_list_price: int  # the technician's price before any free-installation offer
    professional_install_free: bool
    saving: int  # professional_price - helper_price (negative when the helper costs more)
    saving_percent: int  # of the professional price, rounded half up; 0 when that is 0
    platform_fee: int
    helper_payout: int


def professional_list_price(entry: PriceBookEntry) -> int:
    if entry.pro_flat_price is not None:
        return entry.pro_flat_price
    return entry.pro_callout_fee + share_half_up(
        entry.pro_hourly_rate, entry.pro_expected_minutes, 60
    )


def build_quote(*, entry: PriceBookEntry, market: Market, helper_price: int | None = None) -> Quote:
    """The quote for `entry` in `market`. For an entry and market within pricing/bounds.py (the
    database constraints hold that for every stored row) every amount is at most
    MAX_QUOTE_AMOUNT, which fits the job's integer columns; bounds.py shows the arithmetic."""
    price = entry.helper_fee if helper_price is None else helper_price
    fee = share_half_up(price, market.commission_bps, 10_000)
    list_price = professional_list_price(entry)
    pro_price = 0 if entry.pro_install_free else list_price
    saving = pro_price - price
    if pro_price > 0:
        pct = share_half_up(abs(saving), 100, pro_price)
        saving_percent = pct if saving >= 0 else -pct
    else:
        saving_percent = 0
    return Quote(
        currency=market.currency,
        helper_price=price,
        professional_price=pro_price,
        professional_list_price=list_price,
        professional_install_free=entry.pro_install_free,
        saving=saving,
        saving_percent=saving_percent,
        platform_fee=fee,
        helper_payout=price - fee,
    )


def price_entry_for(*, market: Market, category: ServiceCategory) -> PriceBookEntry:
    entry = (
        PriceBookEntry.objects.select_related("market", "category")
        .filter(market=market, category=category)
        .first()
    )
    if entry is None:
        raise ValidationFailed(
            gettext("%(service)s is not offered in %(market)s")
            % {"service": category.localized_name(), "market": market.localized_name()},
            code="not_offered",
        )
    return entry


def quote(*, market: Market, category: ServiceCategory) -> Quote:
    return build_quote(entry=price_entry_for(market=market, category=category), market=market)


# --- Editing prices, with history ----------------------------------------------------------

MARKET_EDITABLE = (
    "commission_bps",
    "fixed_cost_per_month",
    "cancellation_free_minutes",
    "cancellation_fee",
    "dispatch_k",
    "offer_deadline_minutes",
    "radius_steps_km",
    "max_radius_km",
    "language",
    "time_zone",
    "is_active",
)
ENTRY_EDITABLE = (
    "helper_fee",
    "min_helper_fee",
    "max_helper_fee",
    "pro_callout_fee",
    "pro_hourly_rate",
    "pro_expected_minutes",
    "pro_flat_price",
    "pro_install_free",
)


def history_text(value) -> str:
    """A field's value as the price history stores it (None as empty)."""
    return "" if value is None else str(value)


def _apply_changes(
    obj, changes: dict, allowed: tuple[str, ...], bounds: dict[str, Bound]
) -> list[tuple[str, object, object]]:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationFailed(f"These fields cannot be changed here: {', '.join(unknown)}")
    # The ranges of pricing/bounds.py, checked here for every caller (web, API, admin, applied
    # suggestions, scripts) and worded with the field's name; the model validators and the
    # database constraints hold the same ranges.
    problems = out_of_bounds(bounds, changes)
    if problems:
        raise ValidationFailed("; ".join(problems))
    diffs = []
    for name, new in changes.items():
        old = getattr(obj, name)
        if old != new:
            setattr(obj, name, new)
            diffs.append((name, old, new))
    return diffs


def _validated_save(obj, diffs) -> None:
    from django.core.exceptions import ValidationError

    try:
        obj.full_clean()
    except ValidationError as exc:
        raise ValidationFailed(
            "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        ) from exc
    obj.save(update_fields=[name for name, _old, _new in diffs])


def _record(*, market, entry, diffs, actor, source: str, reason: str, now) -> list[PriceChange]:
    return PriceChange.objects.bulk_create(
        [
            PriceChange(
                market=market,
                entry=entry,
                field=name,
                old_value=history_text(old),
                new_value=history_text(new),
                changed_by=actor,
                changed_at=now,
                source=source,
                reason=reason[:300],
            )
            for name, old, new in diffs
        ]
    )


@transaction.atomic
def price_entry_update(
    *, entry: PriceBookEntry, actor, source: str = "web", reason: str = "", now=None, **changes
) -> PriceBookEntry:
    """Change a price-book entry and record each changed field. Jobs already booked keep the
    quote they were booked with; only new quotes see the new prices."""
    entry = PriceBookEntry.objects.select_for_update().select_related("market").get(pk=entry.pk)
    diffs = _apply_changes(entry, changes, ENTRY_EDITABLE, ENTRY_BOUNDS)
    if not diffs:
        return entry
    if entry.min_helper_fee > entry.max_helper_fee:
        raise ValidationFailed("The minimum helper fee is above the maximum")
    if not entry.min_helper_fee <= entry.helper_fee <= entry.max_helper_fee:
        raise ValidationFailed(
            f"The helper fee must lie between {entry.min_helper_fee} and {entry.max_helper_fee}"
        )
    _validated_save(entry, diffs)
    _record(
        market=entry.market,
        entry=entry,
        diffs=diffs,
        actor=actor,
        source=source,
        reason=reason,
        now=now or timezone.now(),
    )
    return entry


@transaction.atomic
def market_update(
    *, market: Market, actor, source: str = "web", reason: str = "", now=None, **changes
) -> Market:
    """Change market settings (commission, cancellation policy, platform cost, dispatch) and
    record each changed field."""
    market = Market.objects.select_for_update().get(pk=market.pk)
    diffs = _apply_changes(market, changes, MARKET_EDITABLE, MARKET_BOUNDS)
    if not diffs:
        return market
    if "radius_steps_km" in changes:
        try:
            parse_radius_steps(market.radius_steps_km)
        except ValueError as exc:
            raise ValidationFailed(str(exc)) from None
    _validated_save(market, diffs)
    _record(
        market=market,
        entry=None,
        diffs=diffs,
        actor=actor,
        source=source,
        reason=reason,
        now=now or timezone.now(),
    )
    return market


def value_in_force(*, entry: PriceBookEntry, field: str, at) -> str:
    """The value `field` of `entry` had at moment `at`, as text (from the change history)."""
    later = (
        PriceChange.objects.filter(entry=entry, field=field, changed_at__gt=at)
        .order_by("changed_at", "id")
        .first()
    )
    return later.old_value if later else history_text(getattr(entry, field))
