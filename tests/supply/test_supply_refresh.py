"""supply_refresh: exact figures per market × cell × category × day from a hand-built pilot day,
idempotency, and incremental runs that pick up what changed."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from marketplace.helpers.models import HelperStatus
from marketplace.jobs.dispatch import offers_expire_due
from marketplace.jobs.models import JobOffer, JobRequest, JobStatus, OfferStatus
from marketplace.jobs.services import job_accept, job_book_professional, job_post, offer_decline
from marketplace.pricing.models import ServiceCategory
from marketplace.supply.cells import grid_for
from marketplace.supply.models import SupplyDemandStat, SupplyRefreshRun
from marketplace.supply.services import supply_refresh
from tests.factories import ZURICH, helper_profile

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("Europe/Zurich")
BERN = (46.94809, 7.44744)
FIGURES = (
    "requests_posted",
    "jobs_accepted",
    "jobs_expired",
    "offers_sent",
    "offers_accepted",
    "offers_declined",
    "offers_expired",
    "active_helpers",
    "active_helpers_any_skill",
    "accept_seconds_sum",
    "median_accept_seconds",
    "p90_accept_seconds",
)


def post(customer, category, at, point=ZURICH, **extra):
    return job_post(
        customer=customer,
        category=category,
        description="The router keeps dropping the connection",
        lat=point[0],
        lng=point[1],
        now=at,
        **extra,
    )


def figures(row: SupplyDemandStat) -> dict:
    return {name: getattr(row, name) for name in FIGURES}


def snapshot() -> set[tuple]:
    return {
        (r.market_id, r.cell_km, r.cell_y, r.cell_x, r.category_id, r.period, *figures(r).values())
        for r in SupplyDemandStat.objects.all()
    }


@pytest.fixture
def day():
    """Three days ago in Zürich, 09:00 local: in the past, so real-time job events (written
    with the wall clock) are all older than a refresh run now."""
    today = timezone.localtime(timezone.now(), ZONE).date()
    return datetime.combine(today - timedelta(days=3), datetime.min.time(), tzinfo=ZONE).replace(
        hour=9
    )


@pytest.fixture
def tv(reference):
    return ServiceCategory.objects.get(slug="tv-decoder")


@pytest.fixture
def pilot_day(day, alice, bob, carol, router_wifi, tv):
    """One day in Zürich and Bern (bob and carol: vetted, all skills, ~1 km from the jobs).

    router-wifi, Zürich: job1 bob accepts after 10 min; job2 carol declines, bob accepts after
    30 min; job3 offered to carol only (bob is full), her offer expires, the job expires and is
    then booked as a professional visit (fallback); job4 booked as professional at posting (not a
    helper request). tv-decoder, Zürich: job5 offered to carol and tom, unanswered. router-wifi,
    Bern: job6 offered to berta, unanswered."""
    tom = helper_profile(lat=ZURICH[0] + 0.015, lng=ZURICH[1], skills=[tv]).user
    berta = helper_profile(lat=BERN[0], lng=BERN[1], city="Bern").user
    # Near Zürich but not active supply: paused, suspended, still applying.
    helper_profile(lat=ZURICH[0], lng=ZURICH[1] + 0.01, is_available=False)
    helper_profile(lat=ZURICH[0], lng=ZURICH[1] - 0.01, status=HelperStatus.SUSPENDED)
    helper_profile(lat=ZURICH[0] + 0.005, lng=ZURICH[1], status=HelperStatus.APPLIED)

    job1 = post(alice, router_wifi, day)
    assert set(job1.offers.values_list("helper_id", flat=True)) == {bob.pk, carol.pk}
    job_accept(job=job1, helper=bob, now=day + timedelta(minutes=10))

    at = day + timedelta(hours=1)
    job2 = post(alice, router_wifi, at)
    offer_decline(offer=job2.offers.get(helper=carol), helper=carol, now=at + timedelta(minutes=5))
    job_accept(job=job2, helper=bob, now=at + timedelta(minutes=30))

    at = day + timedelta(hours=2)
    job3 = post(alice, router_wifi, at)
    assert list(job3.offers.values_list("helper_id", flat=True)) == [carol.pk]
    offers_expire_due(now=at + timedelta(minutes=16))
    job3.refresh_from_db()
    assert job3.status == JobStatus.EXPIRED
    job_book_professional(job=job3, customer=alice, now=at + timedelta(minutes=20))

    job4 = post(alice, router_wifi, day + timedelta(hours=3), fulfilment="professional")
    assert job4.status == JobStatus.PROFESSIONAL

    job5 = post(alice, tv, day + timedelta(hours=4))
    assert set(job5.offers.values_list("helper_id", flat=True)) == {carol.pk, tom.pk}

    job6 = post(alice, router_wifi, day + timedelta(hours=5), point=BERN)
    assert list(job6.offers.values_list("helper_id", flat=True)) == [berta.pk]
    return {"jobs": [job1, job2, job3, job4, job5, job6], "tom": tom, "berta": berta}


def _row(market, category, point, day):
    cell = grid_for(market).cell_of(*point)
    return SupplyDemandStat.objects.get(
        market=market, category=category, cell_y=cell.y, cell_x=cell.x, period=day.date()
    )


def test_it_counts_a_hand_built_day_exactly(pilot_day, day, ch, router_wifi, tv):
    run = supply_refresh()

    assert SupplyDemandStat.objects.count() == 3
    assert figures(_row(ch, router_wifi, ZURICH, day)) == {
        "requests_posted": 3,  # job4 was booked as a professional visit straight away
        "jobs_accepted": 2,
        "jobs_expired": 1,  # job3, even though it was then booked as a professional visit
        "offers_sent": 5,  # job1: bob, carol; job2: bob, carol; job3: carol
        "offers_accepted": 2,
        "offers_declined": 1,
        "offers_expired": 1,  # carol's on job1 was only withdrawn
        "active_helpers": 2,  # bob, carol (tom lacks the skill; the others are not active)
        "active_helpers_any_skill": 3,
        "accept_seconds_sum": 600 + 1800,
        "median_accept_seconds": 1200,
        "p90_accept_seconds": 1800,
    }
    assert figures(_row(ch, tv, ZURICH, day)) == {
        "requests_posted": 1,
        "jobs_accepted": 0,
        "jobs_expired": 0,
        "offers_sent": 2,
        "offers_accepted": 0,
        "offers_declined": 0,
        "offers_expired": 0,
        "active_helpers": 3,
        "active_helpers_any_skill": 3,
        "accept_seconds_sum": 0,
        "median_accept_seconds": None,
        "p90_accept_seconds": None,
    }
    bern = _row(ch, router_wifi, BERN, day)
    assert (bern.requests_posted, bern.offers_sent, bern.active_helpers) == (1, 1, 1)
    assert {r.computed_at for r in SupplyDemandStat.objects.all()} == {run.ran_at}
    assert not run.incremental
    assert run.rows_written == 3


def test_the_day_is_the_market_local_day(alice, bob, router_wifi, ch):
    # 00:30 in Zürich is the previous day in UTC: the row belongs to the local day.
    today = timezone.localtime(timezone.now(), ZONE).date()
    local = datetime.combine(today - timedelta(days=2), datetime.min.time(), tzinfo=ZONE)
    post(alice, router_wifi, local.replace(minute=30))
    supply_refresh()
    row = SupplyDemandStat.objects.get()
    assert row.period == local.date()
    assert row.cell_km == 5


def test_median_and_p90_over_more_jobs(ch, router_wifi, alice, bob, day):
    """Ten accepted jobs built directly: median of an even count is the mean of the middle two;
    p90 is the nearest rank; a job never accepted does not count."""
    waits = [60, 120, 180, 240, 300, 600, 900, 1200, 1800, 3600]
    template = post(alice, router_wifi, day)  # dispatched to bob, left pending
    for i, wait in enumerate(reversed(waits)):
        created = day + timedelta(minutes=i)
        JobRequest.objects.create(
            **{
                f.name: getattr(template, f.name)
                for f in JobRequest._meta.concrete_fields
                if f.name not in {"id", "status", "assigned_helper", "created_at", "accepted_at"}
            },
            status=JobStatus.ACCEPTED,
            assigned_helper=bob,
            created_at=created,
            accepted_at=created + timedelta(seconds=wait),
        )
    supply_refresh()
    row = SupplyDemandStat.objects.get()
    assert (row.requests_posted, row.jobs_accepted) == (11, 10)
    assert row.median_accept_seconds == (300 + 600) // 2
    assert row.p90_accept_seconds == 1800
    assert row.accept_seconds_sum == sum(waits)

    # An odd count (the three slowest were created first): 60 … 900, the middle one.
    slow = JobRequest.objects.filter(accepted_at__isnull=False).order_by("created_at")[:3]
    JobRequest.objects.filter(pk__in=[j.pk for j in slow]).delete()
    supply_refresh(since=day - timedelta(days=1))
    row = SupplyDemandStat.objects.get()
    assert row.jobs_accepted == 7
    assert (row.median_accept_seconds, row.p90_accept_seconds) == (240, 900)


def test_running_it_again_gives_the_same_rows(pilot_day, day):
    supply_refresh()
    first = snapshot()
    assert first
    supply_refresh()  # incremental
    assert snapshot() == first
    supply_refresh(since=day - timedelta(days=7))  # a rebuild of a range
    assert snapshot() == first
    supply_refresh(since=day.date(), until=day.date() + timedelta(days=1))  # that one day
    assert snapshot() == first


def test_an_incremental_run_recomputes_only_what_changed(
    pilot_day, day, alice, carol, router_wifi, tv, ch, monkeypatch
):
    monkeypatch.setattr("marketplace.supply.services.OVERLAP", timedelta(0))
    first = supply_refresh()
    assert SupplyRefreshRun.objects.count() == 1

    # A new request today: the next run adds today's row and leaves the old day alone.
    now = timezone.now()
    post(alice, router_wifi, now)
    second = supply_refresh()
    assert second.incremental
    assert second.days_recomputed == 2  # today in Switzerland and in Poland
    old_day = SupplyDemandStat.objects.filter(period=day.date())
    assert set(old_day.values_list("computed_at", flat=True)) == {first.ran_at}
    today = SupplyDemandStat.objects.get(period=timezone.localtime(now, ZONE).date())
    assert (today.requests_posted, today.computed_at) == (1, second.ran_at)

    # An answer to an old offer: that old day is recomputed.
    job5 = pilot_day["jobs"][4]
    offer_decline(offer=job5.offers.get(helper=carol), helper=carol)
    third = supply_refresh()
    row = _row(ch, tv, ZURICH, day)
    assert (row.offers_declined, row.computed_at) == (1, third.ran_at)
    assert _row(ch, router_wifi, ZURICH, day).computed_at == third.ran_at  # same day


def test_a_rebuild_drops_rows_whose_jobs_are_gone(alice, bob, router_wifi, day):
    job = post(alice, router_wifi, day)
    supply_refresh()
    assert SupplyDemandStat.objects.count() == 1
    JobOffer.objects.filter(job=job).delete()
    JobRequest.objects.filter(pk=job.pk).delete()
    supply_refresh(since=day - timedelta(days=1))
    assert not SupplyDemandStat.objects.exists()


def test_the_periodic_task_refreshes_when_due(alice, bob, router_wifi, day, settings):
    from django.core.management import call_command

    from marketplace.supply.tasks import refresh_if_due

    settings.SUPPLY_REFRESH_MINUTES = 10
    post(alice, router_wifi, day)
    call_command("run_scheduler", "--once")  # tests run tasks with the immediate backend
    assert SupplyRefreshRun.objects.count() == 1
    assert SupplyDemandStat.objects.get().requests_posted == 1
    assert refresh_if_due() is None  # ran a moment ago
    assert refresh_if_due(now=timezone.now() + timedelta(minutes=11)) == 1
    assert SupplyRefreshRun.objects.count() == 2


def test_declined_withdrawn_and_pending_offers_are_told_apart(alice, bob, carol, router_wifi, day):
    job = post(alice, router_wifi, day)
    offer_decline(offer=job.offers.get(helper=carol), helper=carol, now=day)
    supply_refresh()
    row = SupplyDemandStat.objects.get()
    assert (row.offers_sent, row.offers_declined, row.offers_accepted) == (2, 1, 0)
    assert JobOffer.objects.filter(job=job, status=OfferStatus.PENDING).count() == 1
