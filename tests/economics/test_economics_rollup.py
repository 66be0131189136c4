"""The economics rollup (economics/rollup.py, rolled.py): figures read through it are the figures
read from the rows, for any scope, before and after changes it has not seen yet.

A random month of a small Swiss pilot is built through the real services (waiting times on and
around the minute and T boundaries, a day or more, cancellations with fees, refunds, reviews,
expiries, professional visits, releases). Every dashboard query is computed from the rows alone
(no refresh), then through a refreshed rollup, then again after more changes without a refresh
(they must be noticed), and compared field by field.
"""

import random
from dataclasses import asdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from marketplace.economics import people, rolled
from marketplace.economics.metrics import by_area, choice_points, metrics, monthly, weekly
from marketplace.economics.models import DayFigures, RollupRun, WaitMinute
from marketplace.economics.rollup import (
    OVERLAP,
    WAIT_EDGES,
    bucket_of,
    rollup_refresh,
    wait_minute,
)
from marketplace.economics.scope import Scope
from marketplace.economics.tasks import rollup_if_due
from marketplace.jobs.dispatch import job_expire
from marketplace.jobs.models import JobEvent, JobRequest, Review
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
from marketplace.payments.models import Payment
from marketplace.payments.services import payment_refund
from marketplace.pricing.models import ServiceCategory
from marketplace.supply.cells import grid_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Europe/Zurich")
START = datetime(2026, 3, 2, tzinfo=TZ)
END = datetime(2026, 3, 30, tzinfo=TZ)
ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"
# Seconds from posting to acceptance: on, just under and just over the minute and hour marks
# the histogram and T cut at, and a day or more (the last bucket).
OUTCOMES = ("confirmed",) * 3 + ("late_cancel", "open_cancel", "professional", "expired")
OUTCOMES += ("released", "other_category")
WAITS = (0.4, 59.999999, 60, 60.000001, 61, 599, 3599.999999, 3600, 3600.000001, 7260, 90_000)


class Pilot:
    def __init__(self, rng, customers, helpers, olga, categories, capture):
        self.rng, self.customers, self.helpers, self.olga = rng, customers, helpers, olga
        self.categories, self.capture = categories, capture

    def settle(self, fn, **kwargs):
        with self.capture(execute=True):
            return fn(**kwargs)

    def when(self) -> datetime:
        day = START + timedelta(days=self.rng.randrange(28))
        # Late evening now and then: the local day differs from the UTC day.
        seconds = self.rng.choice((self.rng.randrange(86_400), 86_399, 23 * 3600 + 30 * 60))
        return day + timedelta(seconds=seconds, microseconds=self.rng.randrange(1_000_000))

    def post(self, when=None, **kwargs):
        return job_post(
            customer=self.rng.choice(self.customers),
            category=kwargs.pop("category", self.categories[0]),
            description="Please set up my new router",
            address=ADDRESS,
            now=when or self.when(),
            **kwargs,
        )

    def job(self, when=None):
        rng, helper = self.rng, self.rng.choice(self.helpers)
        outcome = rng.choice(OUTCOMES)
        if outcome == "other_category":
            job = self.post(when, category=rng.choice(self.categories[1:]))
            return self.settle(job_cancel, job=job, actor=self.olga, reason="Duplicate")
        if outcome == "professional":
            return self.post(when, fulfilment="professional")
        job = self.post(when)
        if outcome == "open_cancel":
            return self.settle(job_cancel, job=job, actor=job.customer, reason="Fixed it")
        if outcome == "expired":
            job = job_expire(job=job, now=job.created_at + timedelta(hours=4))
            if rng.random() < 0.5:
                booked = job.created_at + timedelta(hours=5)  # the window is over: a new one
                job = job_book_professional(
                    job=job,
                    customer=job.customer,
                    window_start=booked + timedelta(days=1),
                    window_end=booked + timedelta(days=1, hours=4),
                    now=booked,
                )
            return job
        accepted = job.created_at + timedelta(seconds=rng.choice(WAITS))
        job = job_accept(job=job, helper=helper, now=accepted)
        if outcome == "released":
            return job_release(job=job, helper=helper, reason="Ill", now=accepted)
        if outcome == "late_cancel":
            return self.settle(
                job_cancel,
                job=job,
                actor=job.customer,
                reason="Plans",
                now=accepted + timedelta(hours=3),
            )
        job = job_check_in(job=job, helper=helper, now=accepted + timedelta(minutes=30))
        job = job_complete(job=job, helper=helper, note="Works", now=accepted + timedelta(hours=1))
        job = self.settle(
            job_confirm, job=job, actor=job.customer, now=accepted + timedelta(hours=2)
        )
        if rng.random() < 0.7:
            nps = rng.choice((None, 0, 6, 7, 8, 9, 10))
            review_create(job=job, author=job.customer, rating=rng.randint(1, 5), nps=nps)
        if rng.random() < 0.2:
            payment_refund(payment=job.payment, amount=1_000, actor=self.olga, reason="Late")
        return job


