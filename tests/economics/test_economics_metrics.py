"""Operator economics (DESIGN §7) on a small pilot built through the real services, with every
expected number worked out by hand.

The pilot, Switzerland, two weeks from Monday 2 March 2026 (Zürich time), all router set-ups
(CHF 60.00, fee 12.00, professional 80 + 140 = 220.00) except J7 (TV decoder, 50.00):

    J1  alice   Mon 2   bob accepts after 600 s, confirmed; alice: 5★ NPS 10; bob rates alice
    J2  mallory Tue 3   carol after 1800 s, confirmed; 4★ NPS 9
    J3  alice   Wed 4   bob after 7200 s, confirmed; 2★ NPS 3; operator refunds 10.00
    J4  alice   Tue 10  bob after 1200 s; alice cancels 3 h later: fee 20.00 captured
    J5  erin    Wed 11  erin cancels before anyone accepts (free)
    J6  mallory Thu 12  professional chosen at posting
    J7  alice   Thu 12  TV decoder, cancelled by the operator
    J9  alice   Fri 13  carol after 300 s, confirmed
    J10 mallory Fri 13  nobody in time: expired, then the professional fallback
    plus one job just before the start and one exactly at the (exclusive) end.
"""

import csv
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from marketplace.core.errors import ValidationFailed
from marketplace.economics.exports import EXPORTS, metrics_csv
from marketplace.economics.metrics import (
    AreaRow,
    ChoicePoint,
    Scope,
    break_even,
    by_area,
    choice_points,
    div_half_up,
    metrics,
    monthly,
    weekly,
)
from marketplace.economics.rollup import rollup_refresh
from marketplace.jobs.dispatch import job_expire
from marketplace.jobs.services import (
    job_accept,
    job_book_professional,
    job_cancel,
    job_check_in,
    job_complete,
    job_confirm,
    job_post,
    job_release,
    review_create,
)
from marketplace.payments.services import payment_refund
from marketplace.pricing.models import ServiceCategory
from marketplace.supply.cells import grid_for
from marketplace.supply.models import SupplyDemandStat
from marketplace.supply.services import supply_refresh
from tests.factories import ZURICH, UserFactory

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Europe/Zurich")
START = datetime(2026, 3, 2, tzinfo=TZ)
END = datetime(2026, 3, 16, tzinfo=TZ)
ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"


