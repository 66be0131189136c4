"""The operator economics pages (DESIGN §7): who may open them, the filters (never a 500), the
verdict in words for a pilot that pays and one that does not, the what-if form, the CSV
downloads and the printable report."""

import csv
import io
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.economics.forms import Period
from marketplace.economics.metrics import MonthRow, metrics
from marketplace.economics.scope import Scope
from marketplace.economics.verdict import diagnoses, verdict
from marketplace.jobs.services import (
    job_accept,
    job_check_in,
    job_complete,
    job_confirm,
    job_post,
    review_create,
)
from marketplace.pricing.services import market_update
from marketplace.supply.selectors import market_today
from tests.factories import ZURICH, helper_profile

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"
PAGES = {
    "economics": "/operator/economics/",
    "economics_whatif": "/operator/economics/what-if/",
    "economics_csv": "/operator/economics/export.csv",
    "economics_report": "/operator/economics/report/",
}


def months_back(market, n: int) -> list[date]:
    """The first days of the n whole months before the current one, oldest first."""
    first = market_today(market).replace(day=1)
    months = []
    for _ in range(n):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(first)
    return months[::-1]


def last_day_of(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


@pytest.fixture
def pilot(ch, router_wifi, alice, bob, carol, django_capture_on_commit_callbacks):
    """Two confirmed, paid and reviewed helper jobs in each of the last three whole months."""
    tz = ZoneInfo(ch.time_zone)
    months = months_back(ch, 3)
    for month in months:
        for hour in (9, 14):
            t = datetime.combine(month + timedelta(days=9), time(hour), tzinfo=tz)
            with django_capture_on_commit_callbacks(execute=True):
                job = job_post(
                    customer=alice,
                    category=router_wifi,
                    description="Please set up my new router",
                    address=ADDRESS,
                    now=t,
                )
                job = job_accept(job=job, helper=bob, now=t + timedelta(minutes=5))
                job = job_check_in(job=job, helper=bob, now=t + timedelta(hours=1))
                job = job_complete(job=job, helper=bob, note="Works", now=t + timedelta(hours=2))
                job = job_confirm(job=job, actor=alice, now=t + timedelta(hours=3))
            review_create(job=job, author=alice, rating=5, nps=10)
    return {
        "market": "ch",
        "preset": "custom",
        "start": months[0].isoformat(),
        "end": last_day_of(months[-1]).isoformat(),
    }


def as_operator(olga) -> Client:
    client = Client()
    client.force_login(olga)
    return client


# --- Who may open the pages ---------------------------------------------------------------------


def test_the_pages_are_named_in_the_operator_namespace():
    for name, url in PAGES.items():
        assert reverse(f"operator:{name}") == url


@pytest.mark.parametrize("url", PAGES.values())
def test_anonymous_visitors_are_sent_to_log_in(client, ch, url):
    resp = client.get(url)
    assert resp.status_code == 302
    assert resp.url.startswith(reverse("login"))


@pytest.mark.parametrize("who", ["alice", "bob", "dave"])
@pytest.mark.parametrize("url", PAGES.values())
def test_customers_and_helpers_are_refused(client, request, who, url):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url, {"market": "ch", "table": "weekly"}).status_code == 403


@pytest.mark.parametrize("name", ["economics", "economics_whatif", "economics_report"])
def test_operators_see_every_page_with_defaults(olga, ch, name):
    resp = as_operator(olga).get(PAGES[name])
    assert resp.status_code == 200
    assert resp.context["market"] == ch or resp.context["market"].code in ("ch", "pl")


def test_operators_get_the_csv_with_defaults(olga, ch):
    resp = as_operator(olga).get(PAGES["economics_csv"], {"table": "weekly"})
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/csv")


def test_the_nav_links_to_economics_for_operators_only(client, olga, alice):
    client.force_login(olga)
    assert f'href="{PAGES["economics"]}"' in client.get(reverse("operator:vetting")).text
    client.force_login(alice)
    assert PAGES["economics"] not in client.get(reverse("customer:jobs")).text


# --- Filters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"market": "zz"}, "market", "Unknown market"),
        ({"category": "nope"}, "category", "Unknown service"),
        ({"preset": "forever"}, "preset", "Pick a period from the list"),
        ({"preset": "custom"}, "start", "Enter the first day"),
        ({"preset": "custom", "start": "2025-02-30", "end": "2025-03-01"}, "start", "Enter a date"),
        ({"start": "2025-03-10", "end": "2025-03-01"}, "end", "before the first day"),
        ({"start": "2019-01-01", "end": "2025-03-01"}, "end", "at most three years"),
        ({"start": "1999-01-01", "end": "1999-02-01"}, "start", "from 2000 on"),
        ({"fill_minutes": "0"}, "fill_minutes", "At least 1 minute"),
        ({"fill_minutes": "soon"}, "fill_minutes", "whole number of minutes"),
        ({"fill_minutes": "99999"}, "fill_minutes", "At most a week"),
    ],
)
def test_bad_filters_are_explained_not_crashed_on(olga, ch, router_wifi, params, field, message):
    client = as_operator(olga)
    resp = client.get(PAGES["economics"], params)
    assert resp.status_code == 200
    assert message in " ".join(resp.context["form"].errors[field])
    assert message in resp.text
    assert "metrics" not in resp.context
    report = client.get(PAGES["economics_report"], params)
    assert report.status_code == 200 and message in report.text
    csv_resp = client.get(PAGES["economics_csv"], {**params, "table": "weekly"})
    assert csv_resp.status_code == 400 and message in csv_resp.text


