"""Operator economics pages (DESIGN §7): "should this pilot go on, and at what price?"

The dashboard (filters, headline figures, four charts each with a table of the same figures, a
verdict in words), the what-if page, CSV exports and a one-page printable report. The figures
come from ``economics.metrics`` and ``economics.whatif``; this module only picks the scope from
the query string and words the results.
"""

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone

from marketplace.core.errors import DomainError
from marketplace.economics import charts, exports, metrics, whatif
from marketplace.economics.metrics import Metrics, MonthRow, Scope
from marketplace.helpers import geo
from marketplace.pricing.models import Market
from marketplace.supply.cells import grid_for
from marketplace.web.access import operator_required
from marketplace.web.forms_economics import (
    SCENARIO_FIELDS,
    EconomicsFilterForm,
    Period,
    WhatIfForm,
    WhatIfPickForm,
    duration_label,
)
from marketplace.web.templatetags.money import format_money
from marketplace.web.views_supply import duration_text, percent_text

# Thresholds of the verdict's diagnoses (documented on the page next to the verdict).
DEMAND_FLOOR = 1.0  # confirmed jobs per active helper per month below this: a demand problem
FILL_FLOOR = 0.5  # fill rate below this: a supply problem
CHOICE_FLOOR = 0.5  # share choosing the helper below this: a price problem
MAP_PLACES = 8  # largest gazetteer cities labelled on the map
AREA_TABLE_ROWS = 100


# --- Wording -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Verdict:
    pays: bool | None  # None: cannot tell (no requests) or mixed
    headline: str
    reasons: tuple[str, ...] = ()

    @property
    def tone(self) -> str:
        return {True: "good", False: "bad", None: "mixed"}[self.pays]


