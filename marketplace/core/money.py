"""Money: the one rounding rule (`share_half_up`) and money as text, the one place that turns
integer minor units into a string for people.

Amounts are integers in minor units everywhere (grosze, rappen, cents); no floats on the way. The
format follows the *market's locale* (its language and country), as on invoices and receipts in
that market, whatever language the page is in:

=========  ====================  ====================================================
locale     3000.00 in …          separators (decimal, thousands) and pattern
=========  ====================  ====================================================
de-CH      ``CHF 3'000.00``      ``.``  ``'`` (ASCII apostrophe), symbol first
de-DE      ``3.000,00 €``        ``,``  ``.``, symbol after a no-break space
fr-FR      ``3 000,00 €``        ``,``  narrow no-break space (U+202F) as CLDR, symbol after
                                 a no-break space (U+00A0)
pl-PL      ``3 000,00 zł``       ``,``  plain space, symbol after a plain space
en         ``€3,000.00``         ``.``  ``,``, a sign (€ £ $) glued before the number, a
                                 code (CHF) before it with a space
=========  ====================  ====================================================

Departures from CLDR, kept on purpose: de-CH groups with the ASCII apostrophe (CLDR has U+2019;
the ASCII one is what the pilot's Swiss invoices and forms use, and the operator forms read it
back) and pl-PL with a plain space (CLDR has U+00A0); both are what existing pages, tests and
e-mails show. Polish and Spanish CLDR data do not group four-digit numbers
(minimumGroupingDigits 2); here every number of four digits or more is grouped.

Which locale:

* ``format_money(amount, currency, locale="de-DE")`` — a market passes ``Market.money_locale``
  (``language-country``). An exact entry wins; else the entry of the same country (a Swiss
  market in English still writes ``CHF 3'000.00``); else that of the language; else English.
* Without a locale, a currency of one country uses that country's format (CHF: de-CH, PLN:
  pl-PL) on every page; a currency of several countries (EUR) or an unknown one uses the active
  language's format (a German page: ``3.000,00 €``, an English one: ``€3,000.00``), the best
  guess when the market is not known.
"""

from dataclasses import dataclass

from django.utils import translation

NBSP = "\u00a0"
NNBSP = "\u202f"  # narrow no-break space, the French thousands separator in CLDR
MINUS = "−"  # U+2212, as typeset


@dataclass(frozen=True)
class LocaleFormat:
    decimal: str
    group: str
    # "{s}" the currency symbol, "{n}" the number; `sign_pattern` is used when the symbol is a
    # sign (€, £, $) rather than letters (CHF, zł, USD), where the two differ.
    pattern: str
    sign_pattern: str | None = None

    def render(self, number: str, symbol: str) -> str:
        is_sign = not any(ch.isalpha() for ch in symbol)
        pattern = self.sign_pattern if is_sign and self.sign_pattern else self.pattern
        return pattern.format(s=symbol, n=number)


LOCALE_FORMATS: dict[str, LocaleFormat] = {
    "en": LocaleFormat(".", ",", "{s} {n}", sign_pattern="{s}{n}"),
    "de-DE": LocaleFormat(",", ".", "{n}" + NBSP + "{s}"),
    "de-CH": LocaleFormat(".", "'", "{s} {n}"),
    "fr-FR": LocaleFormat(",", NNBSP, "{n}" + NBSP + "{s}"),
    "pl-PL": LocaleFormat(",", " ", "{n} {s}"),
}
# The locale a bare language means (a page in German, a market whose country has no entry).
LANGUAGE_LOCALES = {"en": "en", "de": "de-DE", "fr": "fr-FR", "pl": "pl-PL"}
# Currencies of one country: their format does not depend on the page.
CURRENCY_LOCALES = {"CHF": "de-CH", "PLN": "pl-PL"}
SYMBOLS = {"CHF": "CHF", "PLN": "zł", "EUR": "€", "GBP": "£"}
MINOR_DIGITS = 2  # every supported currency has two minor-unit digits


def _normalise(locale: str) -> tuple[str, str]:
    language, _, country = (locale or "").replace("_", "-").partition("-")
    return language.lower(), country.upper()


def resolve_locale(currency: str, locale: str | None = None) -> str:
    """The key of LOCALE_FORMATS for `currency` in `locale` (see the module docstring)."""
    if locale:
        language, country = _normalise(locale)
        exact = f"{language}-{country}"
        if exact in LOCALE_FORMATS:
            return exact
        for key in LOCALE_FORMATS:
            if country and key.endswith(f"-{country}"):
                return key
        return LANGUAGE_LOCALES.get(language, "en")
    code = (currency or "").upper()
    if code in CURRENCY_LOCALES:
        return CURRENCY_LOCALES[code]
    language, _country = _normalise(translation.get_language() or "en")
    return LANGUAGE_LOCALES.get(language, "en")


def format_money(amount: int, currency: str, locale: str | None = None) -> str:
    """6000, "CHF" → "CHF 60.00"; 123450, "PLN" → "1 234,50 zł"; 300000, "EUR", "de-DE" →
    "3.000,00 €" (no-break space); negatives get a minus sign in front. Unknown currencies are
    written with their code: "12.34 XYZ" in English."""
    code = (currency or "").upper()
    fmt = LOCALE_FORMATS[resolve_locale(code, locale)]
    symbol = SYMBOLS.get(code, code)
    amount = int(amount)
    major, minor = divmod(abs(amount), 10**MINOR_DIGITS)
    grouped = f"{major:,}".replace(",", fmt.group)
    number = f"{grouped}{fmt.decimal}{minor:0{MINOR_DIGITS}d}"
    text = fmt.render(number, symbol) if code in SYMBOLS else f"{number} {code}".strip()
    return f"{MINUS}{text}" if amount < 0 else text


def share_half_up(amount: int, numerator: int, denominator: int) -> int:
    """amount × numerator ÷ denominator rounded half up, in integers (no floats, no Decimal)."""
    if amount < 0 or numerator < 0 or denominator <= 0:
        raise ValueError("share_half_up takes non-negative amounts and a positive denominator")
    return (amount * numerator * 2 + denominator) // (2 * denominator)
