"""Counts in words take the right plural form in every language (issue 12 item 15): the operator
economics page said "1 active helpers"; Polish has four forms (1 aktywny pomocnik, 2 aktywni
pomocnicy, 5 aktywnych pomocników, 1,5 aktywnego pomocnika)."""

import re
from collections import namedtuple
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from marketplace.economics import charts
from marketplace.economics.metrics import MonthRow, metrics
from marketplace.economics.scope import Scope
from marketplace.economics.verdict import diagnoses
from marketplace.jobs.services import job_post
from marketplace.supply.suggestions import Figures, _figures_text
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


# --- More counts (issue 12, the rest of item 15) -------------------------------------------------

MapArea = namedtuple("MapArea", "cell lat lng posted active_helpers demand_supply_ratio")


def _tips(svg: str) -> list[str]:
    return re.findall(r"<title>([^<]*)</title></rect>", svg)


def test_the_area_map_tooltips_count_requests_and_helpers():
    areas = [
        MapArea((0, 0), 47.0, 8.0, 1, 1, 1.0),
        MapArea((0, 1), 47.0, 8.1, 2, 5, 0.4),
        MapArea((0, 2), 47.0, 8.2, 1, 0, None),
    ]
    with translation.override("en"):
        tips = _tips(charts.area_map(areas, bbox=(46.5, 47.5, 7.5, 8.5)))
        assert "Area 0:0: 1 request, 1 helper, 1.0 requests per helper" in tips
        assert "Area 0:1: 2 requests, 5 helpers, 0.4 requests per helper" in tips
        assert "Area 0:2: 1 request, no helpers" in tips
    with translation.override("pl"):
        tips = " | ".join(_tips(charts.area_map(areas, bbox=(46.5, 47.5, 7.5, 8.5))))
        assert "1 zgłoszenie, 1 pomocnik" in tips
        assert "2 zgłoszenia, 5 pomocników" in tips
    with translation.override("de"):
        tips = " | ".join(_tips(charts.area_map(areas, bbox=(46.5, 47.5, 7.5, 8.5))))
        assert "1 Anfrage, 1 Helfer" in tips and "2 Anfragen, 5 Helfer" in tips


def _figures(requests: int) -> Figures:
    return Figures(
        areas=1, requests=requests, accepted=0, active_helpers=1, median_time_to_accept_s=None
    )


def test_the_suggestion_reason_counts_days_and_requests():
    with translation.override("en"):
        text = _figures_text(_figures(1), 1)
        assert "over the last day in 1 area (1 request," in text, text
        text = _figures_text(_figures(12), 28)
        assert "over the last 28 days in 1 area (12 requests," in text, text
    with translation.override("pl"):
        assert "; 1 zgłoszenie," in _figures_text(_figures(1), 28)
        assert "; 22 zgłoszenia," in _figures_text(_figures(22), 28)
        assert "; 25 zgłoszeń," in _figures_text(_figures(25), 28)
        assert "w ciągu ostatnich 28 dni" in _figures_text(_figures(25), 28)
        assert "w ciągu ostatniego dnia" in _figures_text(_figures(25), 1)


def test_the_supply_page_says_request_or_requests(client, ch, monkeypatch):
    from marketplace.supply import views as views_supply

    client.force_login(OperatorFactory(email="ola.supply@example.com", language="en"))
    html = client.get(reverse("operator:supply"), {"market": "ch"}).content.decode()
    assert f"(at least {views_supply.MIN_REQUESTS} requests)" in html
    monkeypatch.setattr(views_supply, "MIN_REQUESTS", 1)
    html = client.get(reverse("operator:supply"), {"market": "ch"}).content.decode()
    assert "(at least 1 request)" in html and "at least 1 requests" not in html
