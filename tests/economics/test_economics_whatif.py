"""The what-if (DESIGN §7): the logistic choice model fitted by maximum likelihood on choice
points, its prior when data are thin, and the projection to jobs, margin and break-even."""

import math
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.core.errors import ValidationFailed
from marketplace.economics.metrics import ChoicePoint
from marketplace.economics.whatif import (
    PRIOR_A,
    PRIOR_B,
    PRIOR_C_FREE,
    ChoiceModel,
    WhatIf,
    current_whatif,
    fit_choice_model,
    fit_points,
    project,
    with_changes,
)
from marketplace.jobs.services import (
    job_accept,
    job_cancel,
    job_check_in,
    job_complete,
    job_confirm,
    job_post,
)
from marketplace.payments.services import payment_refund

TZ = ZoneInfo("Europe/Zurich")
START = datetime(2026, 3, 2, tzinfo=TZ)
END = datetime(2026, 3, 16, tzinfo=TZ)
RATIOS = (0.2, 0.3, 0.45, 0.6, 0.8, 1.0, 1.3)


def sigmoid(eta: float) -> float:
    return 1 / (1 + math.exp(-eta))


def points_from(a, b, c, *, quotes=1_000, ratios=RATIOS, free=(False, True), draw=None):
    """Choice points of a known model: expected counts (rounded), or binomial draws."""
    result = []
    for is_free in free:
        for r in ratios:
            p = sigmoid(a + b * math.log(r) + (c if is_free else 0.0))
            k = round(quotes * p) if draw is None else sum(draw.random() < p for _ in range(quotes))
            result.append(ChoicePoint(r, quotes, k, round(r * 10_000), 10_000, is_free))
    return result


# --- Fitting -----------------------------------------------------------------------------------


def test_it_recovers_known_parameters_from_expected_counts():
    model = fit_points(points_from(0.8, -1.7, -1.2, quotes=5_000))
    assert model.source == "fitted"
    assert model.a == pytest.approx(0.8, abs=0.01)
    assert model.b == pytest.approx(-1.7, abs=0.01)
    assert model.c_free == pytest.approx(-1.2, abs=0.01)
    assert (model.n, model.points, model.held_at_prior) == (70_000, 14, ())
    assert 0 < model.pseudo_r2 < 1


def test_it_recovers_known_parameters_from_noisy_choices():
    model = fit_points(points_from(1.2, -2.2, -1.5, quotes=400, draw=random.Random(7)))
    assert model.source == "fitted"
    assert model.a == pytest.approx(1.2, abs=0.25)
    assert model.b == pytest.approx(-2.2, abs=0.3)
    assert model.c_free == pytest.approx(-1.5, abs=0.3)


@settings(max_examples=25, deadline=None)
@given(
    a=st.floats(-1.5, 2.5),
    b=st.floats(-3.0, -0.5),
    c=st.floats(-2.5, 0.5),
)
def test_the_fit_finds_the_maximum_for_any_plausible_model(a, b, c):
    model = fit_points(points_from(a, b, c, quotes=20_000))
    assert model.source == "fitted"
    assert (model.a, model.b, model.c_free) == (
        pytest.approx(a, abs=0.02),
        pytest.approx(b, abs=0.02),
        pytest.approx(c, abs=0.02),
    )


def test_log_likelihood_and_mcfadden_r2_by_hand():
    # x = ln r = −1 and +1, 40 quotes each, 30 and 10 chose the helper: the model fits both
    # exactly (p = 3/4 and 1/4), so a = 0 and b = −ln 3.
    points = [
        ChoicePoint(math.exp(-1), 40, 30, 0, 0, False),
        ChoicePoint(math.exp(1), 40, 10, 0, 0, False),
    ]
    model = fit_points(points)
    assert model.a == pytest.approx(0, abs=1e-9)
    assert model.b == pytest.approx(-math.log(3), abs=1e-9)
    assert model.c_free == PRIOR_C_FREE  # no free installation in the data
    assert model.held_at_prior == ("c_free",)
    ll = 2 * (30 * math.log(0.75) + 10 * math.log(0.25))
    null = 80 * math.log(0.5)
    assert model.log_likelihood == pytest.approx(ll)
    assert model.pseudo_r2 == pytest.approx(1 - ll / null)
    assert model.pseudo_r2 == pytest.approx(0.18872, abs=1e-5)


