"""Operator API for the pilot's economics (DESIGN §7), mounted at /api/operator/economics.

Operators only: customers and helpers get 403, anonymous callers 401. Bad parameters answer
422 with a message. Every read takes the same scope parameters: ``market`` (code), ``start`` and
``end`` (dates in the market's time zone, both inclusive; default: the last ``period`` — 7, 30,
91 or 365 days up to today), ``category`` (slug), ``cell`` ('y:x' on the supply grid) and
``fill_within_minutes`` (T of the fill rate). The figures and their definitions are those of
``marketplace.economics.metrics``; output fields mirror its dataclasses one to one.
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from ninja import Field, Query, Router, Schema
from pydantic import StrictBool, StrictInt, create_model

from marketplace.core.errors import ValidationFailed
from marketplace.core.schemas import InputSchema, errors, require_operator
from marketplace.economics import metrics as m
from marketplace.economics import whatif as w
from marketplace.pricing.selectors import category_by_slug, market_by_code
from marketplace.supply.cells import Cell
from marketplace.supply.selectors import market_today

router = Router(tags=["economics"])

READ_ERRORS = errors(401, 403, 422)
PERIOD_DAYS = {"week": 7, "month": 30, "quarter": 91, "year": 365}
MAX_RANGE_DAYS = 3 * 366


def _schema(dataclass: type, name: str, **extra) -> type[Schema]:
    """An output schema with exactly the dataclass's fields (and types), plus `extra`."""
    hints = typing.get_type_hints(dataclass)
    fields = {f.name: (hints[f.name], ...) for f in dataclasses.fields(dataclass)}
    return create_model(name, __base__=Schema, **{**fields, **extra})


class ScopeOut(Schema):
    market: str
    currency: str
    category: str | None
    cell: str | None
    start: date
    end: date = Field(description="Inclusive")
    fill_within_minutes: int


ChoiceModelOut = _schema(w.ChoiceModel, "ChoiceModelOut")
WhatIfOut = _schema(w.WhatIf, "WhatIfOut")
MetricsOut = _schema(m.Metrics, "MetricsOut", scope=(ScopeOut, ...))
WeekOut = _schema(m.WeekRow, "WeekOut")
MonthOut = _schema(m.MonthRow, "MonthOut")
AreaOut = _schema(m.AreaRow, "AreaOut", cell_key=(str, ...))
ChoicePointOut = _schema(m.ChoicePoint, "ChoicePointOut")


class WeeklyOut(Schema):
    scope: ScopeOut
    weeks: list[WeekOut]


class MonthlyOut(Schema):
    scope: ScopeOut
    months: list[MonthOut]


class AreasOut(Schema):
    scope: ScopeOut
    cell_km: int
    areas: list[AreaOut]


class ChoiceOut(Schema):
    scope: ScopeOut
    points: list[ChoicePointOut]
    model: ChoiceModelOut


ProjectionOut = _schema(
    w.Projection,
    "ProjectionOut",
    model=(ChoiceModelOut, ...),
    whatif=(WhatIfOut, ...),
    current=(WhatIfOut, ...),
    scope=(ScopeOut, ...),
)


class ScopeQuery(Schema):
    market: str = Field(description="Market code, e.g. 'ch'")
    start: date | None = Field(None, description="First day, market time zone")
    end: date | None = Field(None, description="Last day (inclusive), market time zone")
    category: str = Field("", description="Category slug; empty for all")
    cell: str = Field("", description="Only this supply grid cell ('y:x')")
    period: Literal["week", "month", "quarter", "year"] = Field(
        "month", description="Without start/end: the last 7, 30, 91 or 365 days, today included"
    )
    fill_within_minutes: int = Field(60, ge=1, le=7 * 24 * 60, description="T of the fill rate")


class WhatIfQuery(ScopeQuery):
    period: Literal["week", "month", "quarter", "year"] = Field(
        "quarter", description="Observed window without start/end (default the last 91 days)"
    )


class WhatIfIn(InputSchema):
    """Only what changes; the rest stays at today's values (the category's price book, or the
    mean recent quote without a category)."""

    helper_fee: StrictInt | None = Field(None, gt=0, description="Minor units")
    commission_bps: StrictInt | None = Field(None, ge=0, le=10_000)
    professional_price: StrictInt | None = Field(
        None, gt=0, description="The technician's list price, before any free installation"
    )
    fixed_cost_per_month: StrictInt | None = Field(None, ge=0)
    professional_install_free: StrictBool | None = None


# --- Translating parameters ----------------------------------------------------------------


