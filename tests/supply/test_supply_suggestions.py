"""Demand-aware helper fee suggestions: direction from the figures, bounded steps in whole
currency units, and applying one as an operator decision recorded in the price history."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.core.errors import NotAllowed, ValidationFailed
from marketplace.pricing.models import PriceBookEntry, PriceChange, ServiceCategory
from marketplace.pricing.services import professional_list_price
from marketplace.supply.services import fee_suggestion_apply
from marketplace.supply.suggestions import (
    Figures,
    decide,
    fee_suggestion_for,
    fee_suggestions,
    step_fee,
    suggest,
)
from tests.supply_rows import stat, zurich_cell

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 12, tzinfo=ZoneInfo("Europe/Zurich"))
IN_WINDOW = date(2026, 3, 10)
TOO_OLD = date(2026, 2, 1)


@pytest.fixture
def entry(ch, router_wifi) -> PriceBookEntry:
    """CHF 60 helper fee, CHF 30–100, professional CHF 80 + 1 h at CHF 140 = CHF 220."""
    return PriceBookEntry.objects.select_related("market", "category").get(
        market=ch, category=router_wifi
    )


def undersupplied(market, category, **extra):
    """Two areas, 20 requests, 8 accepted (40 %), 5 helpers in range: demand/supply 4.0."""
    stat(market=market, category=category, cell=zurich_cell(market), day=IN_WINDOW,
         requests=12, helpers=3, accepted=4, median=4000, **extra)  # fmt: skip
    stat(market=market, category=category, cell=zurich_cell(market, 0, 1), day=IN_WINDOW,
         requests=8, helpers=2, accepted=4, median=2000, **extra)  # fmt: skip


def oversupplied(market, category):
    """10 requests, all accepted within 5 minutes, 100 helpers in range: demand/supply 0.1."""
    stat(market=market, category=category, cell=zurich_cell(market), day=IN_WINDOW,
         requests=10, helpers=100, accepted=10, median=300)  # fmt: skip


def test_it_suggests_a_raise_when_demand_outstrips_supply(entry, ch, router_wifi):
    undersupplied(ch, router_wifi)
    stat(
        market=ch,
        category=router_wifi,
        cell=zurich_cell(ch, 5, 5),
        day=TOO_OLD,
        requests=50,
        helpers=100,
        accepted=50,
    )  # fmt: skip  (outside the 28 days)
    s = fee_suggestion_for(entry=entry, now=NOW)
    assert (s.direction, s.current_fee, s.suggested_fee) == ("raise", 6000, 6600)
    assert s.reason.startswith(
        "Demand/supply 4.0 and fill rate 40 % over the last 28 days in 2 areas "
        "(20 requests, median wait 50 min). Demand outstrips supply: raise the helper fee 10 %"
    )
    assert "CHF 60.00 → CHF 66.00" in s.reason
    assert len(s.reason) <= 300  # fits the price history
    assert (s.figures.areas, s.figures.requests, s.figures.accepted) == (2, 20, 8)
    assert s.figures.median_time_to_accept_s == 3000  # (4×4000 + 4×2000) / 8


def test_it_suggests_lowering_when_helpers_are_idle(entry, ch, router_wifi):
    oversupplied(ch, router_wifi)
    s = fee_suggestion_for(entry=entry, now=NOW)
    assert (s.direction, s.suggested_fee) == ("lower", 5400)
    assert "Helpers are idle: lower the helper fee 10 %" in s.reason
    assert "Demand/supply 0.1 and fill rate 100 %" in s.reason


def test_it_keeps_the_fee_in_between_and_with_too_few_requests(entry, ch, router_wifi):
    # 12 requests, 9 accepted (75 %), 12 helpers: neither short of helpers nor idle.
    stat(market=ch, category=router_wifi, cell=zurich_cell(ch), day=IN_WINDOW,
         requests=12, helpers=12, accepted=9, median=900)  # fmt: skip
    s = fee_suggestion_for(entry=entry, now=NOW)
    assert (s.direction, s.suggested_fee) == ("keep", 6000)
    assert "in balance" in s.reason

    tv = ServiceCategory.objects.get(slug="tv-decoder")
    tv_entry = PriceBookEntry.objects.get(market=ch, category=tv)
    stat(market=ch, category=tv, cell=zurich_cell(ch), day=IN_WINDOW, requests=4, helpers=0)
    s = fee_suggestion_for(entry=tv_entry, now=NOW)
    assert s.direction == "keep"
    assert "Too few requests to judge" in s.reason


def test_slow_acceptance_alone_with_a_low_fill_rate_is_enough_to_raise():
    slow = Figures(
        areas=3, requests=30, accepted=12, active_helpers=60, median_time_to_accept_s=7200
    )
    assert decide(slow)[0] == "raise"
    quick = Figures(
        areas=3, requests=30, accepted=12, active_helpers=60, median_time_to_accept_s=60
    )
    assert decide(quick)[0] == "keep"
    nobody = Figures(
        areas=1, requests=6, accepted=0, active_helpers=0, median_time_to_accept_s=None
    )
    assert decide(nobody)[0] == "raise"
    # The ratio thresholds are per 28 days: 1.0 over 28 days is 0.5 over 14.
    half = Figures(areas=1, requests=10, accepted=5, active_helpers=15, median_time_to_accept_s=60)
    assert decide(half, window_days=28)[0] == "keep"
    assert decide(half, window_days=14)[0] == "raise"


def test_steps_are_whole_currency_units_rounded_half_up():
    assert step_fee(6000, 10) == 6600
    assert step_fee(4550, 10) == 5000  # 50.05 → 50
    assert step_fee(4550, -10) == 4100  # 40.95 → 41
    assert step_fee(4500, 10) == 5000  # 49.50 → 50 (half up)


def test_a_raise_never_goes_above_the_professional_price(entry, ch, router_wifi):
    PriceBookEntry.objects.filter(pk=entry.pk).update(pro_flat_price=6300)
    entry.refresh_from_db()
    undersupplied(ch, router_wifi)
    s = fee_suggestion_for(entry=entry, now=NOW)
    assert (s.direction, s.suggested_fee, s.highest) == ("raise", 6300, 6300)

    PriceBookEntry.objects.filter(pk=entry.pk).update(helper_fee=6300)
    entry.refresh_from_db()
    s = fee_suggestion_for(entry=entry, now=NOW)
    assert (s.direction, s.suggested_fee) == ("keep", 6300)
    assert "ceiling" in s.reason and "professional price of CHF 63.00" in s.reason


def test_a_cut_never_goes_below_the_minimum(entry, ch, router_wifi):
    PriceBookEntry.objects.filter(pk=entry.pk).update(helper_fee=3200)
    entry.refresh_from_db()
    oversupplied(ch, router_wifi)
    s = fee_suggestion_for(entry=entry, now=NOW)
    assert (s.direction, s.suggested_fee) == ("lower", 3000)  # 28.80 → 29, held at 30

    PriceBookEntry.objects.filter(pk=entry.pk).update(helper_fee=3000)
    entry.refresh_from_db()
    s = fee_suggestion_for(entry=entry, now=NOW)
    assert (s.direction, s.suggested_fee) == ("keep", 3000)
    assert "minimum" in s.reason


def test_free_professional_installation_is_said_and_never_raised_above(pl, router_wifi):
    entry = PriceBookEntry.objects.select_related("market", "category").get(
        market=pl, category=router_wifi
    )
    assert entry.pro_install_free
    undersupplied(pl, router_wifi)
    s = fee_suggestion_for(entry=entry, now=NOW)
    assert (s.direction, s.suggested_fee, s.highest) == ("keep", 6000, 6000)
    assert "professional installation is free in Poland" in s.reason
    assert len(s.reason) <= 300

    oversupplied_entry = PriceBookEntry.objects.get(pk=entry.pk)
    stat(market=pl, category=router_wifi, cell=zurich_cell(pl, 40, 40), day=IN_WINDOW,
         requests=100, helpers=5000, accepted=100, median=60)  # fmt: skip
    s = fee_suggestion_for(entry=oversupplied_entry, now=NOW)
    assert (s.direction, s.suggested_fee) == ("lower", 5400)
    assert "professional installation is free" in s.reason


def test_suggestions_cover_every_priced_category_and_optionally_each_area(ch, router_wifi):
    undersupplied(ch, router_wifi)
    every = fee_suggestions(market=ch, now=NOW)
    assert len(every) == PriceBookEntry.objects.filter(market=ch).count()
    assert {s.direction for s in every if s.category != "router-wifi"} == {"keep"}
    by_area = fee_suggestions(market=ch, category=router_wifi, by_area=True, now=NOW)
    assert {s.cell for s in by_area} == {zurich_cell(ch), zurich_cell(ch, 0, 1)}
    assert all(s.figures.areas == 1 for s in by_area)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fee=st.integers(100, 50_000),
    spread=st.tuples(st.integers(0, 20_000), st.integers(0, 20_000)),
    pro=st.integers(0, 60_000),
    free=st.booleans(),
    requests=st.integers(0, 200),
    accepted_share=st.floats(0, 1),
    helpers=st.integers(0, 500),
    median=st.none() | st.integers(0, 20_000),
)
def test_suggestions_always_stay_within_the_bounds(
    ch, router_wifi, fee, spread, pro, free, requests, accepted_share, helpers, median
):
    entry = PriceBookEntry(
        market=ch,
        category=router_wifi,
        helper_fee=fee,
        min_helper_fee=max(0, fee - spread[0]),
        max_helper_fee=fee + spread[1],
        pro_flat_price=pro,
        pro_install_free=free,
    )
    accepted = round(requests * accepted_share)
    figures = Figures(1, requests, accepted, helpers, median if accepted else None)
    s = suggest(entry=entry, figures=figures, window_days=28)
    assert entry.min_helper_fee <= s.suggested_fee <= entry.max_helper_fee
    assert s.lowest <= s.suggested_fee <= s.highest or s.suggested_fee == fee
    if s.direction == "raise":
        assert fee < s.suggested_fee <= professional_list_price(entry)
        assert not free
    elif s.direction == "lower":
        assert s.suggested_fee < fee
    else:
        assert s.suggested_fee == fee
    if free:
        assert s.suggested_fee <= fee
        assert "installation is free" in s.reason


def test_applying_records_a_price_change_by_the_operator(entry, ch, router_wifi, olga):
    undersupplied(ch, router_wifi)
    s = fee_suggestion_for(entry=entry, now=NOW)
    change = fee_suggestion_apply(entry=entry, suggested_fee=6600, actor=olga, now=NOW)
    assert (change.source, change.changed_by, change.field) == ("suggestion", olga, "helper_fee")
    assert (change.old_value, change.new_value) == ("6000", "6600")
    assert change.reason == s.reason
    entry.refresh_from_db()
    assert entry.helper_fee == 6600


def test_an_operator_may_choose_another_fee_within_the_bounds(entry, ch, router_wifi, olga):
    undersupplied(ch, router_wifi)
    change = fee_suggestion_apply(entry=entry, suggested_fee=6500, actor=olga, now=NOW)
    assert change.reason.endswith("Operator chose 6500 instead of 6600.")
    with pytest.raises(ValidationFailed, match="between 3000 and 10000"):
        fee_suggestion_apply(entry=entry, suggested_fee=10_100, actor=olga, now=NOW)
    with pytest.raises(ValidationFailed, match="already"):
        fee_suggestion_apply(entry=entry, suggested_fee=6500, actor=olga, now=NOW)
    assert PriceChange.objects.count() == 1


def test_only_operators_apply_suggestions(entry, ch, router_wifi, alice, bob):
    undersupplied(ch, router_wifi)
    for user in (alice, bob, None):
        with pytest.raises(NotAllowed):
            fee_suggestion_apply(entry=entry, suggested_fee=6600, actor=user, now=NOW)
    assert not PriceChange.objects.exists()


def test_free_installation_refuses_a_raise_on_apply(pl, router_wifi, olga):
    entry = PriceBookEntry.objects.get(market=pl, category=router_wifi)
    undersupplied(pl, router_wifi)
    with pytest.raises(ValidationFailed, match="free"):
        fee_suggestion_apply(entry=entry, suggested_fee=6600, actor=olga, now=NOW)
    assert not PriceChange.objects.exists()