@pytest.fixture
def pilot(ch, router_wifi, bob, carol, olga, django_capture_on_commit_callbacks):
    customers = [UserFactory(email=f"c{i}@example.com") for i in range(6)]
    categories = [router_wifi, *ServiceCategory.objects.exclude(pk=router_wifi.pk)[:2]]
    p = Pilot(
        random.Random(20260302),
        customers,
        [bob, carol],
        olga,
        categories,
        django_capture_on_commit_callbacks,
    )
    for _ in range(45):
        p.job()
    age_the_changes()
    return p


def scopes(ch, router_wifi):
    grid = grid_for(ch)
    cell = grid.cell_of(*JobRequest.objects.values_list("lat", "lng").first())
    return [
        Scope(market=ch, start=START, end=END),
        Scope(market=ch, start=START + timedelta(days=1, hours=13), end=END - timedelta(hours=7)),
        Scope(market=ch, start=START, end=END, category=router_wifi),
        Scope(market=ch, start=START, end=END, fill_within=timedelta(minutes=1)),
        Scope(market=ch, start=START, end=END, fill_within=timedelta(minutes=59)),
        Scope(market=ch, start=START, end=END, fill_within=timedelta(seconds=3600.000001)),
        Scope(market=ch, start=START, end=END, fill_within=timedelta(days=2)),
        Scope(market=ch, start=START, end=END, cell=(cell.y, cell.x)),
    ]


def age_the_changes():
    """Move the wall-clock stamps the fixture just wrote (payments' updated_at, reviews,
    events) back past the refresh overlap, as they are a few minutes after they happen in
    production; otherwise every day would still count as just changed."""
    recent = timezone.now() - timedelta(hours=1)
    back = OVERLAP + timedelta(minutes=1)
    Payment.objects.filter(updated_at__gte=recent).update(updated_at=F("updated_at") - back)
    for model in (Review, JobEvent, JobRequest):
        model.objects.filter(created_at__gte=recent).update(created_at=F("created_at") - back)


refresh = rollup_refresh


def figures(scope):
    return {
        "metrics": asdict(metrics(scope)),
        "weekly": [asdict(r) for r in weekly(scope)],
        "monthly": [asdict(r) for r in monthly(scope)],
        "by_area": [asdict(r) for r in by_area(scope)],
        "choice_points": [asdict(r) for r in choice_points(scope)],
    }


def from_rows(scope):
    """The figures with no rollup to read (every refresh forgotten, then put back)."""
    runs = list(RollupRun.objects.all())
    RollupRun.objects.all().delete()
    try:
        return figures(scope)
    finally:
        RollupRun.objects.bulk_create(runs)


def test_the_rollup_gives_the_rows_figures_for_every_scope(pilot, ch, router_wifi):
    expected = [figures(s) for s in scopes(ch, router_wifi)]
    run = refresh()
    assert run.full and DayFigures.objects.exists() and WaitMinute.objects.exists()
    for scope, want in zip(scopes(ch, router_wifi), expected, strict=True):
        assert figures(scope) == want, scope
    # The month scope is read from the rollup alone: no day is left to the rows.
    sp = rolled.split(scopes(ch, router_wifi)[0])
    assert sp.rows == () and sp.days == ((START.date(), (END - timedelta(days=1)).date()),)


def test_changes_after_a_refresh_are_read_from_the_rows(pilot, ch, router_wifi):
    refresh()
    rng = pilot.rng
    # More of everything, on days the rollup has, without a refresh: new jobs (posted "in the
    # past", as an import would), acceptances, cancellations, refunds and reviews.
    for _ in range(12):
        pilot.job()
    confirmed = JobRequest.objects.filter(status="confirmed", reviews__isnull=True).first()
    review_create(job=confirmed, author=confirmed.customer, rating=5, nps=10)
    paid = JobRequest.objects.filter(status="confirmed").order_by("-pk")[rng.randrange(3)]
    payment_refund(payment=paid.payment, amount=500, actor=pilot.olga, reason="Goodwill")
    for scope in scopes(ch, router_wifi):
        assert figures(scope) == from_rows(scope), scope
    # The next refresh takes the changed days back into the rollup, with the same figures.
    run = refresh()
    assert not run.full and run.days_recomputed >= 1
    for scope in scopes(ch, router_wifi):
        assert figures(scope) == from_rows(scope), scope