def test_presets_cover_whole_weeks_and_months(olga, ch):
    client = as_operator(olga)
    today = market_today(ch)
    period = client.get(PAGES["economics"], {"preset": "4w"}).context["period"]
    assert period.first_day.weekday() == 0 and period.last_day == today
    assert (period.last_day - period.first_day).days // 7 == 3
    period = client.get(PAGES["economics"], {"preset": "6m"}).context["period"]
    assert period.first_day.day == 1 and period.last_day == today
    assert (today.year - period.first_day.year) * 12 + today.month - period.first_day.month == 5


def test_an_empty_market_shows_no_data_charts_and_says_there_is_nothing_to_judge(olga, pl):
    resp = as_operator(olga).get(PAGES["economics"], {"market": "pl"})
    assert resp.status_code == 200
    assert resp.context["verdict"].headline.startswith("No requests in this period")
    assert resp.text.count('role="img"') == 4
    assert "No data for this period" in resp.text
    assert "zł" in resp.text  # money in the market's currency


# --- The dashboard and its verdict -------------------------------------------------------------


def test_a_pilot_above_break_even_says_so(olga, ch, pilot):
    market_update(market=ch, actor=olga, reason="test", fixed_cost_per_month=1_000)
    resp = as_operator(olga).get(PAGES["economics"], pilot)
    assert resp.status_code == 200
    verdict = resp.context["verdict"]
    # Margin per job: 12.00 fee − (1.74 + 0.30) processing = 9.96 → ⌈10.00 ÷ 9.96⌉ = 2 a month.
    assert verdict.pays is True
    assert verdict.headline == (
        "Confirmed jobs are at or above break-even in the last 3 months (2, 2, 2 against 2 a "
        "month)."
    )
    assert 'class="verdict verdict-good"' in resp.text
    cards = {c.label: c for c in resp.context["cards"]}
    assert cards["Requests posted"].value == "6"
    assert cards["Fill rate"].value == "100 %"
    assert cards["Time to accept"].value == "5 min median"
    assert cards["GMV"].value == "CHF 360.00"
    assert cards["Net revenue"].value == "CHF 72.00"
    assert cards["Take rate"].value == "20.0 %"
    assert cards["Margin per job"].value == "CHF 9.96"
    assert cards["Break-even"].value == "2 jobs a month"
    assert cards["NPS"].value == "+100"
    assert cards["CSAT"].value == "5.0 / 5"
    assert cards["Chose the helper"].value == "100 %"
    for card in cards.values():
        assert card.label in resp.text and card.value in resp.text


def test_a_pilot_below_break_even_says_so_with_its_demand_problem(olga, ch, pilot):
    for i in range(10):  # idle helpers: 6 jobs in 3 months over 12 helpers
        helper_profile(lat=ZURICH[0] + 0.001 * i, lng=ZURICH[1])
    resp = as_operator(olga).get(PAGES["economics"], pilot)
    verdict = resp.context["verdict"]
    assert verdict.pays is False
    # Fixed cost CHF 8000 a month ÷ CHF 9.96 a job.
    assert verdict.headline == (
        "Confirmed jobs are below break-even in the last 3 months (2, 2, 2 against 804 a month)."
    )
    assert "Demand problem: 0.2 jobs per active helper per month" in verdict.reasons[0]
    assert 'class="verdict verdict-bad"' in resp.text
    assert "Demand problem: 0.2 jobs per active helper per month" in resp.text


