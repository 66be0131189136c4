"""Supply/demand selectors: ratios (and no helpers), rankings with their minimum number of
requests, and aggregation to weeks and months."""

from datetime import date, timedelta

import pytest

from marketplace.core.errors import ValidationFailed
from marketplace.pricing.models import ServiceCategory
from marketplace.supply.cells import Cell
from marketplace.supply.selectors import (
    MIN_REQUESTS,
    most_oversupplied,
    most_undersupplied,
    resolve_window,
    supply_demand,
    supply_demand_totals,
)
from tests.supply_rows import stat, zurich_cell

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 2)


@pytest.fixture
def tv(reference):
    return ServiceCategory.objects.get(slug="tv-decoder")


@pytest.fixture
def cells(ch, router_wifi):
    """Five Zürich-area cells over the week of MONDAY (requests, helpers):
    a (10, 2) → 5.0; b (6, 3) → 2.0; c (4, 0) below the threshold; d (20, 40) → 0.5;
    e (8, 0) → no helpers."""
    spec = {"a": (0, 0, 10, 2), "b": (0, 1, 6, 3), "c": (1, 0, 4, 0)}
    spec |= {"d": (1, 1, 20, 40), "e": (-1, 0, 8, 0)}
    out = {}
    for name, (dy, dx, requests, helpers) in spec.items():
        out[name] = zurich_cell(ch, dy, dx)
        stat(
            market=ch,
            category=router_wifi,
            cell=out[name],
            day=MONDAY,
            requests=requests,
            helpers=helpers,
            accepted=requests // 2,
        )
    return out


def _cells(rows):
    return [r.cell for r in rows]


def test_the_ratio_is_requests_per_helper_and_undefined_without_helpers(ch, cells):
    rows = {
        r.cell: r
        for r in supply_demand_totals(market=ch, start=MONDAY, end=MONDAY + timedelta(days=6))
    }
    assert rows[cells["a"]].ratio == 5.0
    assert rows[cells["a"]].fill_rate == 0.5
    e = rows[cells["e"]]
    assert (e.ratio, e.no_helpers, e.ratio_for_ranking) == (None, True, float("inf"))
    assert e.fill_rate == 0.5


def test_undersupplied_ranks_no_helpers_first_and_skips_cells_below_the_threshold(ch, cells):
    window = {"start": MONDAY, "end": MONDAY + timedelta(days=6)}
    assert MIN_REQUESTS == 5
    ranked = most_undersupplied(market=ch, **window)
    assert _cells(ranked) == [cells["e"], cells["a"], cells["b"], cells["d"]]
    # With no threshold the single cell c (4 requests, no helpers) joins e; more requests first.
    ranked = most_undersupplied(market=ch, **window, min_requests=1, limit=2)
    assert _cells(ranked) == [cells["e"], cells["c"]]


def test_oversupplied_ranks_most_helpers_per_request_first(ch, cells):
    window = {"start": MONDAY, "end": MONDAY + timedelta(days=6)}
    assert _cells(most_oversupplied(market=ch, **window)) == [cells["d"], cells["b"], cells["a"]]
    assert _cells(most_oversupplied(market=ch, **window, min_requests=15)) == [cells["d"]]
    assert most_oversupplied(market=ch, **window, limit=0) == []


