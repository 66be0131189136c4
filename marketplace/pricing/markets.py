"""Opening a market for a new country (issue 12 item 11).

A market is a country the pilot runs in. The country's locale comes from the offline gazetteer
(`marketplace/core/data/countries.csv`, GeoNames): its currency, its main language (one the
site speaks, else English) and the time zone of its largest city. Commission, cancellation and
dispatch settings and the whole price book are copied from a template market the operator
chooses, as numbers: amounts are not converted between currencies, so the operator reviews them
on the price pages afterwards. Everything is validated with the models' `full_clean()` (the
ranges of pricing/bounds.py) and recorded in the price history (PriceChange, one row per field
set, `old_value` empty), with who opened the market and from which template.
"""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace.core import geo
from marketplace.core.errors import ValidationFailed
from marketplace.pricing.models import Market, PriceBookEntry, PriceChange
from marketplace.pricing.services import ENTRY_EDITABLE, history_text

# Copied from the template market (money as numbers, in the new market's currency).
COPIED_MARKET_FIELDS = (
    "commission_bps",
    "cancellation_free_minutes",
    "cancellation_fee",
    "dispatch_k",
    "offer_deadline_minutes",
    "radius_steps_km",
    "max_radius_km",
)
# Recorded in the history for the new market (fixed_cost_per_month starts at the model default:
# the platform upkeep of one country says nothing about another's).
RECORDED_MARKET_FIELDS = (
    "country",
    "currency",
    "language",
    "time_zone",
    "fixed_cost_per_month",
    *COPIED_MARKET_FIELDS,
    "is_active",
)


def site_language(country: geo.Country) -> str:
    """The country's main language if the site is translated into it (Austria: de), else
    English (Italy, Belgium: nl). Operators can change it on the market's settings page."""
    spoken = {code for code, _name in settings.LANGUAGES}
    main = country.languages[0] if country.languages else ""
    return main if main in spoken else "en"


def countries_without_market() -> list[geo.Country]:
    """The gazetteer's countries that no market (active or not) covers yet, by name."""
    taken = set(Market.objects.values_list("country", flat=True))
    return sorted(
        (c for c in geo.countries().values() if c.code not in taken), key=lambda c: c.name
    )


def market_defaults(country: geo.Country) -> dict:
    """The locale fields of a new market for `country`."""
    time_zone = country.time_zone
    if time_zone not in zoneinfo.available_timezones():
        time_zone = Market._meta.get_field("time_zone").default
    return {
        "code": country.code.lower(),
        "name": country.name,
        "country": country.code,
        "currency": country.currency,
        "language": site_language(country),
        "time_zone": time_zone,
    }


def _clean(obj) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise ValidationFailed(
            "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        ) from None


@transaction.atomic
def market_open(
    *,
    country: str,
    template: Market,
    actor,
    is_active: bool = True,
    source: str = "web",
    reason: str = "",
    now=None,
) -> Market:
    """Open a market for `country` (ISO code), its settings and price book copied from
    `template`. Refused (ValidationFailed) for a country the gazetteer does not cover, or one
    a market already covers."""
    now = now or timezone.now()
    code = (country or "").strip().upper()
    info = geo.countries().get(code)
    if info is None:
        raise ValidationFailed("Choose a country from the list", code="unknown_country")
    # Serialise openings: two operators opening the same country at once cannot both pass.
    template = Market.objects.select_for_update().get(pk=template.pk)
    if Market.objects.filter(country=code).exists():
        raise ValidationFailed(f"There is already a market for {info.name}", code="market_exists")
    fields = market_defaults(info)
    if Market.objects.filter(code=fields["code"]).exists():
        raise ValidationFailed(f"The market code {fields['code']!r} is taken", code="market_exists")
    market = Market(
        **fields,
        **{name: getattr(template, name) for name in COPIED_MARKET_FIELDS},
        is_active=is_active,
    )
    _clean(market)
    try:
        with transaction.atomic():
            market.save()
    except IntegrityError:
        raise ValidationFailed(
            f"There is already a market for {info.name}", code="market_exists"
        ) from None

    reason = (reason or f"Market opened, settings and prices copied from {template.name}")[:300]

    def opened(entry, obj, name) -> PriceChange:
        return PriceChange(
            market=market,
            entry=entry,
            field=name,
            old_value="",
            new_value=history_text(getattr(obj, name)),
            changed_by=actor,
            changed_at=now,
            source=source,
            reason=reason,
        )

    changes = [opened(None, market, name) for name in RECORDED_MARKET_FIELDS]
    entries = []
    for src in template.price_book.select_related("category").order_by("category__name"):
        entry = PriceBookEntry(
            market=market,
            category=src.category,
            **{name: getattr(src, name) for name in ENTRY_EDITABLE},
        )
        _clean(entry)
        entries.append(entry)
    for entry in entries:
        entry.save()
        changes.extend(opened(entry, entry, name) for name in ENTRY_EDITABLE)
    PriceChange.objects.bulk_create(changes)
    return market