def test_fewer_than_30_observations_fall_back_to_the_stated_prior():
    model = fit_points([ChoicePoint(0.4, 20, 15, 0, 0, False), ChoicePoint(0.8, 9, 3, 0, 0, False)])
    assert (model.a, model.b, model.c_free) == (PRIOR_A, PRIOR_B, PRIOR_C_FREE) == (1.5, -2.5, -2.0)
    assert model.source == "prior (fewer than 30 observations)"
    assert model.n == 29
    assert model.log_likelihood < 0  # how well the prior explains what there is


def test_no_data_at_all_is_the_prior_with_no_fit_quality():
    model = fit_points([])
    assert model.source.startswith("prior")
    assert (model.n, model.log_likelihood, model.pseudo_r2) == (0, 0.0, None)


def test_one_price_ratio_fits_the_intercept_and_keeps_the_prior_slope():
    model = fit_points([ChoicePoint(0.5, 100, 80, 0, 0, False)])
    assert model.source == "fitted"
    assert model.b == PRIOR_B
    assert set(model.held_at_prior) == {"b", "c_free"}
    assert model.share(0.5) == pytest.approx(0.8)


def test_only_free_installations_fold_the_shift_into_the_intercept():
    points = points_from(0.5, -2.0, -1.0, free=(True,), quotes=2_000)
    model = fit_points(points)
    assert model.source == "fitted"
    assert model.c_free == PRIOR_C_FREE
    assert model.share(0.45, True) == pytest.approx(
        sigmoid(0.5 - 2.0 * math.log(0.45) - 1.0), abs=0.01
    )


def test_when_everyone_chose_the_helper_the_fit_cannot_converge_and_says_so():
    model = fit_points(
        [ChoicePoint(0.3, 50, 50, 0, 0, False), ChoicePoint(0.6, 50, 50, 0, 0, False)]
    )
    assert model.source == "prior (the fit did not converge: the data do not pin it down)"
    assert (model.a, model.b) == (PRIOR_A, PRIOR_B)
    assert model.pseudo_r2 is None


def test_share_follows_the_formula():
    model = ChoiceModel(
        a=1.5, b=-2.5, c_free=-2.0, n=0, log_likelihood=0.0, pseudo_r2=None, source="x"
    )
    assert model.share(1.0) == pytest.approx(sigmoid(1.5))
    assert model.share(6_000 / 22_000) == pytest.approx(sigmoid(1.5 - 2.5 * math.log(6 / 22)))
    assert model.share(0.4, True) == pytest.approx(sigmoid(1.5 - 2.5 * math.log(0.4) - 2.0))
    assert model.share(0.3) > model.share(0.6)  # cheaper helpers are chosen more
    with pytest.raises(ValueError):
        model.share(0)


# --- Projection --------------------------------------------------------------------------------


