"""Money and distance display. Amounts are integer minor units everywhere; this is the one place
that turns them into text."""

from django import template

register = template.Library()

# currency: (pattern, decimal separator, thousands separator). Every supported currency has two
# minor-unit digits. Unknown currencies fall back to "12.34 XYZ".
CURRENCY_FORMATS = {
    "CHF": ("CHF {}", ".", "'"),
    "PLN": ("{} zł", ",", " "),
    "EUR": ("€{}", ".", ","),
}


def format_money(amount: int, currency: str) -> str:
    """6000, "CHF" -> "CHF 60.00"; 6000, "PLN" -> "60,00 zł"; negative amounts get a minus."""
    pattern, decimal_sep, thousands_sep = CURRENCY_FORMATS.get(
        (currency or "").upper(), ("{} " + (currency or "").upper(), ".", ",")
    )
    major, minor = divmod(abs(int(amount)), 100)
    grouped = f"{major:,}".replace(",", thousands_sep)
    text = pattern.format(f"{grouped}{decimal_sep}{minor:02d}").strip()
    return f"−{text}" if amount < 0 else text


@register.filter
def money(amount, currency: str = "") -> str:
    """`{{ job.price|money:job.currency }}`. Renders nothing for a missing amount."""
    if amount is None or amount == "":
        return ""
    try:
        return format_money(int(amount), currency)
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
        return "under 1 km"
    return f"about {round(km)} km"