def test_only_untouched_whole_days_are_read_from_the_rollup(pilot, ch, router_wifi):
    refresh()
    when = datetime(2026, 3, 10, 12, tzinfo=TZ)
    pilot.post(when)
    scope = Scope(market=ch, start=START + timedelta(hours=6), end=END)
    sp = rolled.split(scope)
    first, touched, last = START.date(), when.date(), END.date() - timedelta(days=1)
    one = timedelta(days=1)
    assert sp.days == ((first + one, touched - one), (touched + one, last))
    assert sp.rows == (
        (scope.start, datetime(2026, 3, 3, tzinfo=TZ)),
        (datetime(2026, 3, 10, tzinfo=TZ), datetime(2026, 3, 11, tzinfo=TZ)),
    )


def test_changed_processing_costs_stop_the_rollup_being_read_until_rebuilt(
    pilot, ch, router_wifi, settings
):
    refresh()
    scope = Scope(market=ch, start=START, end=END)
    settings.PAYMENT_PROCESSING_BPS = 150
    assert rolled.split(scope).days == ()
    expected = figures(scope)
    run = refresh()
    assert run.full and run.processing_bps == 150
    assert rolled.split(scope).days != ()
    assert figures(scope) == expected


def test_an_incremental_refresh_recomputes_only_changed_days_and_changes_nothing_else(
    pilot, ch, router_wifi
):
    full = refresh()
    before = list(DayFigures.objects.order_by("pk").values())
    again = refresh()
    assert full.full and not again.full
    assert again.days_recomputed <= 2  # today, in each market (no change since)
    after = list(DayFigures.objects.order_by("pk").values())
    strip = [{k: v for k, v in r.items() if k != "id"} for r in before]
    assert [{k: v for k, v in r.items() if k != "id"} for r in after] == strip


def test_a_range_rebuild_drops_the_days_of_deleted_jobs(pilot, ch, router_wifi):
    refresh()
    scope = Scope(market=ch, start=START, end=END)
    gone = JobRequest.objects.filter(status="professional", choice="professional")
    day = gone.first().created_at.astimezone(TZ).date()
    gone.filter(
        created_at__date=gone.first().created_at.date()
    ).delete()  # not marked by any change
    refresh(since=day, until=day + timedelta(days=1))
    assert figures(scope) == from_rows(scope)


def test_the_periodic_task_refreshes_only_when_due(pilot, settings):
    settings.ECONOMICS_ROLLUP_MINUTES = 10
    assert rollup_if_due() > 0
    assert rollup_if_due() is None  # just ran
    later = RollupRun.objects.get().ran_at + timedelta(minutes=11)
    assert rollup_if_due(now=later) is not None
    assert RollupRun.objects.count() == 2


def test_the_command_rebuilds_from_scratch(pilot, ch, router_wifi, capsys):
    refresh()
    DayFigures.objects.update(gmv=0, fees=0)  # drifted, somehow
    call_command("economics_rollup", "--rebuild")
    assert "economics rollup (full)" in capsys.readouterr().out
    scope = Scope(market=ch, start=START, end=END)
    assert figures(scope) == from_rows(scope)


def test_an_empty_market_has_no_rollup_rows(pl):
    run = refresh()
    assert run.full and run.rows_written == 0
    scope = Scope(market=pl, start=START, end=END)
    m = metrics(scope)
    assert (m.posted, m.median_accept_seconds, m.fill_rate) == (0, None, None)


def test_people_are_counted_the_same_by_scanning_jobs_and_probing_users(pilot, ch, router_wifi):
    for scope in scopes(ch, router_wifi):
        m = metrics(scope)
        assert m.customers > 0 or scope.cell is not None
        for strategy in ("scan", "probe"):
            c = people.customers(scope, posted=m.posted, strategy=strategy)
            h = people.helpers_with_confirmed_jobs(scope, confirmed=m.confirmed, strategy=strategy)
            assert (c["all"], c["repeat"]) == (m.customers, m.repeat_customers), strategy
            assert h["all"] == m.helpers_with_confirmed_jobs, strategy
            assert (h["both"] / h["first"] if h["first"] else None) == m.helper_retention


def test_the_database_keeps_the_exact_wait_and_buckets_it_as_python_does(pilot):
    accepted = JobRequest.objects.filter(accepted_at__isnull=False).annotate(bucket=wait_minute())
    assert accepted.count() >= 10
    for job in accepted:
        exact = (job.accepted_at - job.created_at) // timedelta(microseconds=1)
        assert job.accept_wait_us == exact
        assert job.bucket == bucket_of(exact)
    assert not JobRequest.objects.filter(accepted_at__isnull=True, accept_wait_us__isnull=False)


BUCKETS = [(-5, 0), (0, 0), (59.999999, 0), (60, 1), (299.9, 4), (300, 5), (3599.999999, 45)]
BUCKETS += [(3600, 60), (86_399, 720), (86_400, 1440), (10 * 86_400, 1440)]


@pytest.mark.parametrize(("seconds", "bucket"), BUCKETS)
def test_waits_fall_in_the_bucket_of_their_first_minute(seconds, bucket):
    assert bucket_of(round(seconds * 1_000_000)) == bucket
    assert bucket in WAIT_EDGES
