"""Reads on prices."""

from django.db.models import QuerySet

from marketplace.core.errors import ValidationFailed
from marketplace.pricing.models import Market, PriceChange, ServiceCategory


def market_by_code(code: str) -> Market:
    """The market with this code; an unknown code is bad input (422), not a 404."""
    market = Market.objects.filter(code=code).first()
    if market is None:
        raise ValidationFailed(f"Unknown market {code!r}")
    return market


def category_by_slug(slug: str) -> ServiceCategory | None:
    """The category with this slug, None for an empty slug (all categories); unknown → 422."""
    if not slug:
        return None
    category = ServiceCategory.objects.filter(slug=slug).first()
    if category is None:
        raise ValidationFailed(f"Unknown category {slug!r}")
    return category


def price_changes(
    *, market: Market | None = None, category: ServiceCategory | None = None
) -> QuerySet[PriceChange]:
    """The price history, newest first, optionally for one market and/or one category."""
    qs = PriceChange.objects.select_related("market", "entry__category", "changed_by")
    if market is not None:
        qs = qs.filter(market=market)
    if category is not None:
        qs = qs.filter(entry__category=category)
    return qs.order_by("-changed_at", "-id")
