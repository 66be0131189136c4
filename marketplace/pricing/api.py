import zoneinfo
from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from pydantic import StrictBool, StrictInt, field_validator

from marketplace.core.errors import ValidationFailed
from marketplace.core.schemas import MAX_OFFSET, InputSchema, errors, require_operator
from marketplace.pricing.bounds import ENTRY_BOUNDS, MARKET_BOUNDS, MAX_RADIUS_KM, Bound
from marketplace.pricing.models import Market, PriceBookEntry, PriceChange, ServiceCategory
from marketplace.pricing.selectors import price_changes
from marketplace.pricing.services import (
    ENTRY_EDITABLE,
    build_quote,
    market_update,
    price_entry_update,
    quote,
)

router = Router(tags=["pricing"])


NAME_DESCRIPTION = "English, the canonical name (stable: use it as data, e.g. to match rows)"
LOCALIZED_NAME_DESCRIPTION = (
    "The name in the request's language (Accept-Language: pl, de, fr, en), the English `name` "
    "when there is none; for showing to people"
)


class CategoryOut(Schema):
    slug: str
    name: str = Field(description=NAME_DESCRIPTION)
    localized_name: str = Field(description=LOCALIZED_NAME_DESCRIPTION)
    description: str
    typical_minutes: int

    @staticmethod
    def resolve_localized_name(obj: ServiceCategory) -> str:
        return obj.localized_name()


class MarketOut(Schema):
    code: str
    name: str = Field(description=NAME_DESCRIPTION)
    localized_name: str = Field(description=LOCALIZED_NAME_DESCRIPTION)
    country: str
    currency: str
    language: str
    time_zone: str

    @staticmethod
    def resolve_localized_name(obj: Market) -> str:
        return obj.localized_name()


class QuoteOut(Schema):
    market: str
    category: str
    currency: str
    helper_price: int
    professional_price: int
    professional_list_price: int
    professional_install_free: bool
    saving: int
    saving_percent: int
    platform_fee: int
    helper_payout: int


@router.get("/categories", auth=None, response=list[CategoryOut])
def categories(request):
    return list(ServiceCategory.objects.filter(is_active=True))


@router.get("/markets", auth=None, response=list[MarketOut])
def markets(request):
    return list(Market.objects.filter(is_active=True))


@router.get("/quote", auth=None, response={200: QuoteOut, **errors(404, 422)})
def get_quote(request, market: str, category: str):
    """The helper price next to the professional visit for the same job in that market."""
    m = get_object_or_404(Market, code=market, is_active=True)
    c = get_object_or_404(ServiceCategory, slug=category, is_active=True)
    q = quote(market=m, category=c)
    return {"market": m.code, "category": c.slug, **q.__dict__}


# --- operators: markets, the price book and its history ------------------------------------------
# Mounted at /api/operator (marketplace/api.py). Money is integer minor units of the market's
# currency; commission is basis points (2000 = 20 %). PATCH changes only the fields sent, needs a
# reason, and records one PriceChange per changed field (source "api").

operator_router = Router(tags=["pricing"])

OPERATOR_READ_ERRORS = errors(401, 403, 422)
OPERATOR_PATCH_ERRORS = errors(400, 401, 403, 404, 422)


def _market_by_code(code: str) -> Market:
    market = Market.objects.filter(code=code).first()
    if market is None:
        raise ValidationFailed(f"Unknown market: {code}", code="unknown_market")
    return market


def _category_by_slug(slug: str) -> ServiceCategory:
    category = ServiceCategory.objects.filter(slug=slug).first()
    if category is None:
        raise ValidationFailed(f"Unknown category: {slug}", code="unknown_category")
    return category


class OperatorMarketOut(Schema):
    id: int
    code: str
    name: str
    country: str
    currency: str
    language: str
    time_zone: str
    commission_bps: int = Field(description="Platform fee in basis points: 2000 = 20 %")
    fixed_cost_per_month: int
    cancellation_free_minutes: int
    cancellation_fee: int
    dispatch_k: int
    offer_deadline_minutes: int
    radius_steps_km: str
    max_radius_km: int
    is_active: bool


