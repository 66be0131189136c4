"""Quotes (DESIGN §5): integer minor units, one rounding rule (half up), fee + payout == price."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.core.errors import ValidationFailed
from marketplace.pricing.models import Market, PriceBookEntry, ServiceCategory
from marketplace.pricing.services import (
    build_quote,
    professional_list_price,
    quote,
    share_half_up,
)


def entry(**fields) -> PriceBookEntry:
    """An unsaved price-book entry: CHF 60 helper fee, technician CHF 80 + CHF 140/h for 1 h."""
    defaults = dict(
        helper_fee=6_000,
        max_helper_fee=10_000,
        pro_callout_fee=8_000,
        pro_hourly_rate=14_000,
        pro_expected_minutes=60,
    )
    return PriceBookEntry(**{**defaults, **fields})


def market(**fields) -> Market:
    return Market(**{"currency": "CHF", "commission_bps": 2_000, **fields})


# --- share_half_up ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, numerator, denominator, expected",
    [
        (5, 1, 2, 3),  # 2.5 → 3
        (3, 1, 2, 2),  # 1.5 → 2
        (1, 1, 2, 1),  # 0.5 → 1
        (1, 1, 4, 0),  # 0.25 → 0
        (3, 1, 4, 1),  # 0.75 → 1
        (12, 1, 5, 2),  # 2.4 → 2
        (13, 1, 5, 3),  # 2.6 → 3
        (6_000, 2_000, 10_000, 1_200),  # exact
        (9_999, 1_500, 10_000, 1_500),  # 1499.85 → 1500
        (0, 1_500, 10_000, 0),
        (7, 0, 10_000, 0),
        (7, 10_000, 10_000, 7),
    ],
)
def test_share_half_up_rounds_halves_up(amount, numerator, denominator, expected):
    assert share_half_up(amount, numerator, denominator) == expected


@pytest.mark.parametrize("args", [(-1, 1, 2), (1, -1, 2), (1, 1, 0), (1, 1, -2)])
def test_share_half_up_refuses_negative_amounts_and_non_positive_denominators(args):
    with pytest.raises(ValueError):
        share_half_up(*args)


@given(
    amount=st.integers(0, 10**12),
    numerator=st.integers(0, 10**6),
    denominator=st.integers(1, 10**6),
)
def test_share_half_up_is_exact_rounding_half_up(amount, numerator, denominator):
    exact = Fraction(amount * numerator, denominator)
    result = share_half_up(amount, numerator, denominator)
    # Half up: the nearest integer, and the upper one when exactly halfway.
    assert result - Fraction(1, 2) <= exact < result + Fraction(1, 2)


@given(price=st.integers(0, 10**9), commission_bps=st.integers(0, 10_000))
def test_fee_plus_payout_is_always_the_price(price, commission_bps):
    q = build_quote(entry=entry(), market=market(commission_bps=commission_bps), helper_price=price)

    assert q.platform_fee + q.helper_payout == q.helper_price == price
    assert 0 <= q.platform_fee <= price
    assert q.platform_fee == share_half_up(price, commission_bps, 10_000)


# --- Professional price and saving ---------------------------------------------------------------


def test_professional_price_is_call_out_plus_hourly_rate_for_the_duration():
    assert professional_list_price(entry()) == 22_000  # CHF 80 + CHF 140 × 60/60
    assert professional_list_price(entry(pro_expected_minutes=90)) == 29_000
    # 25 zł + 125 zł/h × 45 min = 25 + 93.75 → 118.75 zł
    assert (
        professional_list_price(
            entry(pro_callout_fee=2_500, pro_hourly_rate=12_500, pro_expected_minutes=45)
        )
        == 11_875
    )
    # 1 rappen an hour for 30 minutes: half a rappen rounds up.
    assert (
        professional_list_price(
            entry(pro_callout_fee=0, pro_hourly_rate=1, pro_expected_minutes=30)
        )
        == 1
    )


def test_flat_professional_price_overrides_call_out_and_hours():
    assert professional_list_price(entry(pro_flat_price=15_000)) == 15_000
    assert professional_list_price(entry(pro_flat_price=0)) == 0


def test_quote_compares_helper_and_professional():
    q = build_quote(entry=entry(), market=market())

    assert (q.currency, q.helper_price, q.professional_price) == ("CHF", 6_000, 22_000)
    assert q.professional_list_price == 22_000
    assert (q.saving, q.saving_percent) == (16_000, 73)  # 72.7 % → 73
    assert (q.platform_fee, q.helper_payout) == (1_200, 4_800)


def test_free_professional_installation_gives_a_negative_saving():
    q = build_quote(entry=entry(pro_install_free=True), market=market())

    assert q.professional_install_free is True
    assert q.professional_price == 0
    assert q.professional_list_price == 22_000
    assert q.saving == -6_000
    assert q.saving_percent == 0  # no percentage of nothing


@pytest.mark.parametrize(
    "helper_price, professional, saving, percent",
    [
        (5_000, 10_000, 5_000, 50),
        (10_000, 10_000, 0, 0),
        (12_000, 10_000, -2_000, -20),
        (3_350, 10_000, 6_650, 67),  # 66.5 % → 67
        (13_350, 10_000, -3_350, -34),  # -33.5 %: half away from zero
    ],
)
def test_saving_percent(helper_price, professional, saving, percent):
    q = build_quote(
        entry=entry(pro_flat_price=professional), market=market(), helper_price=helper_price
    )
    assert (q.saving, q.saving_percent) == (saving, percent)


@pytest.mark.django_db
def test_quote_reads_the_price_book_of_the_market(ch, pl, router_wifi):
    swiss = quote(market=ch, category=router_wifi)
    polish = quote(market=pl, category=router_wifi)

    assert (swiss.currency, swiss.helper_price, swiss.professional_price) == ("CHF", 6_000, 22_000)
    assert (swiss.platform_fee, swiss.helper_payout) == (1_200, 4_800)
    assert (polish.currency, polish.helper_price, polish.professional_price) == ("PLN", 6_000, 0)
    assert polish.professional_list_price == 15_000  # 25 zł + 125 zł for an hour
    assert (polish.platform_fee, polish.helper_payout) == (900, 5_100)


@pytest.mark.django_db
def test_quote_for_a_category_without_a_price_is_refused(ch, router_wifi):
    PriceBookEntry.objects.filter(market=ch, category=router_wifi).delete()

    with pytest.raises(ValidationFailed) as exc:
        quote(market=ch, category=router_wifi)
    assert exc.value.code == "not_offered"


@pytest.mark.django_db
def test_every_reference_price_satisfies_the_money_rules(reference):
    for e in PriceBookEntry.objects.select_related("market", "category"):
        q = quote(market=e.market, category=ServiceCategory.objects.get(pk=e.category_id))
        assert q.platform_fee + q.helper_payout == q.helper_price
        assert e.min_helper_fee <= q.helper_price <= e.max_helper_fee
        assert q.professional_price == (0 if e.pro_install_free else q.professional_list_price)