@pytest.fixture
def observed(alice, mallory, bob, olga, router_wifi, django_capture_on_commit_callbacks):
    """Two weeks: 3 requests (one for a professional), 1 confirmed of 2 helper requests, and
    half of its fee refunded."""

    def post(customer, day, **kwargs):
        return job_post(
            customer=customer,
            category=router_wifi,
            description="Please set up my new router",
            address="Bahnhofstrasse 1, 8001 Zürich",
            now=datetime(2026, 3, day, 9, tzinfo=TZ),
            **kwargs,
        )

    job = post(alice, 3)
    t = job.created_at
    job = job_accept(job=job, helper=bob, now=t + timedelta(minutes=5))
    job = job_check_in(job=job, helper=bob, now=t + timedelta(minutes=30))
    job = job_complete(job=job, helper=bob, now=t + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        job = job_confirm(job=job, actor=alice, now=t + timedelta(hours=2))
    payment_refund(payment=job.payment, amount=3_000, actor=olga, reason="Half done")
    with django_capture_on_commit_callbacks(execute=True):
        job_cancel(job=post(mallory, 5), actor=mallory, reason="Not needed")
    post(mallory, 6, fulfilment="professional")


MODEL = ChoiceModel(a=1.0, b=-2.0, c_free=-1.0, n=0, log_likelihood=0.0, pseudo_r2=None, source="t")
WHAT = WhatIf(
    helper_fee=8_000,
    commission_bps=2_500,
    professional_price=20_000,
    fixed_cost_per_month=100_000,
    professional_install_free=False,
)


def test_the_projection_by_hand(ch, observed):
    p = project(ch, None, WHAT, start=START, end=END, model=MODEL)
    requests = 3 / (14 / 30.44)
    share = sigmoid(1.0 - 2.0 * math.log(0.4))
    assert p.requests_per_month == pytest.approx(requests)
    assert p.price_ratio == 0.4
    assert p.helper_share == pytest.approx(share)
    assert p.completion_factor == 1 / 2  # one confirmed of two helper requests
    assert p.helper_jobs_per_month == pytest.approx(requests * share / 2)
    # Fee 25 % of 8000; half the fees were refunded (600 of 1200); processing 232 + 30.
    assert (p.fee_per_job, p.fee_refunds_per_job, p.processing_per_job) == (2_000, 1_000, 262)
    assert p.margin_per_job == 738
    assert p.break_even_jobs_per_month == 136  # ⌈100000 ÷ 738⌉ = ⌈135.5⌉
    assert p.break_even_note.startswith("Needs 136 jobs a month; the projection gives ")
    assert p.net_revenue_per_month == round(requests * share / 2 * 1_000)
    assert p.profit_per_month == round(requests * share / 2 * 738) - 100_000
    assert p.model is MODEL


def test_a_free_professional_installation_lowers_the_share(ch, observed):
    free = with_changes(WHAT, professional_install_free=True)
    p = project(ch, None, free, start=START, end=END, model=MODEL)
    assert p.helper_share == pytest.approx(sigmoid(1.0 - 2.0 * math.log(0.4) - 1.0))


def test_no_commission_means_no_break_even(ch, observed):
    p = project(ch, None, with_changes(WHAT, commission_bps=0), start=START, end=END, model=MODEL)
    assert p.margin_per_job == -262
    assert p.break_even_jobs_per_month is None
    assert p.break_even_note.startswith("No break-even: the margin per job is ≤ 0")


def test_projection_fits_its_own_model_and_uses_the_prior_when_thin(ch, observed):
    p = project(ch, None, WHAT, start=START, end=END)
    assert p.model.source == "prior (fewer than 30 observations)"
    assert p.model.n == 3
    assert fit_choice_model(ch, START, END) == p.model


def test_without_history_the_projection_is_empty_not_an_error(pl):
    what = current_whatif(pl, None, start=START, end=END)
    p = project(pl, None, what, start=START, end=END)
    assert (p.requests_per_month, p.helper_jobs_per_month, p.net_revenue_per_month) == (0, 0, 0)
    assert p.completion_factor == 1.0


def test_current_values_come_from_the_price_book_or_the_recent_quotes(
    ch, pl, router_wifi, observed
):
    assert current_whatif(ch, router_wifi, start=START, end=END) == WhatIf(
        helper_fee=6_000,
        commission_bps=2_000,
        professional_price=22_000,
        fixed_cost_per_month=800_000,
        professional_install_free=False,
    )
    assert current_whatif(ch, None, start=START, end=END).helper_fee == 6_000  # the 3 quotes
    pl_now = current_whatif(pl, None, start=START, end=END)  # no quotes: the price book
    assert (pl_now.commission_bps, pl_now.fixed_cost_per_month) == (1_500, 1_500_000)
    assert pl_now.helper_fee == round((6_000 * 2 + 8_000 * 2 + 10_000 + 5_000) / 6)
    assert pl_now.professional_install_free is False  # three of six


@pytest.mark.parametrize(
    "change",
    [
        {"helper_fee": 0},
        {"commission_bps": 10_001},
        {"professional_price": 0},
        {"fixed_cost_per_month": -1},
    ],
)
def test_impossible_what_ifs_are_refused(ch, change, db):
    with pytest.raises(ValidationFailed):
        project(ch, None, with_changes(WHAT, **change), start=START, end=END, model=MODEL)
