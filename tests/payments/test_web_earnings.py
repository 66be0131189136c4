"""A helper's earnings per month (market time zone) from the ledger, with totals, CSV and API.

Hand-computed fixture for Bob (Zürich router job: price CHF 60.00, platform fee CHF 12.00,
helper share CHF 48.00; late cancellation fee CHF 20.00 of which the platform keeps 12/60 = 4.00):

  job A  confirmed, captured 15 Jan (card payment)            gross 6000  fee 1200  earned 4800
         refunded CHF 30.00 on 10 Feb: fee back 600, helper back 2400       clawed back 2400
  job B  confirmed, captured 31 Jan 23:30 UTC = 1 Feb 00:30 in Zürich       → February
                                                               gross 6000  fee 1200  earned 4800
  job C  cancelled late on 20 Feb, fee CHF 20.00 captured      gross 2000  fee  400  earned 1600
  Carol's confirmed job in January must not show up in Bob's figures.

  January:  1 job, gross 6000, fees 1200, earned 4800, clawed 0,    net 4800, paid 4800, pending 0
  February: 1 job, gross 8000, fees 1600, earned 6400, clawed 2400, net 4000, paid −2400,
            pending 6400 (B and C are bill-to-account; A's refund reverses a card transfer)
  Total:    2 jobs, gross 14000, fees 2800, earned 11200, clawed 2400, net 8800, paid 2400,
            pending 6400
"""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.jobs import services
from marketplace.payments.models import LedgerEntry, Payment
from marketplace.payments.selectors import helper_earnings_by_month, helper_earnings_totals
from marketplace.payments.services import payment_refund

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"
JAN_15 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
JAN_31_LATE = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)  # already 1 February in Zürich
FEB_10 = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)
FEB_20 = datetime(2026, 2, 20, 9, 0, tzinfo=UTC)

JANUARY = {
    "jobs_confirmed": 1,
    "gross": 6000,
    "platform_fees": 1200,
    "earned": 4800,
    "clawed_back": 0,
    "net": 4800,
    "paid_out": 4800,
    "pending": 0,
}
FEBRUARY = {
    "jobs_confirmed": 1,
    "gross": 8000,
    "platform_fees": 1600,
    "earned": 6400,
    "clawed_back": 2400,
    "net": 4000,
    "paid_out": -2400,
    "pending": 6400,
}
TOTAL = {
    "jobs_confirmed": 2,
    "gross": 14000,
    "platform_fees": 2800,
    "earned": 11200,
    "clawed_back": 2400,
    "net": 8800,
    "paid_out": 2400,
    "pending": 6400,
}


def _post(customer, category):
    return services.job_post(
        customer=customer,
        category=category,
        description="Please set up my new router",
        address=ADDRESS,
    )


def _confirmed(customer, helper, category, run):
    job = services.job_accept(job=_post(customer, category), helper=helper)
    job = services.job_check_in(job=job, helper=helper)
    job = services.job_complete(job=job, helper=helper, note="Works")
    return run(services.job_confirm, job=job, actor=customer)


def _date_entries(job, when, kinds):
    LedgerEntry.objects.filter(job=job, kind__in=kinds).update(created_at=when)