UNITS = {"minor": "minor units", "bps": "basis points", "minutes": "minutes", "km": "km", "": ""}


def _bounded(bounds: dict[str, Bound], name: str, description: str = ""):
    """An optional integer field with the range of pricing/bounds.py (shown in the OpenAPI
    schema as minimum/maximum)."""
    bound = bounds[name]
    unit = UNITS[bound.unit]
    text = f"{bound.low}–{bound.high}{' ' + unit if unit else ''}"
    return Field(
        None,
        ge=bound.low,
        le=bound.high,
        description=f"{description}; {text}" if description else text.capitalize(),
    )


class MarketPatchIn(InputSchema):
    """Only the fields sent are changed; none of them may be null."""

    reason: str = Field(min_length=1, max_length=300, description="Kept in the price history")
    commission_bps: StrictInt = _bounded(
        MARKET_BOUNDS, "commission_bps", "Basis points: 2000 = 20 %"
    )
    fixed_cost_per_month: StrictInt = _bounded(
        MARKET_BOUNDS, "fixed_cost_per_month", "Platform upkeep"
    )
    cancellation_free_minutes: StrictInt = _bounded(MARKET_BOUNDS, "cancellation_free_minutes")
    cancellation_fee: StrictInt = _bounded(MARKET_BOUNDS, "cancellation_fee")
    dispatch_k: StrictInt = _bounded(MARKET_BOUNDS, "dispatch_k", "Helpers offered a job at once")
    offer_deadline_minutes: StrictInt = _bounded(MARKET_BOUNDS, "offer_deadline_minutes")
    radius_steps_km: str = Field(
        None,
        max_length=64,
        description=f"Comma-separated km, each at most {MAX_RADIUS_KM}: 2,5,10,25",
    )
    max_radius_km: StrictInt = _bounded(MARKET_BOUNDS, "max_radius_km")
    language: str = Field(None, min_length=2, max_length=8)
    time_zone: str = Field(None, max_length=64, description="IANA name, e.g. Europe/Zurich")
    is_active: StrictBool = None

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        if value not in zoneinfo.available_timezones():
            raise ValueError("unknown time zone; use an IANA name like Europe/Zurich")
        return value


class EntryQuoteOut(Schema):
    helper_price: int
    professional_price: int
    professional_list_price: int
    professional_install_free: bool
    saving: int
    saving_percent: int
    platform_fee: int
    helper_payout: int


class PriceEntryOut(Schema):
    id: int
    market: str
    category: str
    category_name: str
    currency: str
    helper_fee: int
    min_helper_fee: int
    max_helper_fee: int
    pro_callout_fee: int
    pro_hourly_rate: int
    pro_expected_minutes: int
    pro_flat_price: int | None = Field(
        description="Replaces call-out + expected minutes × hourly rate when set"
    )
    pro_install_free: bool
    updated_at: datetime
    quote: EntryQuoteOut


class PriceEntryPatchIn(InputSchema):
    """Only the fields sent are changed. `pro_flat_price: null` removes the flat price; the other
    fields may not be null."""

    reason: str = Field(min_length=1, max_length=300, description="Kept in the price history")
    helper_fee: StrictInt = _bounded(ENTRY_BOUNDS, "helper_fee", "Between min and max helper fee")
    min_helper_fee: StrictInt = _bounded(ENTRY_BOUNDS, "min_helper_fee")
    max_helper_fee: StrictInt = _bounded(ENTRY_BOUNDS, "max_helper_fee")
    pro_callout_fee: StrictInt = _bounded(ENTRY_BOUNDS, "pro_callout_fee")
    pro_hourly_rate: StrictInt = _bounded(ENTRY_BOUNDS, "pro_hourly_rate", "Per hour")
    pro_expected_minutes: StrictInt = _bounded(ENTRY_BOUNDS, "pro_expected_minutes")
    pro_flat_price: StrictInt | None = _bounded(ENTRY_BOUNDS, "pro_flat_price", "null: calculated")
    pro_install_free: StrictBool = None


