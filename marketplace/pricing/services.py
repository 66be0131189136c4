"""Quoting. Every amount is an integer in minor units (rappen, grosze).

Rounding rule (the only one in the code base): a share of an amount is rounded half up to the
nearest minor unit (`share_half_up`); the helper payout is the remainder, so `fee + payout == price`
always holds exactly.
"""

from dataclasses import dataclass

from marketplace.core.errors import ValidationFailed
from marketplace.pricing.models import Market, PriceBookEntry, ServiceCategory


def share_half_up(amount: int, numerator: int, denominator: int) -> int:
    """amount × numerator ÷ denominator rounded half up, in integers (no floats, no Decimal)."""
    if amount < 0 or numerator < 0 or denominator <= 0:
        raise ValueError("share_half_up takes non-negative amounts and a positive denominator")
    return (amount * numerator * 2 + denominator) // (2 * denominator)


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
            f"{category.name} is not offered in {market.name}", code="not_offered"
        )
    return entry


def quote(*, market: Market, category: ServiceCategory) -> Quote:
    return build_quote(entry=price_entry_for(market=market, category=category), market=market)