def test_days_add_up_to_weeks_and_months(ch, router_wifi):
    cell = zurich_cell(ch)
    # Monday and Wednesday of one week, then the next Monday (still March).
    stat(market=ch, category=router_wifi, cell=cell, day=MONDAY, requests=4, helpers=3,
         accepted=2, median=100, p90=200, offers_sent=6, offers_accepted=2)  # fmt: skip
    stat(market=ch, category=router_wifi, cell=cell, day=MONDAY + timedelta(days=2), requests=2,
         helpers=5, accepted=2, median=400, p90=800, offers_sent=2, offers_declined=1)  # fmt: skip
    stat(market=ch, category=router_wifi, cell=cell, day=MONDAY + timedelta(days=7), requests=1,
         helpers=2)  # fmt: skip
    end = MONDAY + timedelta(days=13)

    weeks = supply_demand(market=ch, period="week", start=MONDAY, end=end)
    assert [w.period_start for w in weeks] == [MONDAY, MONDAY + timedelta(days=7)]
    first = weeks[0]
    assert (first.requests, first.accepted, first.active_helpers) == (6, 4, 5)  # helpers: max
    assert first.ratio == pytest.approx(6 / 5)
    assert (first.offers_sent, first.offers_accepted, first.offers_declined) == (8, 2, 1)
    assert first.offer_acceptance_rate == 0.25
    # accepted-weighted over the days: (2×100 + 2×400) / 4, (2×200 + 2×800) / 4
    assert (first.median_time_to_accept_s, first.p90_time_to_accept_s) == (250, 500)
    assert first.mean_time_to_accept_s == 250
    assert weeks[1].median_time_to_accept_s is None
    assert weeks[1].fill_rate == 0.0

    months = supply_demand(market=ch, period="month", start=MONDAY, end=end)
    assert [(m.period_start, m.requests) for m in months] == [(date(2026, 3, 1), 7)]
    days = supply_demand(market=ch, period="day", start=MONDAY, end=end)
    assert [d.period_start for d in days] == [
        MONDAY,
        MONDAY + timedelta(days=2),
        MONDAY + timedelta(days=7),
    ]


def test_all_categories_count_each_helper_once(ch, router_wifi, tv):
    cell = zurich_cell(ch)
    stat(market=ch, category=router_wifi, cell=cell, day=MONDAY, requests=3, helpers=4, any_skill=6)
    stat(market=ch, category=tv, cell=cell, day=MONDAY, requests=2, helpers=5, any_skill=6)
    (all_,) = supply_demand_totals(market=ch, start=MONDAY, end=MONDAY)
    assert (all_.requests, all_.active_helpers) == (5, 6)
    (tv_only,) = supply_demand_totals(market=ch, category=tv, start=MONDAY, end=MONDAY)
    assert (tv_only.requests, tv_only.active_helpers) == (2, 5)


def test_a_cells_time_series(ch, router_wifi, cells):
    other = Cell(cells["a"].y + 5, cells["a"].x)
    stat(market=ch, category=router_wifi, cell=other, day=MONDAY, requests=1, helpers=1)
    stat(market=ch, category=router_wifi, cell=cells["a"], day=MONDAY + timedelta(days=7),
         requests=3, helpers=2)  # fmt: skip
    series = supply_demand(
        market=ch, period="week", start=MONDAY, end=MONDAY + timedelta(days=13), cell=cells["a"]
    )
    assert [(r.period_start, r.requests) for r in series] == [
        (MONDAY, 10),
        (MONDAY + timedelta(days=7), 3),
    ]
    assert {r.cell for r in series} == {cells["a"]}


def test_rows_of_another_grid_size_are_ignored(ch, router_wifi, settings):
    stat(market=ch, category=router_wifi, cell=zurich_cell(ch), day=MONDAY, requests=3, helpers=1)
    settings.SUPPLY_CELL_KM = 2
    assert supply_demand_totals(market=ch, start=MONDAY, end=MONDAY) == []


def test_windows_default_to_the_last_few_periods_and_are_checked(ch):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    now = datetime(2026, 3, 11, 12, tzinfo=ZoneInfo("Europe/Zurich"))  # a Wednesday
    week = resolve_window(market=ch, period="week", now=now)
    assert (week.start, week.end) == (date(2026, 2, 16), date(2026, 3, 11))
    month = resolve_window(market=ch, period="month", now=now)
    assert (month.start, month.end) == (date(2026, 1, 1), date(2026, 3, 11))
    day = resolve_window(market=ch, period="day", now=now)
    assert (day.start, day.days) == (date(2026, 2, 26), 14)
    with pytest.raises(ValidationFailed, match="period"):
        resolve_window(market=ch, period="year")
    with pytest.raises(ValidationFailed, match="after"):
        resolve_window(market=ch, start=date(2026, 3, 2), end=date(2026, 3, 1))
    with pytest.raises(ValidationFailed, match="at most"):
        resolve_window(market=ch, start=date(2020, 1, 1), end=date(2026, 3, 1))
