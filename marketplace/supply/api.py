"""Operator API for supply/demand figures and fee suggestions (mounted at /api/operator/supply).

Operators only: customers and helpers get 403, anonymous callers 401. Bad parameters answer 422
with a message."""

from datetime import date
from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from pydantic import StrictInt

from marketplace.core.errors import ValidationFailed
from marketplace.core.schemas import InputSchema, errors, require_operator
from marketplace.pricing.models import PriceBookEntry
from marketplace.pricing.selectors import category_by_slug, market_by_code
from marketplace.supply import selectors, suggestions
from marketplace.supply.cells import Cell, grid_for
from marketplace.supply.selectors import MIN_REQUESTS, CellFigures
from marketplace.supply.services import fee_suggestion_apply

router = Router(tags=["supply"])

READ_ERRORS = errors(401, 403, 422)


class CellOut(Schema):
    cell: str = Field(description="Cell id 'y:x' on the market's grid of `cell_km` km")
    period_start: date | None = Field(description="Start of the day/week/month; null for totals")
    centre_lat: float
    centre_lng: float
    south: float
    north: float
    west: float
    east: float
    requests: int
    active_helpers: int
    demand_supply_ratio: float | None = Field(
        description="Requests ÷ active helpers; null when there are no helpers (see no_helpers)"
    )
    no_helpers: bool
    accepted: int
    fill_rate: float | None = Field(description="Accepted ÷ requests; null without requests")
    expired_jobs: int
    offers_sent: int
    offers_accepted: int
    offers_declined: int
    offers_expired: int
    offer_acceptance_rate: float | None
    median_time_to_accept_s: int | None
    p90_time_to_accept_s: int | None
    mean_time_to_accept_s: int | None


class SupplyOut(Schema):
    market: str
    category: str | None
    period: str
    start: date
    end: date = Field(description="Inclusive")
    cell_km: int
    refreshed_at: str | None = Field(description="When the figures were last recomputed")
    cells: list[CellOut]


class ImbalancesOut(Schema):
    market: str
    category: str | None
    start: date
    end: date
    cell_km: int
    min_requests: int
    undersupplied: list[CellOut]
    oversupplied: list[CellOut]


class FeeSuggestionOut(Schema):
    entry_id: int
    market: str
    category: str
    cell: str | None = Field(description="Null: the whole market")
    direction: Literal["raise", "lower", "keep"]
    currency: str
    current_fee: int
    suggested_fee: int
    lowest_fee: int = Field(description="The range an operator may apply")
    highest_fee: int
    professional_price: int
    professional_install_free: bool
    reason: str
    window_days: int
    areas: int
    requests: int
    accepted: int
    active_helpers: int
    demand_supply_ratio: float | None
    fill_rate: float | None
    median_time_to_accept_s: int | None


class FeeSuggestionApplyIn(InputSchema):
    entry_id: StrictInt = Field(description="The price-book entry, from GET …/suggestions")
    suggested_fee: StrictInt = Field(ge=0, description="Minor units; re-checked against the bounds")


class FeeSuggestionAppliedOut(Schema):
    entry_id: int
    market: str
    category: str
    previous_fee: int
    helper_fee: int
    reason: str
    changed_at: str


class SupplyQuery(Schema):
    market: str = Field(description="Market code, e.g. 'ch'")
    category: str = Field("", description="Category slug; empty for all")
    period: Literal["day", "week", "month"] = "week"
    start: date | None = None
    end: date | None = Field(None, description="Inclusive")
    cell: str = Field("", description="Only this cell ('y:x'): its time series")


class ImbalanceQuery(Schema):
    market: str
    category: str = ""
    start: date | None = None
    end: date | None = None
    limit: int = Field(10, ge=1, le=100)
    min_requests: int = Field(MIN_REQUESTS, ge=1, le=100_000)


class SuggestionQuery(Schema):
    market: str
    category: str = ""
    by_area: bool = False


def _cell(text: str) -> Cell | None:
    if not text:
        return None
    try:
        return Cell.parse(text)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None


