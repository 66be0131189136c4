"""Counts in words take the right plural form in every language (issue 12 item 15): the operator
economics page said "1 active helpers"; Polish has four forms (1 aktywny pomocnik, 2 aktywni
pomocnicy, 5 aktywnych pomocników, 1,5 aktywnego pomocnika)."""

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from marketplace.economics import charts
from marketplace.economics.metrics import MonthRow, Scope, metrics
from marketplace.economics.verdict import diagnoses
from marketplace.jobs.services import job_post
from tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"


@pytest.fixture
def figures(ch):
    """Real (empty) figures of the CH market, with a quiet demand: a demand problem."""
    tz = ZoneInfo(ch.time_zone)
    first, last = date(2025, 1, 1), date(2025, 3, 31)
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    m = metrics(Scope(market=ch, start=start, end=end))
    return replace(
        m,
        posted=4,
        confirmed=1,
        months=1.0,
        confirmed_per_month=0.3,
        jobs_per_active_helper=0.5,
        fill_rate=None,
        helper_choice_share=None,
        nps=None,
    )


def _demand(m, helpers: int) -> str:
    [found] = diagnoses(replace(m, active_helpers=helpers), "1 h")  # the demand problem only
    return found


def test_one_active_helper_and_two_active_helpers(figures):
    with translation.override("en"):
        assert "(1 active helper, " in _demand(figures, 1)
        assert "(2 active helpers, " in _demand(figures, 2)
        assert "1 active helpers" not in _demand(figures, 1)


@pytest.mark.parametrize(
    ("helpers", "words"),
    [
        (1, "1 aktywny pomocnik,"),
        (2, "2 aktywni pomocnicy,"),
        (4, "4 aktywni pomocnicy,"),
        (5, "5 aktywnych pomocników,"),
        (12, "12 aktywnych pomocników,"),
        (22, "22 aktywni pomocnicy,"),
        (25, "25 aktywnych pomocników,"),
    ],
)
def test_the_polish_forms(figures, helpers, words):
    with translation.override("pl"):
        assert words in _demand(figures, helpers)


@pytest.mark.parametrize(
    ("lang", "one", "two"),
    [("de", "1 aktiver Helfer,", "2 aktive Helfer,"), ("fr", "1 aide actif,", "2 aides actifs,")],
)
def test_german_and_french(figures, lang, one, two):
    with translation.override(lang):
        assert one in _demand(figures, 1)
        assert two in _demand(figures, 2)


def test_the_economics_page_says_1_active_helper_then_2_active_helpers(
    client, alice, bob, router_wifi, olga
):
    job_post(customer=alice, category=router_wifi, description="Router drops", address=ADDRESS)
    client.force_login(olga)
    html = client.get(reverse("operator:economics"), {"market": "ch"}).content.decode()
    assert "(1 active helper, " in html
    assert "1 active helpers" not in html


def test_the_economics_page_with_two_helpers(client, alice, bob, carol, router_wifi, olga):
    job_post(customer=alice, category=router_wifi, description="Router drops", address=ADDRESS)
    client.force_login(olga)
    html = client.get(reverse("operator:economics"), {"market": "ch"}).content.decode()
    assert "(2 active helpers, " in html


def test_the_economics_page_in_polish(client, alice, bob, router_wifi):
    job_post(customer=alice, category=router_wifi, description="Router drops", address=ADDRESS)
    client.force_login(OperatorFactory(email="ola.operator@example.com", language="pl"))
    html = client.get(reverse("operator:economics"), {"market": "ch"}).content.decode()
    assert "(1 aktywny pomocnik, " in html


def test_the_break_even_bars_say_job_or_jobs():
    months = [
        MonthRow(month=datetime(2026, m, 1).date(), confirmed=n, net_revenue=0, break_even_jobs=10)
        for m, n in ((3, 1), (4, 2), (5, 5))
    ]
    with translation.override("en"):
        svg = charts.break_even_chart(months, break_even=10, chart_id="be")
        assert "Mar: 1 confirmed job</title>" in svg
        assert "Apr: 2 confirmed jobs</title>" in svg
    with translation.override("pl"):
        svg = charts.break_even_chart(months, break_even=10, chart_id="be")
        assert "1 potwierdzone zlecenie</title>" in svg
        assert "2 potwierdzone zlecenia</title>" in svg
        assert "5 potwierdzonych zleceń</title>" in svg
