from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from marketplace.core.schemas import errors
from marketplace.pricing.models import Market, ServiceCategory
from marketplace.pricing.services import quote

router = Router(tags=["catalogue"])


class CategoryOut(Schema):
    slug: str
    name: str
    description: str
    typical_minutes: int


class MarketOut(Schema):
    code: str
    name: str
    country: str
    currency: str
    language: str
    time_zone: str


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
