"""Dispatch (DESIGN §4): offers to the best k, widening radius steps, expiry to the professional
fallback, and automatic confirmation. The Swiss market dispatches to k=3 helpers with a 15-minute
deadline over radius steps 2, 5, 10 and 25 km."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.accounts.models import Role
from marketplace.core.errors import NotAllowed
from marketplace.helpers.availability import window_hours
from marketplace.helpers.models import HOURS_PER_WEEK, HelperProfile
from marketplace.jobs.dispatch import job_dispatch, offers_expire_due
from marketplace.jobs.models import JobEvent, JobOffer, JobStatus, OfferStatus
from marketplace.jobs.services import (
    job_accept,
    jobs_auto_confirm_due,
    offer_decline,
)
from tests.factories import ZURICH, helper_profile, job_at, posted_job

pytestmark = pytest.mark.django_db

KM_PER_DEG_LAT = 111.195


def helper_at(km: float, **extra) -> HelperProfile:
    """A vetted helper `km` north of central Zürich (where jobs are posted)."""
    return helper_profile(lat=ZURICH[0] + km / KM_PER_DEG_LAT, lng=ZURICH[1], **extra)


def post(customer, category, now, **extra):
    return posted_job(
        customer=customer,
        category=category,
        description="The new router does not connect to the fibre box",
        lat=ZURICH[0],
        lng=ZURICH[1],
        now=now,
        **extra,
    )


def offered_to(job, **filters) -> set[int]:
    return set(JobOffer.objects.filter(job=job, **filters).values_list("helper_id", flat=True))


def pending(job) -> set[int]:
    return offered_to(job, status=OfferStatus.PENDING)


@pytest.fixture
def now():
    return timezone.now()


def test_posting_offers_the_best_k_helpers_with_the_market_deadline(alice, router_wifi, ch, now):
    nearest = [helper_at(km) for km in (0.4, 1.2, 1.5)]
    helper_at(1.8)  # fourth best: not offered while k = 3

    job = post(alice, router_wifi, now)

    assert job.status == JobStatus.OFFERED
    assert job.dispatch_step == 0
    offers = JobOffer.objects.filter(job=job)
    assert {o.helper_id for o in offers} == {p.user_id for p in nearest}
    assert {o.expires_at for o in offers} == {now + timedelta(minutes=ch.offer_deadline_minutes)}
    assert {o.step for o in offers} == {0}
    event = JobEvent.objects.get(job=job, kind="offered")
    assert (event.from_status, event.to_status) == ("open", "offered")
    assert event.data["radius_km"] == 2.0
    assert sorted(event.data["helpers"]) == sorted(p.user_id for p in nearest)


def test_dispatch_k_and_deadline_come_from_the_market(alice, router_wifi, ch, now):
    ch.dispatch_k, ch.offer_deadline_minutes = 1, 5
    ch.save()
    helper_at(1.5)
    best = helper_at(0.5)

    job = post(alice, router_wifi, now)

    offer = JobOffer.objects.get(job=job)
    assert offer.helper_id == best.user_id
    assert offer.expires_at == now + timedelta(minutes=5)


def test_no_helper_in_the_first_step_widens_to_the_next_radius(alice, router_wifi, now):
    farther = helper_at(3.5)

    job = post(alice, router_wifi, now)

    assert job.status == JobStatus.OFFERED
    assert job.dispatch_step == 1
    offer = JobOffer.objects.get(job=job)
    assert (offer.helper_id, offer.step) == (farther.user_id, 1)
    assert offer.distance_km == pytest.approx(3.5, abs=0.01)


def test_offers_before_their_deadline_are_left_alone(alice, bob, router_wifi, now):
    job = post(alice, router_wifi, now)

    assert offers_expire_due(now=now + timedelta(minutes=14)) == 0

    assert pending(job) == {bob.pk}


def test_expired_offers_move_to_the_next_step_and_exclude_offered_helpers(
    alice, bob, carol, router_wifi, now
):
    farther = helper_at(4)

    job = post(alice, router_wifi, now)
    assert pending(job) == {bob.pk, carol.pk}

    later = now + timedelta(minutes=15)
    assert offers_expire_due(now=later) == 1

    job.refresh_from_db()
    assert job.status == JobStatus.OFFERED
    assert job.dispatch_step == 1
    assert offered_to(job, status=OfferStatus.EXPIRED) == {bob.pk, carol.pk}
    assert pending(job) == {farther.user_id}
    second = JobOffer.objects.get(job=job, helper_id=farther.user_id)
    assert (second.step, second.sent_at) == (1, later)


def test_after_the_last_step_the_job_expires_to_the_professional_fallback(
    alice, bob, router_wifi, now
):
    job = post(alice, router_wifi, now)

    offers_expire_due(now=now + timedelta(minutes=20))

    job.refresh_from_db()
    assert job.status == JobStatus.EXPIRED
    assert job.closed_at == now + timedelta(minutes=20)
    event = JobEvent.objects.get(job=job, kind="expired")
    assert (event.from_status, event.to_status) == ("offered", "expired")
    assert event.data == {"fallback": "professional", "professional_price": 22_000}
    assert job.professional_price == 22_000
    assert not pending(job)


def test_a_job_with_nobody_in_range_expires_at_once(alice, router_wifi, now):
    helper_at(30)  # beyond the market's 25 km

    job = post(alice, router_wifi, now)

    assert job.status == JobStatus.EXPIRED
    assert job.dispatch_step == 3
    assert not JobOffer.objects.filter(job=job).exists()
    kinds = list(JobEvent.objects.filter(job=job).values_list("kind", "from_status", "to_status"))
    assert kinds == [("posted", "", "open"), ("expired", "open", "expired")]


def test_decline_by_everyone_moves_to_the_next_step(alice, bob, carol, router_wifi, now):
    farther = helper_at(4)
    job = post(alice, router_wifi, now)

    offer_decline(offer=JobOffer.objects.get(job=job, helper=bob), helper=bob, now=now)
    assert pending(job) == {carol.pk}  # one still pending: no new round yet

    offer_decline(offer=JobOffer.objects.get(job=job, helper=carol), helper=carol, now=now)

    job.refresh_from_db()
    assert job.dispatch_step == 1
    assert pending(job) == {farther.user_id}
    assert offered_to(job, status=OfferStatus.DECLINED) == {bob.pk, carol.pk}


def test_decline_of_the_last_offer_in_the_last_step_expires_the_job(alice, bob, router_wifi, now):
    job = post(alice, router_wifi, now)

    offer_decline(offer=JobOffer.objects.get(job=job, helper=bob), helper=bob, now=now)

    job.refresh_from_db()
    assert job.status == JobStatus.EXPIRED


def test_only_the_offered_helper_can_decline(alice, bob, carol, router_wifi, now):
    job = post(alice, router_wifi, now)

    with pytest.raises(NotAllowed):
        offer_decline(offer=JobOffer.objects.get(job=job, helper=bob), helper=carol, now=now)


def test_advancing_while_offers_are_pending_sends_no_second_round(alice, bob, router_wifi, now):
    farther = helper_at(4)
    job = post(alice, router_wifi, now)

    assert job_dispatch(job=job, now=now, advance=True) == []

    job.refresh_from_db()
    assert job.dispatch_step == 0
    assert pending(job) == {bob.pk}
    assert farther.user_id not in offered_to(job)


def test_job_whose_window_has_ended_expires(alice, bob, router_wifi, ch, now):
    ch.offer_deadline_minutes = 24 * 60  # offers would still be pending
    ch.save()
    job = post(alice, router_wifi, now, window_end=now + timedelta(hours=2))

    offers_expire_due(now=now + timedelta(hours=1))
    job.refresh_from_db()
    assert job.status == JobStatus.OFFERED

    offers_expire_due(now=now + timedelta(hours=2))

    job.refresh_from_db()
    assert job.status == JobStatus.EXPIRED
    assert offered_to(job, status=OfferStatus.WITHDRAWN) == {bob.pk}
    assert JobEvent.objects.get(job=job, kind="expired").data["fallback"] == "professional"


def test_a_new_round_after_the_window_has_ended_expires_instead(alice, bob, router_wifi, now):
    helper_at(4)
    job = post(alice, router_wifi, now, window_end=now + timedelta(minutes=10))

    offers_expire_due(now=now + timedelta(minutes=15))

    job.refresh_from_db()
    assert job.status == JobStatus.EXPIRED
    assert offered_to(job) == {bob.pk}  # nobody was asked for a window already over


def test_helpers_unavailable_in_the_window_get_no_offer(alice, router_wifi, ch, now):
    start, end = now + timedelta(hours=1), now + timedelta(hours=3)
    busy = helper_at(0.5)
    hours = window_hours(start, end, ch.time_zone)
    mask = "".join("0" if h in hours else "1" for h in range(HOURS_PER_WEEK))
    HelperProfile.objects.filter(pk=busy.pk).update(availability_hours=mask)
    free = helper_at(1.5)

    job = post(alice, router_wifi, now, window_start=start, window_end=end)

    assert offered_to(job) == {free.user_id}


def test_the_customer_is_never_offered_their_own_job(alice, bob, router_wifi, now):
    # Alice also helps (a profile next door) but posts as a customer.
    helper_profile(user=alice, lat=ZURICH[0], lng=ZURICH[1])
    alice.role = Role.CUSTOMER
    alice.save(update_fields=["role"])
    job = post(alice, router_wifi, now)
    assert offered_to(job) == {bob.pk}

    offers_expire_due(now=now + timedelta(minutes=15))  # the next rounds: still not her

    assert alice.pk not in offered_to(job)
    alice.role = Role.HELPER
    with pytest.raises(NotAllowed):
        job_accept(job=job, helper=alice, now=now)


@pytest.fixture
def completed_job(alice, bob, router_wifi, now):
    return job_at(
        JobStatus.COMPLETED,
        customer=alice,
        helper=bob,
        category=router_wifi,
        note="Router set up",
        now=now,
        description="The new router does not connect to the fibre box",
        lat=ZURICH[0],
        lng=ZURICH[1],
    )


def test_completed_jobs_are_confirmed_automatically_after_the_delay(completed_job, settings, now):
    settings.AUTO_CONFIRM_HOURS = 24

    assert jobs_auto_confirm_due(now=now + timedelta(hours=23, minutes=59)) == 0
    completed_job.refresh_from_db()
    assert completed_job.status == JobStatus.COMPLETED

    assert jobs_auto_confirm_due(now=now + timedelta(hours=24)) == 1

    completed_job.refresh_from_db()
    assert completed_job.status == JobStatus.CONFIRMED
    assert completed_job.closed_at == now + timedelta(hours=24)
    event = JobEvent.objects.get(job=completed_job, kind="auto_confirmed")
    assert (event.actor, event.from_status, event.to_status) == (None, "completed", "confirmed")
    assert jobs_auto_confirm_due(now=now + timedelta(hours=48)) == 0


def test_auto_confirmation_leaves_jobs_in_other_states_alone(alice, bob, router_wifi, settings):
    settings.AUTO_CONFIRM_HOURS = 1
    now = timezone.now()
    job = post(alice, router_wifi, now)
    job_accept(job=job, helper=bob, now=now)

    assert jobs_auto_confirm_due(now=now + timedelta(days=3)) == 0
    job.refresh_from_db()
    assert job.status == JobStatus.ACCEPTED