def scope_from(params: ScopeQuery) -> m.Scope:
    """The Scope of a query: local dates, `end` inclusive, turned into [start, end)."""
    market = market_by_code(params.market)
    category = category_by_slug(params.category)
    cell = None
    if params.cell:
        try:
            parsed = Cell.parse(params.cell)
        except ValueError as exc:
            raise ValidationFailed(str(exc)) from None
        cell = (parsed.y, parsed.x)
    days = PERIOD_DAYS[params.period]
    end = params.end or (
        params.start + timedelta(days=days - 1) if params.start else market_today(market)
    )
    start = params.start or end - timedelta(days=days - 1)
    if start > end:
        raise ValidationFailed("start must not be after end")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ValidationFailed(f"The date range can be at most {MAX_RANGE_DAYS} days")
    tz = ZoneInfo(market.time_zone)
    return m.Scope(
        market=market,
        start=datetime.combine(start, time.min, tzinfo=tz),
        end=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
        category=category,
        cell=cell,
        fill_within=timedelta(minutes=params.fill_within_minutes),
    )


def scope_out(scope: m.Scope) -> dict:
    return {
        "market": scope.market.code,
        "currency": scope.market.currency,
        "category": scope.category.slug if scope.category else None,
        "cell": f"{scope.cell[0]}:{scope.cell[1]}" if scope.cell else None,
        "start": scope.start.astimezone(scope.tz).date(),
        "end": (scope.end.astimezone(scope.tz) - timedelta(days=1)).date(),
        "fill_within_minutes": int(scope.fill_within.total_seconds() // 60),
    }


def _dict(obj) -> dict:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def _area(row: m.AreaRow) -> dict:
    return {**_dict(row), "cell_key": f"{row.cell[0]}:{row.cell[1]}"}


# --- Operations --------------------------------------------------------------------------------


@router.get("/metrics", response={200: MetricsOut, **READ_ERRORS})
def get_metrics(request, params: Query[ScopeQuery]):
    """Every figure of the scope: funnel, fill rate, time to accept, supply, money, margin and
    break-even, loyalty, NPS/CSAT, price ratio and helper choice share."""
    require_operator(request)
    scope = scope_from(params)
    return {**_dict(m.metrics(scope)), "scope": scope_out(scope)}


@router.get("/weekly", response={200: WeeklyOut, **READ_ERRORS})
def get_weekly(request, params: Query[ScopeQuery]):
    """The funnel per week (from Monday), with the fill rate."""
    require_operator(request)
    scope = scope_from(params)
    return {"scope": scope_out(scope), "weeks": [_dict(r) for r in m.weekly(scope)]}


@router.get("/monthly", response={200: MonthlyOut, **READ_ERRORS})
def get_monthly(request, params: Query[ScopeQuery]):
    """Confirmed jobs, net revenue, margin and break-even per month."""
    require_operator(request)
    scope = scope_from(params)
    return {"scope": scope_out(scope), "months": [_dict(r) for r in m.monthly(scope)]}


@router.get("/areas", response={200: AreasOut, **READ_ERRORS})
def get_areas(request, params: Query[ScopeQuery]):
    """Requests against active helpers per supply grid cell, busiest first."""
    require_operator(request)
    scope = scope_from(params)
    return {
        "scope": scope_out(scope),
        "cell_km": scope.grid.km,
        "areas": [_area(r) for r in m.by_area(scope)],
    }


@router.get("/choice", response={200: ChoiceOut, **READ_ERRORS})
def get_choice(request, params: Query[ScopeQuery]):
    """What customers chose at each quoted price ratio, and the choice model fitted on these
    points (the prior when there are fewer than 30 quotes)."""
    require_operator(request)
    scope = scope_from(params)
    points = m.choice_points(scope)
    return {
        "scope": scope_out(scope),
        "points": [_dict(p) for p in points],
        "model": _dict(w.fit_points(points)),
    }


@router.post("/whatif", response={200: ProjectionOut, **errors(400, 401, 403, 422)})
def post_whatif(request, params: Query[WhatIfQuery], payload: WhatIfIn | None = None):
    """Projected helper demand, revenue, margin and break-even per month if prices changed.
    Observations (requests per month, completion, refunds, the choice model) come from the
    scope's window; fields left out of the body keep today's values."""
    require_operator(request)
    scope = scope_from(params)
    if scope.cell is not None:
        raise ValidationFailed("The what-if is per market and category, not per cell")
    current = w.current_whatif(scope.market, scope.category, start=scope.start, end=scope.end)
    changes = payload.dict() if payload is not None else {}
    what = w.with_changes(current, **changes)
    projection = w.project(scope.market, scope.category, what, start=scope.start, end=scope.end)
    return {
        **_dict(projection),
        "model": _dict(projection.model),
        "whatif": _dict(what),
        "current": _dict(current),
        "scope": scope_out(scope),
    }
