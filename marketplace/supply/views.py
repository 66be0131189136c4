"""Operator supply/demand page: the most under- and over-supplied areas, one area over time, and
demand-aware fee suggestions with an Apply button (DESIGN §5)."""

import functools
from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from marketplace.core import geo
from marketplace.core.formatting import duration_text, percent_text
from marketplace.core.money import format_money
from marketplace.core.pages import attempt
from marketplace.pricing.models import Market, PriceBookEntry
from marketplace.security.access import operator_required
from marketplace.supply import selectors, suggestions
from marketplace.supply.cells import Cell, grid_for
from marketplace.supply.forms import SupplyFilterForm
from marketplace.supply.selectors import MIN_REQUESTS, CellFigures
from marketplace.supply.services import fee_suggestion_apply, supply_refresh

TOP_N = 10
# The nearest gazetteer locality is named only when it is this close to the cell's centre.
NEAREST_PLACE_KM = 15.0


@functools.lru_cache(maxsize=4096)
def nearest_place(lat: float, lng: float, country: str) -> str:
    """The nearest shipped GeoNames locality (offline, no network whatever GEOCODER says)."""
    location = geo.OfflineGazetteer().reverse(
        (lat, lng), max_distance_km=NEAREST_PLACE_KM, country_codes=[country]
    )
    if location is None:
        return ""
    name, city = location.raw.get("name") or "", location.raw.get("part_of") or ""
    return f"{name}, {city}" if city and city != name else name


@dataclass(frozen=True)
class CellRow:
    """A CellFigures as people read it."""

    figures: CellFigures
    place: str

    @property
    def key(self) -> str:
        return self.figures.cell.key

    @property
    def ratio(self) -> str:
        if self.figures.no_helpers:
            return "no helpers" if self.figures.requests else "—"
        return f"{self.figures.ratio:.1f}"

    @property
    def fill_rate(self) -> str:
        return percent_text(self.figures.fill_rate)

    @property
    def offer_acceptance(self) -> str:
        return percent_text(self.figures.offer_acceptance_rate)

    @property
    def median_wait(self) -> str:
        return duration_text(self.figures.median_time_to_accept_s)

    @property
    def p90_wait(self) -> str:
        return duration_text(self.figures.p90_time_to_accept_s)


def _rows(market: Market, figures: list[CellFigures]) -> list[CellRow]:
    return [
        CellRow(
            f,
            nearest_place(f.bounds.centre_lat, f.bounds.centre_lng, market.country),
        )
        for f in figures
    ]


def _form(request) -> SupplyFilterForm:
    data = request.GET.copy()
    if not data.get("market"):
        first = Market.objects.filter(is_active=True).order_by("name").first()
        data["market"] = first.code if first else ""
    data.setdefault("period", "week")
    return SupplyFilterForm(data)


@operator_required
def supply(request):
    form = _form(request)
    context = {"form": form, "min_requests": MIN_REQUESTS, "last_refresh": None}
    if form.is_valid():
        market = form.cleaned_data["market"]
        category = form.cleaned_data["category"]
        period = form.cleaned_data["period"]
        window = selectors.resolve_window(market=market, period=period)
        span = {"market": market, "category": category, "start": window.start, "end": window.end}
        cell = Cell.parse(form.cleaned_data["cell"]) if form.cleaned_data["cell"] else None
        series = []
        if cell is not None:
            series = selectors.supply_demand(
                market=market,
                category=category,
                period=period,
                cell=cell,
                start=window.start,
                end=window.end,
            )
        query = request.GET.copy()
        query.pop("cell", None)
        context.update(
            market=market,
            category=category,
            period=period,
            window=window,
            cell_km=grid_for(market).km,
            undersupplied=_rows(market, selectors.most_undersupplied(**span, limit=TOP_N)),
            oversupplied=_rows(market, selectors.most_oversupplied(**span, limit=TOP_N)),
            cell=cell,
            cell_place=(
                nearest_place(*grid_for(market).centre(cell), market.country) if cell else ""
            ),
            series=_rows(market, series),
            suggestions=[
                (
                    s,
                    format_money(s.current_fee, s.currency),
                    format_money(s.suggested_fee, s.currency),
                )
                for s in suggestions.fee_suggestions(market=market, category=category)
            ],
            filter_query=query.urlencode(),
            last_refresh=selectors.last_refresh(),
        )
    return render(request, "operator/supply.html", context)


def _back(request):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(reverse("operator:supply"))


@operator_required
@require_POST
def apply_suggestion(request):
    try:
        entry_id = int(request.POST.get("entry_id", ""))
        fee = int(request.POST.get("suggested_fee", ""))
    except ValueError:
        messages.error(
            request, gettext("That suggestion is not valid any more; here are the current ones.")
        )
        return _back(request)
    entry = get_object_or_404(
        PriceBookEntry.objects.select_related("market", "category"), pk=entry_id
    )
    attempt(
        request,
        lambda: fee_suggestion_apply(entry=entry, suggested_fee=fee, actor=request.user),
        success=gettext(
            "The helper fee for %(category)s in %(market)s is now %(fee)s (recorded in the "
            "price history)."
        )
        % {
            "category": entry.category.localized_name(),
            "market": entry.market.localized_name(),
            "fee": format_money(fee, entry.market.currency),
        },
    )
    return _back(request)


@operator_required
@require_POST
def refresh(request):
    run = supply_refresh()
    messages.success(
        request,
        ngettext(
            "Figures refreshed: %(days)s day recomputed in %(ms)s ms.",
            "Figures refreshed: %(days)s days recomputed in %(ms)s ms.",
            run.days_recomputed,
        )
        % {"days": run.days_recomputed, "ms": run.duration_ms},
    )
    return _back(request)
