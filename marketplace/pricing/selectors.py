"""Reads on prices."""

from django.db.models import QuerySet

from marketplace.pricing.models import Market, PriceChange, ServiceCategory


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