def cell_out(row: CellFigures) -> dict:
    b = row.bounds
    return {
        "cell": row.cell.key,
        "period_start": row.period_start,
        "centre_lat": b.centre_lat,
        "centre_lng": b.centre_lng,
        "south": b.south,
        "north": b.north,
        "west": b.west,
        "east": b.east,
        "requests": row.requests,
        "active_helpers": row.active_helpers,
        "demand_supply_ratio": _round(row.ratio, 3),
        "no_helpers": row.no_helpers,
        "accepted": row.accepted,
        "fill_rate": _round(row.fill_rate, 4),
        "expired_jobs": row.expired_jobs,
        "offers_sent": row.offers_sent,
        "offers_accepted": row.offers_accepted,
        "offers_declined": row.offers_declined,
        "offers_expired": row.offers_expired,
        "offer_acceptance_rate": _round(row.offer_acceptance_rate, 4),
        "median_time_to_accept_s": row.median_time_to_accept_s,
        "p90_time_to_accept_s": row.p90_time_to_accept_s,
        "mean_time_to_accept_s": row.mean_time_to_accept_s,
    }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def suggestion_out(s: suggestions.FeeSuggestion) -> dict:
    f = s.figures
    return {
        "entry_id": s.entry_id,
        "market": s.market,
        "category": s.category,
        "cell": s.cell.key if s.cell else None,
        "direction": s.direction,
        "currency": s.currency,
        "current_fee": s.current_fee,
        "suggested_fee": s.suggested_fee,
        "lowest_fee": s.lowest,
        "highest_fee": s.highest,
        "professional_price": s.professional_price,
        "professional_install_free": s.professional_install_free,
        "reason": s.reason,
        "window_days": s.window_days,
        "areas": f.areas,
        "requests": f.requests,
        "accepted": f.accepted,
        "active_helpers": f.active_helpers,
        "demand_supply_ratio": _round(f.ratio, 3),
        "fill_rate": _round(f.fill_rate, 4),
        "median_time_to_accept_s": f.median_time_to_accept_s,
    }


@router.get("", response={200: SupplyOut, **READ_ERRORS})
def supply(request, params: Query[SupplyQuery]):
    """Figures per area cell and period (day, week from Monday, month) between start and end
    (default: the last few periods). With `cell`: that cell's time series."""
    require_operator(request)
    market = market_by_code(params.market)
    category = category_by_slug(params.category)
    window = selectors.resolve_window(
        market=market, period=params.period, start=params.start, end=params.end
    )
    rows = selectors.supply_demand(
        market=market,
        category=category,
        period=params.period,
        start=window.start,
        end=window.end,
        cell=_cell(params.cell),
    )
    last = selectors.last_refresh()
    return {
        "market": market.code,
        "category": category.slug if category else None,
        "period": params.period,
        "start": window.start,
        "end": window.end,
        "cell_km": grid_for(market).km,
        "refreshed_at": last.ran_at.isoformat() if last else None,
        "cells": [cell_out(r) for r in rows],
    }


@router.get("/imbalances", response={200: ImbalancesOut, **READ_ERRORS})
def imbalances(request, params: Query[ImbalanceQuery]):
    """The most under- and over-supplied cells over the window (default: the last 4 weeks),
    among cells with at least `min_requests` requests."""
    require_operator(request)
    market = market_by_code(params.market)
    category = category_by_slug(params.category)
    window = selectors.resolve_window(
        market=market, period="week", start=params.start, end=params.end
    )
    common = {
        "market": market,
        "category": category,
        "start": window.start,
        "end": window.end,
        "limit": params.limit,
        "min_requests": params.min_requests,
    }
    return {
        "market": market.code,
        "category": category.slug if category else None,
        "start": window.start,
        "end": window.end,
        "cell_km": grid_for(market).km,
        "min_requests": params.min_requests,
        "undersupplied": [cell_out(r) for r in selectors.most_undersupplied(**common)],
        "oversupplied": [cell_out(r) for r in selectors.most_oversupplied(**common)],
    }


@router.get("/fee-suggestions", response={200: list[FeeSuggestionOut], **READ_ERRORS})
def fee_suggestions(request, params: Query[SuggestionQuery]):
    """Demand-aware helper fee suggestions per category (per area cell with `by_area`) from the
    last 28 days; bounded by the price book and the professional price."""
    require_operator(request)
    market = market_by_code(params.market)
    rows = suggestions.fee_suggestions(
        market=market, category=category_by_slug(params.category), by_area=params.by_area
    )
    return [suggestion_out(s) for s in rows]


@router.post(
    "/fee-suggestions/apply",
    response={200: FeeSuggestionAppliedOut, **errors(400, 401, 403, 404, 422)},
)
def apply_fee_suggestion(request, payload: FeeSuggestionApplyIn):
    """Apply a suggested helper fee to a price-book entry. Checked again against the current
    figures: the fee must be the suggestion or lie within its bounds. Recorded in the price
    history with source "suggestion" and the suggestion's reason."""
    require_operator(request)
    entry = get_object_or_404(
        PriceBookEntry.objects.select_related("market", "category"), pk=payload.entry_id
    )
    previous = entry.helper_fee
    change = fee_suggestion_apply(
        entry=entry, suggested_fee=payload.suggested_fee, actor=request.auth
    )
    return {
        "entry_id": entry.pk,
        "market": entry.market.code,
        "category": entry.category.slug,
        "previous_fee": previous,
        "helper_fee": int(change.new_value),
        "reason": change.reason,
        "changed_at": change.changed_at.isoformat(),
    }