class PriceChangeOut(Schema):
    id: int
    market: str
    entry_id: int | None
    category: str | None = Field(description="Empty when a market setting changed")
    field: str
    old_value: str = Field(description="As stored: integers (minor units), true/false, text")
    new_value: str
    changed_by_id: int | None
    changed_by: str | None
    changed_at: datetime
    source: str = Field(description="web, api, admin, suggestion, seed or migration")
    reason: str


def entry_out(entry: PriceBookEntry) -> dict:
    q = build_quote(entry=entry, market=entry.market)
    return {
        "id": entry.pk,
        "market": entry.market.code,
        "category": entry.category.slug,
        "category_name": entry.category.localized_name(),
        "currency": entry.market.currency,
        **{name: getattr(entry, name) for name in ENTRY_EDITABLE},
        "updated_at": entry.updated_at,
        "quote": {k: v for k, v in q.__dict__.items() if k != "currency"},
    }


def change_out(change: PriceChange) -> dict:
    return {
        "id": change.pk,
        "market": change.market.code,
        "entry_id": change.entry_id,
        "category": change.entry.category.slug if change.entry else None,
        "field": change.field,
        "old_value": change.old_value,
        "new_value": change.new_value,
        "changed_by_id": change.changed_by_id,
        "changed_by": change.changed_by.display_name if change.changed_by else None,
        "changed_at": change.changed_at,
        "source": change.source,
        "reason": change.reason,
    }


def _changes(payload: Schema) -> tuple[str, dict]:
    data = payload.dict(exclude_unset=True)
    return data.pop("reason"), data


@operator_router.get("/markets", response={200: list[OperatorMarketOut], **OPERATOR_READ_ERRORS})
def operator_markets(request):
    """Every market with its settings, active or not."""
    require_operator(request)
    return list(Market.objects.order_by("name"))


@operator_router.patch(
    "/markets/{market_id}", response={200: OperatorMarketOut, **OPERATOR_PATCH_ERRORS}
)
def operator_market_update(request, market_id: int, payload: MarketPatchIn):
    require_operator(request)
    market = get_object_or_404(Market, pk=market_id)
    reason, changes = _changes(payload)
    return market_update(market=market, actor=request.auth, source="api", reason=reason, **changes)


@operator_router.get("/prices", response={200: list[PriceEntryOut], **OPERATOR_READ_ERRORS})
def operator_prices(request, market: str):
    """The price book of one market (`market` is its code, e.g. ch), with each entry's quote."""
    require_operator(request)
    m = _market_by_code(market)
    entries = m.price_book.select_related("market", "category").order_by("category__name")
    return [entry_out(e) for e in entries]


@operator_router.patch("/prices/{entry_id}", response={200: PriceEntryOut, **OPERATOR_PATCH_ERRORS})
def operator_price_update(request, entry_id: int, payload: PriceEntryPatchIn):
    require_operator(request)
    entry = get_object_or_404(PriceBookEntry, pk=entry_id)
    reason, changes = _changes(payload)
    entry = price_entry_update(
        entry=entry, actor=request.auth, source="api", reason=reason, **changes
    )
    return entry_out(PriceBookEntry.objects.select_related("market", "category").get(pk=entry.pk))


@operator_router.get("/price-changes", response={200: list[PriceChangeOut], **OPERATOR_READ_ERRORS})
def operator_price_changes(
    request,
    market: str | None = None,
    category: str | None = None,
    limit: int = 50,
    offset: int = 0,
):
    """The price history, newest first; filter by market code and category slug. Page with
    `limit` (1–200) and `offset`."""
    require_operator(request)
    qs = price_changes(
        market=_market_by_code(market) if market else None,
        category=_category_by_slug(category) if category else None,
    )
    limit = max(1, min(limit, 200))
    offset = max(0, min(offset, MAX_OFFSET))
    return [change_out(c) for c in qs[offset : offset + limit]]