def at(day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def erin(reference):
    return UserFactory(email="erin@example.com", full_name="Erin Once")


@pytest.fixture(params=["rows", "rollup"])
def pilot(
    request,
    alice,
    mallory,
    erin,
    bob,
    carol,
    dave,
    olga,
    router_wifi,
    django_capture_on_commit_callbacks,
):
    """Every test of the pilot runs twice: figures read from the job rows alone, and from the
    economics rollup refreshed after the pilot (economics/rolled.py); both must give the
    hand-computed numbers."""
    tv = ServiceCategory.objects.get(slug="tv-decoder")

    def settle(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    def post(customer, when, category=router_wifi, **kwargs):
        return job_post(
            customer=customer,
            category=category,
            description="Please set up my new router",
            address=ADDRESS,
            now=when,
            **kwargs,
        )

    def done(job, helper, wait_s, customer):
        accepted = job.created_at + timedelta(seconds=wait_s)
        job = job_accept(job=job, helper=helper, now=accepted)
        job = job_check_in(job=job, helper=helper, now=accepted + timedelta(minutes=30))
        job = job_complete(job=job, helper=helper, note="Works", now=accepted + timedelta(hours=1))
        return settle(job_confirm, job=job, actor=customer, now=accepted + timedelta(hours=2))

    jobs = {}
    jobs["J0"] = post(alice, datetime(2026, 3, 1, 23, 30, tzinfo=TZ))  # before the scope
    jobs["J1"] = j1 = done(post(alice, at(2)), bob, 600, alice)
    review_create(job=j1, author=alice, rating=5, nps=10)
    review_create(job=j1, author=bob, rating=1)  # helpers' reviews of customers don't count
    jobs["J2"] = j2 = done(post(mallory, at(3)), carol, 1800, mallory)
    review_create(job=j2, author=mallory, rating=4, nps=9)
    jobs["J3"] = j3 = done(post(alice, at(4)), bob, 7200, alice)
    review_create(job=j3, author=alice, rating=2, nps=3)
    payment_refund(payment=j3.payment, amount=1_000, actor=olga, reason="Came late")
    j4 = post(alice, at(10))
    j4 = job_accept(job=j4, helper=bob, now=at(10) + timedelta(seconds=1200))
    jobs["J4"] = settle(job_cancel, job=j4, actor=alice, reason="Plans", now=at(10, 12, 20))
    jobs["J5"] = settle(job_cancel, job=post(erin, at(11)), actor=erin, reason="Fixed it")
    jobs["J6"] = post(mallory, at(12), fulfilment="professional")
    j7 = post(alice, at(12, 10), category=tv)
    jobs["J7"] = settle(job_cancel, job=j7, actor=olga, reason="Duplicate")
    jobs["J9"] = done(post(alice, at(13)), carol, 300, alice)
    j10 = job_expire(job=post(mallory, at(13, 11)), now=at(13, 15))
    jobs["J10"] = job_book_professional(  # the window is over: a new one for the technician
        job=j10, customer=mallory, window_start=at(14, 9), window_end=at(14, 13), now=at(13, 16)
    )
    jobs["J11"] = post(alice, END)  # at the exclusive end
    if request.param == "rollup":
        rollup_refresh()
    return jobs


@pytest.fixture
def scope(ch, pilot):
    return Scope(market=ch, start=START, end=END)


def test_it_counts_the_funnel(scope):
    m = metrics(scope)
    assert m.currency == "CHF"
    assert (m.posted, m.helper_requests, m.offered, m.accepted) == (9, 8, 8, 5)
    assert (m.completed, m.confirmed) == (4, 4)
    assert (m.cancelled, m.cancelled_by_customer, m.cancelled_by_operator) == (3, 2, 1)
    assert (m.expired, m.professional_booked) == (1, 2)


def test_it_computes_fill_rate_and_time_to_accept(scope):
    m = metrics(scope)
    # Accepted within 1 h: J1 (600 s), J2 (1800 s), J4 (1200 s), J9 (300 s); J3 took 2 h.
    assert m.accepted_within == 4
    assert m.fill_rate == 4 / 8
    # Waits 300, 600, 1200, 1800, 7200: the middle one, and rank ceil(0.9 × 5) = 5.
    assert (m.median_accept_seconds, m.p90_accept_seconds) == (1200, 7200)
    assert m.completion_rate == 4 / 5
    assert m.cancellation_rate == 3 / 9


def test_fill_rate_within_a_longer_time_counts_the_slow_acceptance_too(ch, pilot):
    m = metrics(Scope(market=ch, start=START, end=END, fill_within=timedelta(hours=2)))
    assert m.fill_rate == 5 / 8  # exactly 2 h is within 2 h


def test_an_even_number_of_acceptances_takes_the_mean_of_the_middle_two(ch, pilot):
    m = metrics(Scope(market=ch, start=START, end=at(10)))  # first week: 600, 1800, 7200
    assert (m.median_accept_seconds, m.p90_accept_seconds) == (1800, 7200)
    m = metrics(Scope(market=ch, start=START, end=at(11)))  # + J4: 600, 1200, 1800, 7200
    assert (m.median_accept_seconds, m.p90_accept_seconds) == (1500, 7200)


def test_it_measures_supply(scope):
    m = metrics(scope)
    assert m.active_helpers == 2  # bob and carol; dave is not vetted
    assert m.demand_supply_ratio == 8 / 2
    assert m.helpers_with_confirmed_jobs == 2
    assert m.utilisation == 1.0
    assert m.jobs_per_active_helper == 4 / 2


def test_it_reads_the_money_from_the_ledger(scope):
    m = metrics(scope)
    # Captured: 4 × 6000 + the 2000 cancellation fee; refunded 1000.
    assert m.gmv == 4 * 6_000 + 2_000 - 1_000 == 25_000
    # Fees: 4 × 1200 + 400 (20 % of the cancellation fee); the refund gives back 1000 × 1200
    # ÷ 6000 = 200.
    assert (m.fees, m.fee_refunds, m.net_revenue) == (5_200, 200, 5_000)
    assert m.take_rate == 5_000 / 25_000


def test_processing_costs_margin_and_break_even(scope):
    m = metrics(scope)
    # 290 bps + 30 per captured payment: 4 × (174 + 30) + (58 + 30).
    assert m.captured_payments == 5
    assert m.processing_costs == 4 * 204 + 88 == 904
    # (5000 − 904) ÷ 4 confirmed jobs.
    assert m.contribution_margin_per_job == 1_024
    assert m.fixed_cost_per_month == 800_000
    # ⌈800000 ÷ 1024⌉ = ⌈781.25⌉.
    assert m.break_even_jobs_per_month == 782
    assert m.break_even_note == "Needs 782 jobs a month"
    assert m.months == pytest.approx(14 / 30.44)
    assert m.confirmed_per_month == pytest.approx(4 * 30.44 / 14)


@override_settings(PAYMENT_PROCESSING_BPS=0, PAYMENT_PROCESSING_FIXED=0)
def test_without_processing_costs_the_margin_is_the_net_revenue_per_job(scope):
    m = metrics(scope)
    assert (m.processing_costs, m.contribution_margin_per_job) == (0, 1_250)
    assert m.break_even_jobs_per_month == 640  # 800000 ÷ 1250 exactly


@override_settings(PAYMENT_PROCESSING_BPS=2_000, PAYMENT_PROCESSING_FIXED=30)
def test_a_margin_at_or_below_zero_has_no_break_even_and_says_so(scope):
    m = metrics(scope)
    # 4 × (1200 + 30) + (400 + 30) = 5350 > 5000 net revenue.
    assert m.processing_costs == 5_350
    assert m.contribution_margin_per_job == div_half_up(-350, 4) == -87
    assert m.break_even_jobs_per_month is None
    assert m.break_even_note.startswith("No break-even: the margin per job is ≤ 0")


def test_without_confirmed_jobs_there_is_no_break_even(ch, pilot):
    m = metrics(Scope(market=ch, start=at(10), end=at(13)))  # J4–J7: none confirmed
    assert m.confirmed == 0
    assert m.contribution_margin_per_job is None
    assert m.break_even_jobs_per_month is None
    assert "no confirmed jobs" in m.break_even_note


def test_break_even_rules():
    assert break_even(fixed_cost=1_000, contribution=300, jobs=3) == (10, "Needs 10 jobs a month")
    assert break_even(fixed_cost=1_000, contribution=301, jobs=3)[0] == 10  # ⌈9.97⌉
    assert break_even(fixed_cost=100, contribution=100, jobs=1) == (1, "Needs 1 job a month")
    assert break_even(fixed_cost=0, contribution=5, jobs=1)[0] == 0
    assert break_even(fixed_cost=1_000, contribution=0, jobs=3)[0] is None
    assert break_even(fixed_cost=1_000, contribution=-9, jobs=3)[0] is None
    assert break_even(fixed_cost=1_000, contribution=9, jobs=0)[0] is None


def test_div_half_up_rounds_ties_up_for_gains_and_losses():
    assert [div_half_up(n, 2) for n in (-3, -1, 1, 3)] == [-1, 0, 1, 2]
    assert div_half_up(4_096, 4) == 1_024


def test_it_computes_loyalty(scope):
    m = metrics(scope)
    # alice 5 requests, mallory 3, erin 1.
    assert (m.customers, m.repeat_customers, m.repeat_rate) == (3, 2, 2 / 3)
    # First half (before Mon 9): bob and carol confirmed jobs; second half: carol (J9).
    assert m.helper_retention == 1 / 2


def test_it_computes_nps_and_csat_from_customers_answers(scope):
    m = metrics(scope)
    # Answers 10, 9, 3: two promoters, one detractor.
    assert m.nps_answers == 3
    assert m.nps == pytest.approx(100 * (2 - 1) / 3)
    assert m.csat_answers == 3
    assert m.csat == pytest.approx((5 + 4 + 2) / 3)


def test_nps_counts_passives_in_the_denominator_only(scope, pilot, mallory):
    review_create(job=pilot["J9"], author=pilot["J9"].customer, rating=3, nps=7)
    m = metrics(scope)
    assert (m.nps_answers, m.nps) == (4, pytest.approx(25.0))


def test_it_computes_price_ratio_and_choice_share(scope):
    m = metrics(scope)
    # 8 router quotes at 6000 and one TV decoder at 5000, all against 22000.
    assert m.price_ratio == pytest.approx((8 * 6_000 + 5_000) / (9 * 22_000))
    assert m.helper_choice_share == 8 / 9


def test_a_category_narrows_every_figure(ch, pilot, router_wifi):
    m = metrics(Scope(market=ch, start=START, end=END, category=router_wifi))
    assert (m.posted, m.cancelled_by_operator, m.confirmed) == (8, 0, 4)
    assert m.active_helpers == 2  # both have the skill


def test_a_cell_narrows_to_the_jobs_in_it(ch, pilot):
    grid = grid_for(ch)
    cell = grid.cell_of(pilot["J1"].lat, pilot["J1"].lng)
    m = metrics(Scope(market=ch, start=START, end=END, cell=(cell.y, cell.x)))
    assert (m.posted, m.active_helpers) == (9, 2)
    assert metrics(Scope(market=ch, start=START, end=END, cell=(cell.y + 3, cell.x))).posted == 0


def test_a_request_nobody_could_be_offered_expires_unoffered(pl, alice, router_wifi):
    job = job_post(
        customer=alice,
        category=router_wifi,
        description="Router for the flat",
        address="Marszałkowska 1, Warszawa",
        now=at(3),
    )
    assert job.status == "expired"  # no helper in Poland
    m = metrics(Scope(market=pl, start=START, end=END))
    assert (m.posted, m.offered, m.accepted, m.expired) == (1, 0, 0, 1)


def test_a_released_job_was_offered_but_is_not_accepted(ch, alice, bob, router_wifi):
    job = job_post(
        customer=alice,
        category=router_wifi,
        description="Please set up my new router",
        address=ADDRESS,
        now=at(3),
    )
    job = job_accept(job=job, helper=bob, now=at(3, 9, 5))
    job_release(job=job, helper=bob, reason="Car broke down", now=at(3, 9, 20))
    m = metrics(Scope(market=ch, start=START, end=END))
    assert (m.posted, m.offered, m.accepted, m.fill_rate) == (1, 1, 0, 0.0)


def test_an_empty_scope_has_no_rates(pl):
    m = metrics(Scope(market=pl, start=START, end=END))
    assert (m.currency, m.posted, m.gmv, m.net_revenue) == ("PLN", 0, 0, 0)
    assert m.fill_rate is m.take_rate is m.nps is m.csat is m.median_accept_seconds is None
    assert m.break_even_jobs_per_month is None


def test_a_scope_must_be_aware_and_ordered(ch):
    with pytest.raises(ValidationFailed):
        Scope(market=ch, start=END, end=START)
    with pytest.raises(ValidationFailed):
        Scope(market=ch, start=datetime(2026, 3, 1), end=datetime(2026, 3, 2))


def test_weekly_rows_follow_the_funnel_per_week(scope):
    rows = weekly(scope)
    assert [r.week_start.isoformat() for r in rows] == ["2026-03-02", "2026-03-09"]
    first, second = rows
    assert (first.posted, first.accepted, first.confirmed, first.helper_requests) == (3, 3, 3, 3)
    assert first.fill_rate == 2 / 3  # J3 waited 2 h
    assert (second.posted, second.accepted, second.confirmed) == (6, 2, 1)
    assert second.fill_rate == 2 / 5  # J4 and J9 of five helper requests


def test_weekly_includes_empty_weeks_and_partial_edges(ch, pilot):
    rows = weekly(Scope(market=ch, start=datetime(2026, 2, 18, tzinfo=TZ), end=at(4)))
    assert [(r.week_start.isoformat(), r.posted) for r in rows] == [
        ("2026-02-16", 0),  # from Wednesday 18th: nothing posted
        ("2026-02-23", 1),  # J0 on Sunday 1 March
        ("2026-03-02", 2),  # J1, J2 (J3 is on the 4th, outside)
    ]
    assert (rows[0].fill_rate, rows[1].fill_rate) == (None, 0.0)


def test_monthly_rows_carry_money_and_break_even(scope):
    (row,) = monthly(scope)
    assert row.month.isoformat() == "2026-03-01"
    assert (row.confirmed, row.net_revenue, row.processing_costs) == (4, 5_000, 904)
    assert (row.margin_per_job, row.break_even_jobs, row.fixed_cost) == (1_024, 782, 800_000)


def test_monthly_splits_at_local_midnight(ch, pilot):
    rows = monthly(Scope(market=ch, start=datetime(2026, 2, 1, tzinfo=TZ), end=END))
    assert [(r.month.isoformat(), r.posted, r.confirmed) for r in rows] == [
        ("2026-02-01", 0, 0),
        ("2026-03-01", 10, 4),  # J0 at 23:30 on 1 March belongs to March
    ]
    assert rows[0].break_even_jobs is None


def test_by_area_counts_requests_against_helpers_covering_the_cell(scope, pilot, ch):
    (row,) = by_area(scope)
    grid = grid_for(ch)
    cell = grid.cell_of(*ZURICH)
    assert isinstance(row, AreaRow)
    assert row.cell == (cell.y, cell.x)
    assert (row.lat, row.lng) == tuple(round(v, 5) for v in grid.centre(cell))
    assert (row.posted, row.helper_requests, row.accepted, row.active_helpers) == (9, 8, 5, 2)
    assert row.demand_supply_ratio == 4.0


def test_by_area_takes_the_helpers_from_the_supply_figures_once_refreshed(scope, pilot):
    supply_refresh(since=START, until=END, now=END)
    assert [(r.posted, r.active_helpers) for r in by_area(scope)] == [(9, 2)]
    SupplyDemandStat.objects.update(active_helpers_any_skill=7)  # the map's snapshot
    assert [(r.posted, r.active_helpers) for r in by_area(scope)] == [(9, 7)]


def test_choice_points_group_identical_quotes(scope):
    assert choice_points(scope) == [
        ChoicePoint(5_000 / 22_000, 1, 1, 5_000, 22_000, False),
        ChoicePoint(6_000 / 22_000, 8, 7, 6_000, 22_000, False),
    ]


def test_choice_points_keep_free_installation_apart(pl, alice, router_wifi):
    when = datetime(2026, 3, 3, 10, tzinfo=ZoneInfo("Europe/Warsaw"))
    for fulfilment in ("helper", "professional", "professional"):
        job_post(
            customer=alice,
            category=router_wifi,
            description="Router for the flat",
            address="Marszałkowska 1, Warszawa",
            fulfilment=fulfilment,
            now=when,
        )
    (point,) = choice_points(Scope(market=pl, start=START, end=END))
    assert (point.price, point.professional_list_price) == (6_000, 15_000)
    assert (point.quotes, point.chose_helper, point.professional_install_free) == (3, 1, True)
    assert point.price_ratio == 0.4


def test_the_dashboard_queries_do_not_grow_with_the_jobs(scope, django_assert_max_num_queries):
    # A fixed number of queries whatever the jobs: the split (last refresh, eight probes for
    # changes since, their days), sums from the rows and from the rollup, at most three rank
    # look-ups.
    with django_assert_max_num_queries(30):
        metrics(scope)
    with django_assert_max_num_queries(15):
        weekly(scope)
    with django_assert_max_num_queries(14):
        monthly(scope)
    with django_assert_max_num_queries(13):
        choice_points(scope)
    with django_assert_max_num_queries(15):
        by_area(scope)


# --- CSV exports -------------------------------------------------------------------------------


def test_metrics_export_is_key_value_rows(scope):
    name, text = metrics_csv(scope)
    assert name == "economics-ch-metrics-2026-03-02-2026-03-15.csv"
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == ["figure", "value"]
    values = dict(rows[1:])
    assert (values["market"], values["first_day"], values["last_day"]) == (
        "ch",
        "2026-03-02",
        "2026-03-15",
    )
    assert (values["posted"], values["net_revenue"], values["break_even_jobs_per_month"]) == (
        "9",
        "5000",
        "782",
    )
    assert values["fill_rate"] == "0.5"
    assert values["break_even_note"] == "Needs 782 jobs a month"


def test_table_exports_have_a_header_and_one_row_per_item(scope, ch, router_wifi):
    name, text = EXPORTS["weekly"](scope)
    rows = list(csv.reader(text.splitlines()))
    assert name == "economics-ch-weekly-2026-03-02-2026-03-15.csv"
    assert rows[0][:5] == ["week_start", "posted", "accepted", "confirmed", "fill_rate"]
    assert rows[1][:5] == ["2026-03-02", "3", "3", "3", "0.666667"]
    assert len(rows) == 3
    _name, text = EXPORTS["areas"](scope)
    assert list(csv.reader(text.splitlines()))[1][0].count(":") == 1  # the cell as "y:x"
    _name, text = EXPORTS["choice"](scope)
    assert list(csv.reader(text.splitlines()))[1][-1] == "no"  # free installation
    empty = Scope(market=ch, start=END, end=END + timedelta(days=7), category=router_wifi)
    name, text = EXPORTS["monthly"](empty)
    assert name == "economics-ch-monthly-router-wifi-2026-03-16-2026-03-22.csv"
    assert text.splitlines()[0].startswith("month,confirmed,net_revenue,break_even_jobs")