def test_a_pilot_without_margin_has_no_break_even(olga, ch, router_wifi, alice, bob, carol,
                                                  django_capture_on_commit_callbacks):  # fmt: skip
    market_update(market=ch, actor=olga, reason="free pilot", commission_bps=0)
    tz = ZoneInfo(ch.time_zone)
    (month,) = months_back(ch, 1)
    t = datetime.combine(month + timedelta(days=3), time(10), tzinfo=tz)
    with django_capture_on_commit_callbacks(execute=True):
        job = job_post(customer=alice, category=router_wifi, description="Router please",
                       address=ADDRESS, now=t)  # fmt: skip
        job = job_accept(job=job, helper=bob, now=t + timedelta(minutes=2))
        job = job_check_in(job=job, helper=bob, now=t + timedelta(hours=1))
        job = job_complete(job=job, helper=bob, now=t + timedelta(hours=2))
        job_confirm(job=job, actor=alice, now=t + timedelta(hours=3))
    resp = as_operator(olga).get(PAGES["economics"], {"market": "ch", "preset": "12w"})
    verdict = resp.context["verdict"]
    assert verdict.pays is False
    assert verdict.headline.startswith("No break-even: the margin per job is ≤ 0")
    assert "no break-even" in resp.context["sections"][2].svg


def test_each_chart_has_an_accessible_table_with_the_same_figures(olga, ch, pilot):
    resp = as_operator(olga).get(PAGES["economics"], pilot)
    html = resp.text
    assert html.count('role="img"') == 4
    assert html.count('<details class="chart-data">') == 4
    assert html.count("<caption>") == 4
    assert '<th scope="col">Week starting</th>' in html
    funnel, area, months, choice = (s.table for s in resp.context["sections"])
    assert sum(int(r[1]) for r in funnel.rows) == 6
    assert [r[2] for r in months.rows] == ["2", "2", "2"]
    assert area.rows[0][1].endswith("Zürich") and area.rows[0][2] == "6"
    assert choice.rows == (("0.27", "CHF 60.00", "CHF 220.00", "no", "6", "6", "100 %"),)
    assert 'id="choice-chart"' in html and 'id="funnel-chart"' in html
    assert "Zürich" in resp.context["sections"][1].svg  # gazetteer labels for orientation


def test_a_category_filter_narrows_the_figures(olga, ch, pilot):
    resp = as_operator(olga).get(PAGES["economics"], {**pilot, "category": "tv-decoder"})
    assert resp.context["metrics"].posted == 0
    resp = as_operator(olga).get(PAGES["economics"], {**pilot, "category": "router-wifi"})
    assert resp.context["metrics"].posted == 6


# --- What-if -----------------------------------------------------------------------------------


def test_the_what_if_form_starts_from_the_current_price_book(olga, ch, pilot):
    resp = as_operator(olga).get(
        PAGES["economics_whatif"], {"market": "ch", "category": "router-wifi"}
    )
    assert resp.status_code == 200
    form = resp.context["form"]
    assert not form.is_bound
    assert str(form["helper_fee"].value()) == "60.00"
    assert str(form["commission_percent"].value()) == "20.00"
    assert str(form["professional_price"].value()) == "220.00"
    assert str(form["fixed_cost_per_month"].value()) == "8000.00"
    assert resp.context["scenario"] is None
    assert "Professional list price (CHF)" in resp.text
    assert resp.context["model"].source.startswith("prior")
    assert "Not fitted: a prior guess is used" in resp.text


def test_a_what_if_projects_the_typed_prices(olga, ch, pilot):
    resp = as_operator(olga).get(
        PAGES["economics_whatif"],
        {
            "market": "ch",
            "category": "router-wifi",
            "helper_fee": "80",
            "commission_percent": "25",
            "professional_price": "220,00",
            "fixed_cost_per_month": "1000",
        },
    )
    assert resp.status_code == 200
    scenario = resp.context["scenario"]
    assert scenario.whatif.helper_fee == 8_000
    assert scenario.whatif.commission_bps == 2_500
    assert scenario.fee_per_job == 2_000
    assert scenario.helper_share < resp.context["current"].helper_share  # dearer: fewer choose
    rows = {r.label: r for r in resp.context["comparison"]}
    assert (rows["Helper fee"].now, rows["Helper fee"].then) == ("CHF 60.00", "CHF 80.00")
    assert rows["Fixed cost per month"].then == "CHF 1'000.00"
    assert "what-if 0.36" in resp.context["choice_svg"]
    assert "current 0.27" in resp.context["choice_svg"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("helper_fee", "abc", "Enter a number"),
        ("helper_fee", "45.505", "at most 2 decimals"),
        ("helper_fee", "0", "above 0"),
        ("commission_percent", "150", "cannot be more than 100 %"),
        ("professional_price", "0", "list price (above 0)"),
        ("fixed_cost_per_month", "-5", "greater than or equal to 0"),
    ],
)
def test_bad_what_if_values_are_explained(olga, ch, field, value, message):
    data = {
        "market": "ch",
        "helper_fee": "60",
        "commission_percent": "20",
        "professional_price": "220",
        "fixed_cost_per_month": "8000",
        field: value,
    }
    resp = as_operator(olga).get(PAGES["economics_whatif"], data)
    assert resp.status_code == 200
    assert message in " ".join(resp.context["form"].errors[field])
    assert resp.context["scenario"] is None


