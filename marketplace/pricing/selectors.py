"""Reads on prices."""

from django.db.models import QuerySet

from marketplace.core.errors import ValidationFailed
from marketplace.pricing.models import Market, PriceChange, ServiceCategory
from marketplace.pricing.services import share_half_up


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


def quote_choices(*, market: Market, start, end) -> list[dict]:
    """What customers were quoted and what they chose, per category, for requests posted in
    [start, end): requests, how many chose the helper or the professional at posting, the mean
    helper price and professional price they saw (minor units), and how many were told that
    professional installation was free. One aggregate query — the data the pilot's demand model
    and the price-ratio chart read."""
    from django.db.models import Count, Q, Sum

    from marketplace.jobs.models import JobRequest

    rows = (
        JobRequest.objects.filter(market=market, created_at__gte=start, created_at__lt=end)
        .values("category__slug")
        .annotate(
            requests=Count("id"),
            chose_helper=Count("id", filter=Q(choice="helper")),
            chose_professional=Count("id", filter=Q(choice="professional")),
            free_install=Count("id", filter=Q(professional_install_free=True)),
            helper_price_sum=Sum("price"),
            professional_price_sum=Sum("professional_price"),
        )
        .order_by("category__slug")
    )
    return [
        {
            "category": r["category__slug"],
            "requests": r["requests"],
            "chose_helper": r["chose_helper"],
            "chose_professional": r["chose_professional"],
            "free_install": r["free_install"],
            # Means rounded half up to the minor unit, the project's one rounding rule.
            "mean_helper_price": share_half_up(r["helper_price_sum"], 1, r["requests"]),
            "mean_professional_price": share_half_up(r["professional_price_sum"], 1, r["requests"]),
        }
        for r in rows
    ]
