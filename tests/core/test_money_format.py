"""Money per market locale (issue 12 item 14): a euro market in Germany reads "3.000,00 €", in
France "3 000,00 €", the Polish market "3 000,00 zł", the Swiss "CHF 3'000.00" and an English
page without a market "€3,000.00" (marketplace/core/money.py has the table)."""

import pytest
from django.template import Context, Template
from django.utils import translation

from marketplace.core.money import NBSP, NNBSP, format_money
from marketplace.pricing.models import Market


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (300000, "EUR", "de-DE", f"3.000,00{NBSP}€"),
        (300000, "EUR", "fr-FR", f"3{NNBSP}000,00{NBSP}€"),
        (300000, "EUR", "en", "€3,000.00"),
        (300000, "EUR", "en-IE", "€3,000.00"),
        (300000, "PLN", "pl-PL", "3 000,00 zł"),
        (300000, "CHF", "de-CH", "CHF 3'000.00"),
        (123456789, "EUR", "de-DE", f"1.234.567,89{NBSP}€"),
        (99, "EUR", "fr-FR", f"0,99{NBSP}€"),
        (-300000, "EUR", "de-DE", f"−3.000,00{NBSP}€"),
        (-5050, "CHF", "de-CH", "−CHF 50.50"),
        (300000, "CHF", "en", "CHF 3,000.00"),
    ],
)
def test_money_in_a_locale(amount, currency, locale, expected):
    assert format_money(amount, currency, locale) == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        # Same country, other language: the country's format (a Swiss market in English or
        # French still writes Swiss francs the Swiss way; a Polish market in English too).
        ("en-CH", "CHF 3'000.00"),
        ("fr-CH", "CHF 3'000.00"),
        ("de_ch", "CHF 3'000.00"),
    ],
)
def test_a_locale_without_an_entry_uses_its_country_then_its_language(locale, expected):
    assert format_money(300000, "CHF", locale) == expected
    assert format_money(300000, "PLN", "en-PL") == "3 000,00 zł"
    # Austria has no entry of its own: German conventions.
    assert format_money(300000, "EUR", "de-AT") == f"3.000,00{NBSP}€"
    # Italy in English (the site has no Italian): English conventions.
    assert format_money(300000, "EUR", "en-IT") == "€3,000.00"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("de", f"3.000,00{NBSP}€"),
        ("fr", f"3{NNBSP}000,00{NBSP}€"),
        ("pl", "3 000,00 €"),
        ("en", "€3,000.00"),
    ],
)
def test_euros_without_a_market_follow_the_page_language(lang, expected):
    with translation.override(lang):
        assert format_money(300000, "EUR") == expected


def test_chf_and_pln_without_a_market_do_not_follow_the_page_language():
    for lang in ("en", "pl", "de", "fr"):
        with translation.override(lang):
            assert format_money(300000, "CHF") == "CHF 3'000.00"
            assert format_money(300000, "PLN") == "3 000,00 zł"


def test_the_filter_takes_a_market_and_writes_in_its_locale():
    template = Template(
        "{% load money %}{% autoescape off %}{{ amount|money:market }}{% endautoescape %}"
    )
    germany = Market(code="de", name="Germany", country="DE", currency="EUR", language="de")
    france = Market(code="fr", name="France", country="FR", currency="EUR", language="fr")
    switzerland = Market(code="ch", name="Switzerland", country="CH", currency="CHF")
    assert germany.money_locale == "de-DE"
    with translation.override("en"):  # the page's language does not matter with a market
        assert template.render(Context({"amount": 300000, "market": germany})) == (
            f"3.000,00{NBSP}€"
        )
        assert template.render(Context({"amount": 300000, "market": france})) == (
            f"3{NNBSP}000,00{NBSP}€"
        )
        assert template.render(Context({"amount": 300000, "market": switzerland})) == (
            "CHF 3'000.00"
        )


def test_unknown_currencies_keep_their_code():
    assert format_money(1999, "usd") == "19.99 USD"
    with translation.override("de"):
        assert format_money(1999, "XYZ") == "19,99 XYZ"