def test_a_what_if_for_an_unknown_market_is_a_form_error(olga, ch):
    resp = as_operator(olga).get(PAGES["economics_whatif"], {"market": "zz"})
    assert resp.status_code == 200
    assert "Unknown market" in resp.text


# --- CSV and the report --------------------------------------------------------------------------


def rows_of(resp) -> list[list[str]]:
    return list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))


def test_the_weekly_csv_has_a_header_and_a_row_per_week(olga, ch, pilot):
    resp = as_operator(olga).get(PAGES["economics_csv"], {**pilot, "table": "weekly"})
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/csv")
    assert "attachment" in resp["Content-Disposition"] and ".csv" in resp["Content-Disposition"]
    rows = rows_of(resp)
    header, body = rows[0], rows[1:]
    assert "posted" in [h.lower() for h in header]
    posted = [h.lower() for h in header].index("posted")
    assert sum(int(r[posted]) for r in body) == 6
    assert len(body) == len(
        as_operator(olga).get(PAGES["economics"], pilot).context["sections"][0].table.rows
    )


@pytest.mark.parametrize("table", ["metrics", "weekly", "monthly", "areas", "choice"])
def test_every_table_downloads(olga, ch, pilot, table):
    resp = as_operator(olga).get(PAGES["economics_csv"], {**pilot, "table": table})
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/csv")
    assert len(rows_of(resp)) >= 2


def test_an_unknown_table_is_a_bad_request(olga, ch):
    resp = as_operator(olga).get(PAGES["economics_csv"], {"table": "passwords"})
    assert resp.status_code == 400
    assert "Unknown table" in resp.text


def test_the_report_is_one_printable_page(olga, ch, pilot):
    resp = as_operator(olga).get(PAGES["economics_report"], pilot)
    assert resp.status_code == 200
    html = resp.text
    assert "Pilot report: Switzerland" in html
    assert "css/economics.css" in html
    assert 'class="site-header"' not in html and "<nav" not in html  # no navigation
    assert html.count('role="img"') == 4
    assert "<details" not in html  # tables stay on the dashboard
    assert resp.context["verdict"].headline in html
    assert "Break-even" in html and "Fill rate" in html


def test_the_print_stylesheet_is_a4_without_navigation():
    from pathlib import Path

    from django.conf import settings

    css = (Path(settings.BASE_DIR) / "static" / "css" / "economics.css").read_text()
    assert "@media print" in css
    assert "size: A4" in css
    printed = css[css.index("@media print") :]
    assert ".site-header" in printed and "nav" in printed and "display: none" in printed


# --- The verdict's other branches ----------------------------------------------------------------


@pytest.fixture
def figures(ch):
    """Real (empty) figures of the CH market, to vary one field at a time."""
    tz = ZoneInfo(ch.time_zone)
    first, last = date(2025, 1, 1), date(2025, 3, 31)
    period = Period(
        datetime.combine(first, time.min, tzinfo=tz),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz),
        first,
        last,
        "Q1",
    )
    return metrics(Scope(market=ch, start=period.start, end=period.end)), period


def month_rows(*confirmed):
    return [MonthRow(date(2025, i + 1, 1), c, 0, 10) for i, c in enumerate(confirmed)]


def test_a_pilot_that_reached_break_even_only_sometimes_is_not_steady(figures):
    m, period = figures
    m = replace(m, posted=40, confirmed=30, break_even_jobs_per_month=10, active_helpers=3)
    v = verdict(m, month_rows(12, 8, 10), period, "1 h")
    assert v.pays is None and v.tone == "mixed"
    assert v.headline == (
        "Not steady yet: confirmed jobs reached break-even in 2 of the last 3 months "
        "(12, 8, 10 against 10 a month)."
    )


def test_less_than_a_whole_month_compares_the_pace(figures):
    m, period = figures
    m = replace(m, posted=9, confirmed=6, confirmed_per_month=12.5, break_even_jobs_per_month=10)
    short = replace(period, last_day=date(2025, 1, 20))
    v = verdict(m, month_rows(6), short, "1 h")
    assert v.pays is True
    assert v.headline.startswith("On pace to pay: 12.5 confirmed jobs a month against 10 needed")


def test_supply_price_and_quality_problems_are_named(figures):
    m, _ = figures
    m = replace(m, fill_rate=0.2, helper_choice_share=0.25, price_ratio=0.9, nps=-12.0,
                active_helpers=2, jobs_per_active_helper=9.0)  # fmt: skip
    found = diagnoses(m, "30 min", free_share=0.5)
    assert found == (
        "Supply problem: only 20 % of requests for a helper were accepted within 30 min.",
        "Price problem: only 25 % of customers chose the helper at a price ratio of 0.90; "
        "professional installation was free for 50 % of the quotes.",
        "Quality problem: NPS is -12.",
    )
