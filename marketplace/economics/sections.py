"""The dashboard's chart sections (DESIGN §7): each chart with a heading, a sentence on how to
read it and a table of the same figures for screen readers; plus the map's orientation (the
market's outline and place names from the offline gazetteer, never the network).

Texts go through gettext (named placeholders); the CSV exports stay English (they are data).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

from django.utils.dateformat import format as date_format
from django.utils.translation import gettext, gettext_lazy, ngettext

from marketplace.core import geo
from marketplace.core.formatting import percent_text
from marketplace.core.money import format_money
from marketplace.economics import charts, metrics, whatif
from marketplace.economics.metrics import Metrics, MonthRow
from marketplace.economics.verdict import complete_months, fit_quality
from marketplace.pricing.models import Market
from marketplace.supply.cells import grid_for

MAP_PLACES = 8  # largest gazetteer cities labelled on the map
AREA_TABLE_ROWS = 100

CSV_TABLES = [
    ("metrics", gettext_lazy("Headline figures")),
    ("weekly", gettext_lazy("Weekly funnel")),
    ("monthly", gettext_lazy("Months and break-even")),
    ("areas", gettext_lazy("Demand and supply by area")),
    ("choice", gettext_lazy("Choices per quoted price")),
]


@dataclass(frozen=True)
class Table:
    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # the first cell of a row is its header
    note: str = ""


@dataclass(frozen=True)
class Section:
    """One chart on the page: heading, SVG, a sentence on how to read it, the same figures."""

    id: str
    heading: str
    svg: str
    table: Table
    how: str = ""


# --- The map's orientation ---------------------------------------------------------------------


@functools.cache
def _gazetteer() -> geo.OfflineGazetteer:
    # One instance: constructing a geopy geocoder builds an SSL context (~40 ms) every time.
    return geo.OfflineGazetteer()


@functools.lru_cache(maxsize=4096)
def nearest_place(lat: float, lng: float, country: str) -> str:
    """The nearest shipped GeoNames locality within 15 km (offline, whatever GEOCODER says)."""
    location = _gazetteer().reverse((lat, lng), max_distance_km=15.0, country_codes=[country])
    if location is None:
        return ""
    name, city = location.raw.get("name") or "", location.raw.get("part_of") or ""
    return f"{name}, {city}" if city and city != name else name


@functools.lru_cache(maxsize=16)
def market_geography(country: str) -> tuple[tuple[float, float, float, float] | None, tuple]:
    """The market's bounding box (its gazetteer localities, padded) and its largest cities, from
    the offline gazetteer (never the network)."""
    centre = {"CH": (46.8, 8.2), "PL": (52.0, 19.4)}.get(country.upper(), (50.0, 10.0))
    found = _gazetteer().reverse(centre, exactly_one=False, country_codes=[country])
    if not found:
        return None, ()
    lats = [loc.latitude for loc in found]
    lngs = [loc.longitude for loc in found]
    pad = 0.15
    bbox = (min(lats) - pad, max(lats) + pad, min(lngs) - pad, max(lngs) + pad)
    cities = sorted(
        (loc for loc in found if not loc.raw.get("part_of")),
        key=lambda loc: -loc.raw.get("population", 0),
    )[:MAP_PLACES]
    return bbox, tuple((loc.raw["name"], loc.latitude, loc.longitude) for loc in cities)


def area_chart(market: Market, areas) -> str:
    bbox, places = market_geography(market.country)
    grid = grid_for(market)
    if bbox is not None and areas:
        half_lat, half_lng = grid.dlat, grid.dlng
        bbox = (
            min(bbox[0], *(a.lat - half_lat for a in areas)),
            max(bbox[1], *(a.lat + half_lat for a in areas)),
            min(bbox[2], *(a.lng - half_lng for a in areas)),
            max(bbox[3], *(a.lng + half_lng for a in areas)),
        )
    return charts.area_map(
        areas,
        cell_deg=(grid.dlat, grid.dlng),
        places=places,
        bbox=bbox,
        cell_km=grid.km,
        chart_id="map-chart",
    )


# --- Charts and their tables -------------------------------------------------------------------


def _week(d: date) -> str:
    """3 Mar 2025, the month abbreviated in the active language."""
    return date_format(d, "j M Y")


def _month(d: date) -> str:
    return date_format(d, "M Y")


def _yes_no(value: bool) -> str:
    return gettext("yes") if value else gettext("no")


def funnel_section(weeks: list[metrics.WeekRow], fill_within: str) -> Section:
    table = Table(
        gettext("Weekly funnel"),
        (
            gettext("Week starting"),
            gettext("Posted"),
            gettext("Accepted"),
            gettext("Confirmed"),
            gettext("Fill rate within %(within)s") % {"within": fill_within},
        ),
        tuple(
            (
                _week(w.week_start),
                str(w.posted),
                str(w.accepted),
                str(w.confirmed),
                percent_text(w.fill_rate),
            )
            for w in weeks
        ),
    )
    return Section(
        "funnel",
        gettext("Weekly funnel"),
        charts.funnel_chart(weeks, fill_within=fill_within, chart_id="funnel-chart"),
        table,
        gettext(
            "Bars: requests posted, accepted by a helper, confirmed done (left axis). Line: the "
            "share of requests for a helper accepted within %(within)s (right axis)."
        )
        % {"within": fill_within},
    )


def area_section(market: Market, areas: list[metrics.AreaRow]) -> Section:
    grid = grid_for(market)
    rows = []
    for a in areas[:AREA_TABLE_ROWS]:
        ratio = gettext("no helpers") if not a.active_helpers else f"{a.demand_supply_ratio:.1f}"
        rows.append(
            (
                f"{a.cell[0]}:{a.cell[1]}",
                nearest_place(a.lat, a.lng, market.country) or "—",
                str(a.posted),
                str(a.active_helpers),
                ratio,
            )
        )
    note = ""
    if len(areas) > AREA_TABLE_ROWS:
        note = gettext("The %(shown)s busiest of %(count)s areas.") % {
            "shown": AREA_TABLE_ROWS,
            "count": len(areas),
        }
    table = Table(
        gettext("Demand and supply by area, busiest first"),
        (
            gettext("Area"),
            gettext("Nearest place"),
            gettext("Requests"),
            gettext("Active helpers in range"),
            gettext("Requests per helper"),
        ),
        tuple(rows),
        note,
    )
    return Section(
        "map",
        gettext("Demand and supply by area"),
        area_chart(market, areas),
        table,
        gettext(
            "One square per %(km)s km area with requests, coloured by requests for a helper per "
            "active helper whose radius covers it; darker means more demand per helper; hatched: "
            "no helper in range."
        )
        % {"km": grid.km},
    )


def break_even_section(m: Metrics, months: list[MonthRow], period) -> Section:
    """``period``: the forms' Period (first_day, last_day)."""
    money = functools.partial(format_money, currency=m.currency)
    table = Table(
        gettext("Confirmed jobs and money per month"),
        (
            gettext("Month"),
            gettext("Posted"),
            gettext("Confirmed"),
            gettext("Net revenue"),
            gettext("Margin per job"),
            gettext("Break-even that month"),
        ),
        tuple(
            (
                _month(r.month),
                str(r.posted),
                str(r.confirmed),
                money(r.net_revenue),
                "—" if r.margin_per_job is None else money(r.margin_per_job),
                gettext("none")
                if r.break_even_jobs is None
                else ngettext("%(count)s job", "%(count)s jobs", r.break_even_jobs)
                % {"count": r.break_even_jobs},
            )
            for r in months
        ),
        gettext("The dashed line is the break-even of the whole period. %(note)s.")
        % {"note": m.break_even_note},
    )
    return Section(
        "break-even",
        gettext("Confirmed jobs against break-even"),
        charts.break_even_chart(
            months,
            break_even=m.break_even_jobs_per_month,
            note=m.break_even_note,
            partial={r.month for r in months} - {r.month for r in complete_months(months, period)},
            chart_id="break-even-chart",
        ),
        table,
        gettext(
            "Bars: confirmed jobs per month. Dashed line: the jobs a month that cover the fixed "
            "cost at the period's margin per job."
        ),
    )


def choice_section(
    points: list[metrics.ChoicePoint], model: whatif.ChoiceModel, currency: str, marks
) -> Section:
    money = functools.partial(format_money, currency=currency)
    table = Table(
        gettext("Customers choosing the helper per quoted price"),
        (
            gettext("Price ratio"),
            gettext("Helper price"),
            gettext("Professional list price"),
            gettext("Installation free"),
            gettext("Quotes"),
            gettext("Chose the helper"),
            gettext("Share"),
        ),
        tuple(
            (
                f"{p.price_ratio:.2f}",
                money(p.price),
                money(p.professional_list_price),
                _yes_no(p.professional_install_free),
                str(p.quotes),
                str(p.chose_helper),
                percent_text(p.chose_helper / p.quotes),
            )
            for p in points
            if p.quotes
        ),
        fit_quality(model),
    )
    return Section(
        "choice",
        gettext("Helper choice against price ratio"),
        charts.choice_chart(points, model=model, marks=marks, chart_id="choice-chart"),
        table,
        gettext(
            "Dots: the share of customers who chose the helper at each quoted price pair (larger: "
            "more quotes). Curve: the logistic model the what-if uses."
        ),
    )