CAPTURE = ["captured_fee", "captured_payout", "released"]
REFUND = ["refund_fee", "refund_payout"]


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def run(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return run


@pytest.fixture
def ledger_fixture(alice, mallory, bob, carol, olga, router_wifi, run):
    job_a = _confirmed(alice, bob, router_wifi, run)
    _date_entries(job_a, JAN_15, CAPTURE)
    payment_refund(payment=Payment.objects.get(job=job_a), amount=3000, actor=olga, reason="Late")
    _date_entries(job_a, FEB_10, REFUND)
    # Read as a card payment: the helper's share went to their payout account at capture (the
    # flow above ran on the default provider; only the provider label matters to the figures).
    Payment.objects.filter(job=job_a).update(provider="stripe")

    job_b = _confirmed(mallory, bob, router_wifi, run)
    _date_entries(job_b, JAN_31_LATE, CAPTURE)

    job_c = _post(alice, router_wifi)
    job_c = services.job_accept(job=job_c, helper=bob, now=timezone.now() - timedelta(hours=2))
    job_c = run(services.job_cancel, job=job_c, actor=alice, reason="Changed plans")
    assert job_c.cancellation_fee == 2000
    _date_entries(job_c, FEB_20, CAPTURE)

    job_d = _confirmed(alice, carol, router_wifi, run)  # Carol's, in January
    _date_entries(job_d, JAN_15, CAPTURE)
    return job_a, job_b, job_c, job_d


def _figures(row):
    return {key: row[key] for key in TOTAL}


# --- The selector --------------------------------------------------------------------------------


def test_monthly_figures_match_the_hand_computed_ledger(ledger_fixture, bob):
    months = helper_earnings_by_month(helper=bob, time_zone="Europe/Zurich")
    assert [(m["month"].isoformat(), m["currency"]) for m in months] == [
        ("2026-02-01", "CHF"),
        ("2026-01-01", "CHF"),
    ]
    assert _figures(months[0]) == FEBRUARY
    assert _figures(months[1]) == JANUARY


def test_totals_match_the_hand_computed_ledger(ledger_fixture, bob):
    (total,) = helper_earnings_totals(helper=bob)
    assert total["currency"] == "CHF"
    assert _figures(total) == TOTAL


def test_months_follow_the_market_time_zone(ledger_fixture, bob):
    """Read in UTC, job B's capture (31 Jan 23:30 UTC) would fall in January."""
    months = helper_earnings_by_month(helper=bob, time_zone="UTC")
    by_month = {m["month"].month: m for m in months}
    assert by_month[1]["jobs_confirmed"] == 2
    assert by_month[2]["jobs_confirmed"] == 0


def test_figures_add_up(ledger_fixture, bob):
    for row in [*helper_earnings_by_month(helper=bob, time_zone="Europe/Zurich")]:
        assert row["gross"] - row["platform_fees"] == row["earned"]
        assert row["earned"] - row["clawed_back"] == row["net"]
        assert row["paid_out"] + row["pending"] == row["net"]


def test_a_helper_without_jobs_has_no_rows(carol, bob):
    assert helper_earnings_by_month(helper=bob, time_zone="Europe/Zurich") == []
    assert helper_earnings_totals(helper=bob) == []


def test_the_selector_aggregates_in_the_database(ledger_fixture, bob, django_assert_num_queries):
    with django_assert_num_queries(1):
        helper_earnings_by_month(helper=bob, time_zone="Europe/Zurich")
    with django_assert_num_queries(1):
        helper_earnings_totals(helper=bob)


# --- The page and the CSV ------------------------------------------------------------------------


def test_earnings_page_shows_months_and_totals_in_the_market_currency(client, ledger_fixture, bob):
    client.force_login(bob)
    resp = client.get(reverse("helper:earnings"))
    assert resp.status_code == 200
    text = resp.text
    assert "<caption>" in text and '<th scope="col">' in text and '<th scope="row">' in text
    assert "February 2026" in text and "January 2026" in text
    for amount in ("CHF 80.00", "CHF 16.00", "CHF 64.00", "CHF 24.00", "CHF 40.00", "−CHF 24.00"):
        assert amount in text
    assert "CHF 140.00" in text and "CHF 88.00" in text  # totals: gross, net
    assert 'href="?format=csv"' in text


def test_earnings_csv_has_one_line_per_month_and_a_total(client, ledger_fixture, bob):
    client.force_login(bob)
    resp = client.get(reverse("helper:earnings"), {"format": "csv"})
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/csv")
    assert "attachment" in resp["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.content.decode())))
    assert rows[0] == [
        "month",
        "currency",
        "jobs_confirmed",
        "gross",
        "platform_fees",
        "earned",
        "clawed_back",
        "net",
        "paid_out",
        "pending",
    ]
    assert rows[1] == [
        "2026-02",
        "CHF",
        "1",
        "8000",
        "1600",
        "6400",
        "2400",
        "4000",
        "-2400",
        "6400",
    ]
    assert rows[2] == ["2026-01", "CHF", "1", "6000", "1200", "4800", "0", "4800", "4800", "0"]
    assert rows[3] == [
        "total",
        "CHF",
        "2",
        "14000",
        "2800",
        "11200",
        "2400",
        "8800",
        "2400",
        "6400",
    ]


def test_other_helper_sees_only_their_own_earnings(client, ledger_fixture, carol):
    client.force_login(carol)
    text = client.get(reverse("helper:earnings")).text
    assert "January 2026" in text and "February 2026" not in text
    assert "CHF 80.00" not in text


def test_helper_without_earnings_sees_an_explanation(client, dave):
    client.force_login(dave)
    resp = client.get(reverse("helper:earnings"))
    assert resp.status_code == 200
    assert "No earnings yet" in resp.text


def test_nav_links_to_the_earnings_page_for_helpers(client, bob):
    client.force_login(bob)
    assert reverse("helper:earnings") in client.get(reverse("helper:jobs")).text


def test_anonymous_is_sent_to_login(client, reference):
    resp = client.get(reverse("helper:earnings"))
    assert resp.status_code == 302
    assert resp["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["alice", "mallory", "olga"])
def test_customers_and_operators_are_refused(client, request, who, reference):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("helper:earnings")).status_code == 403


# --- The API -------------------------------------------------------------------------------------


def test_api_earnings_for_the_helper(api_as, ledger_fixture, bob):
    resp = api_as(bob).get("/api/helpers/me/earnings")
    assert resp.status_code == 200
    body = resp.json()
    assert body["time_zone"] == "Europe/Zurich"
    assert [m["month"] for m in body["months"]] == ["2026-02", "2026-01"]
    assert {k: body["months"][0][k] for k in FEBRUARY} == FEBRUARY
    assert {k: body["totals"][0][k] for k in TOTAL} == TOTAL


def test_api_earnings_permissions(api_as, ledger_fixture, alice, olga, carol):
    assert api_as().get("/api/helpers/me/earnings").status_code == 401
    assert api_as(alice).get("/api/helpers/me/earnings").status_code == 403
    assert api_as(olga).get("/api/helpers/me/earnings").status_code == 403
    carol_body = api_as(carol).get("/api/helpers/me/earnings").json()
    assert carol_body["totals"][0]["jobs_confirmed"] == 1
