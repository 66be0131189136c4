"""Money as text — the one place that turns integer minor units into a string for people.

Amounts are integers in minor units everywhere (grosze, rappen); no floats on the way. The format
follows the market's currency and its local conventions, whatever language the page is in: a
Polish price reads "1 234,50 zł" and a Swiss one "CHF 1'234.50" on an English page too, as on
invoices and receipts in that market."""

# currency: (pattern, decimal separator, thousands separator, minor-unit digits).
CURRENCY_FORMATS: dict[str, tuple[str, str, str, int]] = {
    "CHF": ("CHF {}", ".", "'", 2),  # Swiss: CHF 1'234.50
    "PLN": ("{} zł", ",", " ", 2),  # Polish: 1 234,50 zł
    "EUR": ("€{}", ".", ",", 2),
}
MINUS = "−"  # U+2212, as typeset


def format_money(amount: int, currency: str) -> str:
    """6000, "CHF" -> "CHF 60.00"; 123450, "PLN" -> "1 234,50 zł"; negatives get a minus sign.
    Unknown currencies read "12.34 XYZ"."""
    code = (currency or "").upper()
    pattern, decimal_sep, thousands_sep, digits = CURRENCY_FORMATS.get(
        code, ("{} " + code, ".", ",", 2)
    )
    amount = int(amount)
    major, minor = divmod(abs(amount), 10**digits)
    grouped = f"{major:,}".replace(",", thousands_sep)
    number = f"{grouped}{decimal_sep}{minor:0{digits}d}" if digits else grouped
    text = pattern.format(number).strip()
    return f"{MINUS}{text}" if amount < 0 else text