def _pct1(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _few(value: float) -> str:
    """0.24 → "0.2", 0.0066 → "0.0066": small rates keep two significant digits."""
    return f"{value:.1f}" if value >= 0.1 or value == 0 else f"{value:.2g}"


def _per_month(m: Metrics, value: float | None) -> float | None:
    return None if value is None or not m.months else value / m.months


def cards(m: Metrics, fill_within: str) -> list[Card]:
    money = functools.partial(format_money, currency=m.currency)
    jobs_per_helper = _per_month(m, m.jobs_per_active_helper)
    return [
        Card("Requests posted", str(m.posted), f"{m.helper_requests} asked for a helper"),
        Card("Fill rate", percent_text(m.fill_rate), f"accepted within {fill_within}"),
        Card(
            "Time to accept",
            f"{duration_text(m.median_accept_seconds)} median",
            f"p90 {duration_text(m.p90_accept_seconds)}",
        ),
        Card(
            "Utilisation",
            percent_text(m.utilisation),
            f"{m.helpers_with_confirmed_jobs} of {m.active_helpers} active helpers had a "
            "confirmed job",
        ),
        Card(
            "Jobs per active helper",
            "—" if m.jobs_per_active_helper is None else _few(m.jobs_per_active_helper),
            "" if jobs_per_helper is None else f"{_few(jobs_per_helper)} a month",
        ),
        Card("GMV", money(m.gmv), "captured, less refunds"),
        Card("Net revenue", money(m.net_revenue), "fees less fee refunds"),
        Card("Take rate", _pct1(m.take_rate), "net revenue ÷ GMV"),
        Card(
            "Margin per job",
            "—" if m.contribution_margin_per_job is None else money(m.contribution_margin_per_job),
            f"after {money(m.processing_costs)} estimated processing costs",
        ),
        Card(
            "Break-even",
            "none"
            if m.break_even_jobs_per_month is None
            else f"{m.break_even_jobs_per_month} jobs a month",
            ("" if m.break_even_jobs_per_month is not None else f"{m.break_even_note}. ")
            + f"Now {m.confirmed_per_month:.1f} confirmed a month; fixed cost "
            f"{money(m.fixed_cost_per_month)} a month.",
        ),
        Card(
            "NPS",
            "—" if m.nps is None else f"{m.nps:+.0f}",
            f"{m.nps_answers} answer{'s' if m.nps_answers != 1 else ''}",
        ),
        Card(
            "CSAT",
            "—" if m.csat is None else f"{m.csat:.1f} / 5",
            f"{m.csat_answers} rating{'s' if m.csat_answers != 1 else ''}",
        ),
        Card(
            "Price ratio",
            "—" if m.price_ratio is None else f"{m.price_ratio:.2f}",
            "helper ÷ professional list price, as quoted",
        ),
        Card("Chose the helper", percent_text(m.helper_choice_share), "of requests posted"),
        Card("Repeat rate", percent_text(m.repeat_rate), "customers with 2 or more requests"),
        Card(
            "Helper retention",
            percent_text(m.helper_retention),
            "confirmed jobs in both halves of the period",
        ),
    ]


def complete_months(rows: list[MonthRow], period: Period) -> list[MonthRow]:
    """The months wholly inside the period (a partial month would understate the pace)."""
    after_last = period.last_day + timedelta(days=1)
    return [
        r
        for r in rows
        if r.month >= period.first_day
        and (r.month.replace(day=28) + timedelta(days=4)).replace(day=1) <= after_last
    ]


def diagnoses(m: Metrics, fill_within: str, free_share: float = 0.0) -> tuple[str, ...]:
    found = []
    per_helper = _per_month(m, m.jobs_per_active_helper)
    if m.active_helpers == 0:
        found.append("Supply problem: there is no active helper.")
    elif per_helper is not None and per_helper < DEMAND_FLOOR:
        found.append(
            f"Demand problem: {_few(per_helper)} jobs per active helper per month "
            f"({m.active_helpers} active helpers, {m.confirmed_per_month:.1f} confirmed jobs a "
            "month)."
        )
    if m.fill_rate is not None and m.fill_rate < FILL_FLOOR:
        found.append(
            f"Supply problem: only {percent_text(m.fill_rate)} of requests for a helper were "
            f"accepted within {fill_within}."
        )
    if m.helper_choice_share is not None and m.helper_choice_share < CHOICE_FLOOR:
        ratio = "" if m.price_ratio is None else f" at a price ratio of {m.price_ratio:.2f}"
        free = ""
        if free_share:
            free = (
                f"; professional installation was free for {percent_text(free_share)} of the quotes"
            )
        found.append(
            f"Price problem: only {percent_text(m.helper_choice_share)} of customers chose the "
            f"helper{ratio}{free}."
        )
    if m.nps is not None and m.nps < 0:
        found.append(f"Quality problem: NPS is {m.nps:+.0f}.")
    return tuple(found)


def verdict(
    m: Metrics,
    months: list[MonthRow],
    period: Period,
    fill_within: str,
    free_share: float = 0.0,
) -> Verdict:
    """Does the pilot pay? In words, from break-even and the last (up to) three whole months;
    ``free_share``: the share of quotes where professional installation was free."""
    if m.posted == 0:
        return Verdict(None, "No requests in this period: there is nothing to judge yet.")
    reasons = diagnoses(m, fill_within, free_share)
    needed = m.break_even_jobs_per_month
    if needed is None:
        return Verdict(False, f"{m.break_even_note}.", reasons)
    recent = complete_months(months, period)[-3:]
    if not recent:  # less than a whole month: compare the pace
        pace = m.confirmed_per_month
        pays = pace >= needed
        return Verdict(
            pays,
            f"{'On pace to pay' if pays else 'Below break-even'}: {pace:.1f} confirmed jobs a "
            f"month against {needed} needed (less than one whole month in the period).",
            reasons,
        )
    span = "the last month" if len(recent) == 1 else f"the last {len(recent)} months"
    figures = ", ".join(str(r.confirmed) for r in recent)
    reached = [r for r in recent if r.confirmed >= needed]
    against = f"({figures} against {needed} a month)"
    if len(reached) == len(recent):
        above = "above" if all(r.confirmed > needed for r in recent) else "at or above"
        return Verdict(True, f"Confirmed jobs are {above} break-even in {span} {against}.", reasons)
    if reached:
        return Verdict(
            None,
            f"Not steady yet: confirmed jobs reached break-even in {len(reached)} of {span} "
            f"{against}.",
            reasons,
        )
    return Verdict(False, f"Confirmed jobs are below break-even in {span} {against}.", reasons)


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


def _week(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def funnel_section(weeks: list[metrics.WeekRow], fill_within: str) -> Section:
    table = Table(
        "Weekly funnel",
        ("Week starting", "Posted", "Accepted", "Confirmed", f"Fill rate within {fill_within}"),
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
        "Weekly funnel",
        charts.funnel_chart(weeks, fill_within=fill_within, chart_id="funnel-chart"),
        table,
        "Bars: requests posted, accepted by a helper, confirmed done (left axis). Line: the "
        f"share of requests for a helper accepted within {fill_within} (right axis).",
    )


def area_section(market: Market, areas: list[metrics.AreaRow]) -> Section:
    grid = grid_for(market)
    rows = []
    for a in areas[:AREA_TABLE_ROWS]:
        ratio = "no helpers" if not a.active_helpers else f"{a.demand_supply_ratio:.1f}"
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
        note = f"The {AREA_TABLE_ROWS} busiest of {len(areas)} areas."
    table = Table(
        "Demand and supply by area, busiest first",
        ("Area", "Nearest place", "Requests", "Active helpers in range", "Requests per helper"),
        tuple(rows),
        note,
    )
    return Section(
        "map",
        "Demand and supply by area",
        area_chart(market, areas),
        table,
        f"One square per {grid.km} km area with requests, coloured by requests for a helper "
        "per active helper whose radius covers it; darker means more demand per helper; hatched: "
        "no helper in range.",
    )


def break_even_section(m: Metrics, months: list[MonthRow], period: Period) -> Section:
    money = functools.partial(format_money, currency=m.currency)
    table = Table(
        "Confirmed jobs and money per month",
        ("Month", "Posted", "Confirmed", "Net revenue", "Margin per job", "Break-even that month"),
        tuple(
            (
                f"{r.month:%b %Y}",
                str(r.posted),
                str(r.confirmed),
                money(r.net_revenue),
                "—" if r.margin_per_job is None else money(r.margin_per_job),
                "none" if r.break_even_jobs is None else f"{r.break_even_jobs} jobs",
            )
            for r in months
        ),
        f"The dashed line is the break-even of the whole period: {m.break_even_note.lower()}.",
    )
    return Section(
        "break-even",
        "Confirmed jobs against break-even",
        charts.break_even_chart(
            months,
            break_even=m.break_even_jobs_per_month,
            note=m.break_even_note,
            partial={r.month for r in months} - {r.month for r in complete_months(months, period)},
            chart_id="break-even-chart",
        ),
        table,
        "Bars: confirmed jobs per month. Dashed line: the jobs a month that cover the fixed cost "
        "at the period's margin per job.",
    )


def choice_section(
    points: list[metrics.ChoicePoint], model: whatif.ChoiceModel, currency: str, marks
) -> Section:
    money = functools.partial(format_money, currency=currency)
    table = Table(
        "Customers choosing the helper per quoted price",
        (
            "Price ratio",
            "Helper price",
            "Professional list price",
            "Installation free",
            "Quotes",
            "Chose the helper",
            "Share",
        ),
        tuple(
            (
                f"{p.price_ratio:.2f}",
                money(p.price),
                money(p.professional_list_price),
                "yes" if p.professional_install_free else "no",
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
        "Helper choice against price ratio",
        charts.choice_chart(points, model=model, marks=marks, chart_id="choice-chart"),
        table,
        "Dots: the share of customers who chose the helper at each quoted price pair (larger: "
        "more quotes). Curve: the logistic model the what-if uses.",
    )


# --- Pages -------------------------------------------------------------------------------------


def scope_of(form: EconomicsFilterForm, period: Period) -> Scope:
    return Scope(
        market=form.cleaned_data["market"],
        start=period.start,
        end=period.end,
        category=form.cleaned_data["category"],
        fill_within=form.fill_within,
    )


def economics_context(request) -> dict:
    """Everything the dashboard and the report show, for the filters in the query string."""
    form = EconomicsFilterForm.from_query(request.GET)
    context: dict = {"form": form}
    if not form.is_valid():
        return context
    market = form.cleaned_data["market"]
    period = form.period(market)
    fill_within = duration_label(form.cleaned_data["fill_minutes"])
    scope = scope_of(form, period)
    m = metrics.metrics(scope)
    months = metrics.monthly(scope)
    points = metrics.choice_points(scope)
    quotes = sum(p.quotes for p in points)
    free_share = sum(p.quotes for p in points if p.professional_install_free) / (quotes or 1)
    model = whatif.fit_choice_model(market, period.start, period.end)
    marks = [("current", m.price_ratio)] if m.price_ratio is not None else []
    query = form.data.copy()
    query.pop("table", None)
    context.update(
        market=market,
        category=form.cleaned_data["category"],
        period=period,
        fill_within=fill_within,
        metrics=m,
        cards=cards(m, fill_within),
        verdict=verdict(m, months, period, fill_within, free_share),
        thresholds={"demand": DEMAND_FLOOR, "fill": FILL_FLOOR, "choice": CHOICE_FLOOR},
        model=model,
        sections=[
            funnel_section(metrics.weekly(scope), fill_within),
            area_section(market, metrics.by_area(scope)),
            break_even_section(m, months, period),
            choice_section(points, model, market.currency, marks),
        ],
        query=query.urlencode(),
        csv_tables=CSV_TABLES,
    )
    return context


@operator_required
def dashboard(request):
    return render(request, "operator/economics.html", economics_context(request))


@operator_required
def report(request):
    context = economics_context(request)
    if "market" in context:
        local = timezone.localtime(timezone.now(), ZoneInfo(context["market"].time_zone))
        context["generated"] = f"{local.day} {local:%b %Y, %H:%M}"
    return render(request, "operator/economics_report.html", context)


# --- What-if -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    label: str
    now: str
    then: str


def compare(current: whatif.Projection, scenario: whatif.Projection, currency: str):
    money = functools.partial(format_money, currency=currency)

    def maybe(value, fmt=money):
        return "none" if value is None else fmt(value)

    def rows(p: whatif.Projection) -> list[tuple[str, str]]:
        w = p.whatif
        return [
            ("Helper fee", money(w.helper_fee)),
            ("Commission", f"{w.commission_bps / 100:g} %"),
            ("Professional list price", money(w.professional_price)),
            ("Professional installation free", "yes" if w.professional_install_free else "no"),
            ("Price ratio (helper ÷ professional)", f"{p.price_ratio:.2f}"),
            ("Requests per month", f"{p.requests_per_month:.1f}"),
            ("Customers choosing the helper", _pct1(p.helper_share)),
            ("Helper jobs per month", f"{p.helper_jobs_per_month:.1f}"),
            ("Platform fee per job", money(p.fee_per_job)),
            ("Margin per job", maybe(p.margin_per_job)),
            ("Net revenue per month", money(p.net_revenue_per_month)),
            ("Fixed cost per month", money(w.fixed_cost_per_month)),
            ("Break-even", maybe(p.break_even_jobs_per_month, lambda n: f"{n} jobs a month")),
            ("Profit per month", money(p.profit_per_month)),
        ]

    return [
        Comparison(label, now, then)
        for (label, now), (_, then) in zip(rows(current), rows(scenario), strict=True)
    ]


def fit_quality(model: whatif.ChoiceModel) -> str:
    """The model's provenance in plain words."""
    r2 = "not defined" if model.pseudo_r2 is None else f"{model.pseudo_r2:.2f}"
    if model.source == "fitted":
        held = (
            f"; held at the prior value: {', '.join(model.held_at_prior)}"
            if model.held_at_prior
            else ""
        )
        return (
            f"Fitted on {model.n} quotes ({model.points} price pairs); McFadden pseudo-R² "
            f"{r2}{held}."
        )
    return (
        f"Not fitted: a prior guess is used, {model.source.removeprefix('prior ').strip('()')} "
        f"({model.n} quotes observed). Treat the projection as a placeholder."
    )


@operator_required
def whatif_page(request):
    pick = WhatIfPickForm.from_query(request.GET)
    context: dict = {"pick": pick}
    if not pick.is_valid():
        return render(request, "operator/economics_whatif.html", context)
    market = pick.cleaned_data["market"]
    category = pick.cleaned_data["category"]
    period = pick.period(market)
    window = {"start": period.start, "end": period.end}
    try:
        current = whatif.current_whatif(market, category, **window)
    except DomainError as exc:
        messages.error(request, exc.message)
        return render(request, "operator/economics_whatif.html", context)
    model = whatif.fit_choice_model(market, period.start, period.end)
    now = whatif.project(market, category, current, model=model, **window)
    typed = any(name in request.GET for name in SCENARIO_FIELDS)
    form = WhatIfForm(
        request.GET if typed else None, market=market, initial=WhatIfForm.initial_for(current)
    )
    scenario = None
    if typed and form.is_valid():
        try:
            scenario = whatif.project(
                market, category, whatif.WhatIf(**form.scenario()), model=model, **window
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
    shown = scenario or now
    marks = [("current", now.price_ratio)]
    if scenario is not None:
        marks.append(("what-if", scenario.price_ratio))
    context.update(
        form=form,
        market=market,
        category=category,
        period=period,
        model=model,
        fit_quality=fit_quality(model),
        current=now,
        scenario=scenario,
        comparison=compare(now, shown, market.currency),
        choice_svg=charts.choice_chart(
            metrics.choice_points(Scope(market=market, **window)),
            model=model,
            free_install=current.professional_install_free
            or shown.whatif.professional_install_free,
            marks=marks,
        ),
    )
    return render(request, "operator/economics_whatif.html", context)


# --- Exports -----------------------------------------------------------------------------------

CSV_TABLES = [
    ("metrics", "Headline figures"),
    ("weekly", "Weekly funnel"),
    ("monthly", "Months and break-even"),
    ("areas", "Demand and supply by area"),
    ("choice", "Choices per quoted price"),
]


def _plain_400(text: str) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")


@operator_required
def csv_export(request):
    """One table as a CSV attachment (``economics.exports``: minor units, rates 0..1)."""
    table = request.GET.get("table", "")
    if table not in exports.EXPORTS:
        return _plain_400(f"Unknown table; use one of: {', '.join(exports.EXPORTS)}.")
    form = EconomicsFilterForm.from_query(request.GET)
    if not form.is_valid():
        return _plain_400(
            "\n".join(
                f"{form.fields[name].label if name in form.fields else 'Filters'}: {error}"
                for name, errors in form.errors.items()
                for error in errors
            )
        )
    market = form.cleaned_data["market"]
    filename, text = exports.EXPORTS[table](scope_of(form, form.period(market)))
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
