"""Money and distance display. Amounts are integer minor units everywhere; the text comes from
marketplace.core.money.format_money (re-exported here for existing imports)."""

from django import template
from django.utils.translation import gettext

from marketplace.core.money import format_money

__all__ = ["approx_km", "format_money", "money"]

register = template.Library()


@register.filter
def money(amount, currency="") -> str:
    """`{{ job.price|money:job.currency }}`, or `{{ amount|money:market }}` to write it in the
    market's locale (`Market.money_locale`: a euro market in Germany reads "3.000,00 €" on every
    page; with a bare currency, EUR follows the page's language). Renders nothing for a missing
    amount."""
    if amount is None or amount == "":
        return ""
    locale = None
    if hasattr(currency, "currency"):
        locale = getattr(currency, "money_locale", None)
        currency = currency.currency
    try:
        return format_money(int(amount), currency, locale)
    except (TypeError, ValueError):
        return ""


@register.filter
def approx_km(distance_km) -> str:
    """A distance people can read without learning the exact point: "under 1 km", "about 3 km"."""
    if distance_km is None or distance_km == "":
        return ""
    try:
        km = float(distance_km)
    except (TypeError, ValueError):
        return ""
    if km < 1:
        return gettext("under 1 km")
    return gettext("about %(km)s km") % {"km": round(km)}
