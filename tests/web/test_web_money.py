import pytest
from django.template import Context, Template

from marketplace.web.templatetags.money import approx_km, format_money, money


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (6000, "CHF", "CHF 60.00"),
        (6000, "PLN", "60,00 zł"),
        (5, "CHF", "CHF 0.05"),
        (0, "PLN", "0,00 zł"),
        (123456, "CHF", "CHF 1'234.56"),
        (123456, "PLN", "1 234,56 zł"),
        (-1500, "CHF", "−CHF 15.00"),
        (1999, "EUR", "€19.99"),
        (1999, "usd", "19.99 USD"),
    ],
)
def test_format_money_per_currency(amount, currency, expected):
    assert format_money(amount, currency) == expected


def test_money_filter_renders_nothing_for_missing_or_bad_amounts():
    assert money(None, "CHF") == ""
    assert money("", "CHF") == ""
    assert money("abc", "CHF") == ""


def test_money_filter_works_in_templates():
    template = Template("{% load money %}{{ amount|money:currency }}")
    assert template.render(Context({"amount": 6000, "currency": "CHF"})) == "CHF 60.00"
    assert template.render(Context({"amount": 6000, "currency": "PLN"})) == "60,00 zł"


@pytest.mark.parametrize(
    ("km", "expected"), [(0.2, "under 1 km"), (1.4, "about 1 km"), (2.6, "about 3 km")]
)
def test_approx_km_rounds_to_whole_kilometres(km, expected):
    assert approx_km(km) == expected
