"""Acceptance (DESIGN §3, §4): the first valid acceptance wins, from an offer or from the nearby
feed; the helper must be vetted, skilled, in range and below their maximum load."""

import pytest
from django.utils import timezone

from marketplace.core.errors import InvalidTransition, NotAllowed
from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.jobs.models import JobEvent, JobOffer, JobRequest, JobStatus, OfferStatus
from marketplace.jobs.services import job_accept, job_cancel, job_post, offer_decline
from marketplace.pricing.models import ServiceCategory
from tests.factories import ZURICH, helper_profile

pytestmark = pytest.mark.django_db

KM_PER_DEG_LAT = 111.195


@pytest.fixture
def now():
    return timezone.now()


def post(customer, category, now):
    return job_post(
        customer=customer,
        category=category,
        description="The new router does not connect to the fibre box",
        lat=ZURICH[0],
        lng=ZURICH[1],
        now=now,
    )


@pytest.fixture
def job(alice, bob, carol, router_wifi, now):
    return post(alice, router_wifi, now)


def offers(job) -> dict[int, str]:
    return dict(JobOffer.objects.filter(job=job).values_list("helper_id", "status"))


def test_accepting_an_offer_assigns_the_helper_and_withdraws_the_others(job, bob, carol, now):
    assert offers(job) == {bob.pk: OfferStatus.PENDING, carol.pk: OfferStatus.PENDING}

    accepted = job_accept(job=job, helper=bob, now=now)

    assert accepted.status == JobStatus.ACCEPTED
    assert (accepted.assigned_helper_id, accepted.accepted_at) == (bob.pk, now)
    assert offers(job) == {bob.pk: OfferStatus.ACCEPTED, carol.pk: OfferStatus.WITHDRAWN}
    event = JobEvent.objects.get(job=job, kind="accepted")
    assert (event.from_status, event.to_status, event.actor_id) == ("offered", "accepted", bob.pk)
    assert event.data["helper_id"] == bob.pk
    assert event.data["distance_km"] == pytest.approx(1.11, abs=0.01)


def test_second_acceptance_is_refused(job, bob, carol):
    job_accept(job=job, helper=bob)

    with pytest.raises(InvalidTransition):
        job_accept(job=JobRequest.objects.get(pk=job.pk), helper=carol)

    job.refresh_from_db()
    assert job.assigned_helper_id == bob.pk
    assert JobOffer.objects.filter(job=job, status=OfferStatus.ACCEPTED).count() == 1
    assert HelperProfile.objects.get(user=carol).active_jobs == 0


def test_helper_in_range_can_accept_from_the_feed_without_an_offer(alice, router_wifi, ch, now):
    ch.dispatch_k = 1
    ch.save()
    offered = helper_profile(lat=ZURICH[0] + 0.5 / KM_PER_DEG_LAT)
    from_feed = helper_profile(lat=ZURICH[0] + 3 / KM_PER_DEG_LAT, radius_km=5)
    job = post(alice, router_wifi, now)
    assert set(offers(job)) == {offered.user_id}

    job = job_accept(job=job, helper=from_feed.user, now=now)

    assert job.assigned_helper_id == from_feed.user_id
    assert offers(job) == {
        offered.user_id: OfferStatus.WITHDRAWN,
        from_feed.user_id: OfferStatus.ACCEPTED,
    }
    offer = JobOffer.objects.get(job=job, helper=from_feed.user)
    assert offer.distance_km == pytest.approx(3, abs=0.01)
    assert HelperProfile.objects.get(pk=from_feed.pk).active_jobs == 1


def test_helper_outside_their_own_radius_cannot_accept(job):
    far = helper_profile(lat=ZURICH[0] + 6 / KM_PER_DEG_LAT, radius_km=5)

    with pytest.raises(NotAllowed, match="radius"):
        job_accept(job=job, helper=far.user)

    assert JobRequest.objects.get(pk=job.pk).status == JobStatus.OFFERED


def test_helper_without_the_skill_cannot_accept(job):
    tv_only = helper_profile(skills=[ServiceCategory.objects.get(slug="tv-decoder")])

    with pytest.raises(NotAllowed, match="skill"):
        job_accept(job=job, helper=tv_only.user)


@pytest.mark.parametrize("helper_status", [HelperStatus.APPLIED, HelperStatus.SUSPENDED])
def test_helper_who_is_not_vetted_cannot_accept(job, helper_status):
    helper = helper_profile(status=helper_status)

    with pytest.raises(NotAllowed, match="vetted"):
        job_accept(job=job, helper=helper.user)


def test_applicant_dave_cannot_accept(job, dave):
    with pytest.raises(NotAllowed):
        job_accept(job=job, helper=dave)


def test_customers_and_operators_cannot_accept(job, mallory, olga):
    for user in (mallory, olga):
        with pytest.raises(NotAllowed):
            job_accept(job=job, helper=user)


def test_helper_who_declined_can_still_take_the_job_from_the_feed(job, bob, now):
    offer_decline(offer=JobOffer.objects.get(job=job, helper=bob), helper=bob, now=now)

    job_accept(job=JobRequest.objects.get(pk=job.pk), helper=bob, now=now)

    assert offers(job)[bob.pk] == OfferStatus.ACCEPTED


def test_cancelled_job_cannot_be_accepted(job, alice, bob):
    job_cancel(job=job, actor=alice, reason="Fixed it myself")

    with pytest.raises(InvalidTransition):
        job_accept(job=job, helper=bob)


# --- Maximum load -------------------------------------------------------------------------------


@pytest.fixture
def second_job(mallory, router_wifi, now):
    return post(mallory, router_wifi, now)


def test_max_active_jobs_blocks_acceptance_and_leaves_the_job_open(job, second_job, bob, now):
    HelperProfile.objects.filter(user=bob).update(max_active_jobs=1)
    job_accept(job=job, helper=bob, now=now)

    with pytest.raises(InvalidTransition, match="active jobs"):
        job_accept(job=second_job, helper=bob, now=now)

    second_job.refresh_from_db()
    assert (second_job.status, second_job.assigned_helper_id) == (JobStatus.OFFERED, None)
    assert offers(second_job)[bob.pk] == OfferStatus.PENDING
    assert not JobEvent.objects.filter(job=second_job, kind="accepted").exists()
    assert HelperProfile.objects.get(user=bob).active_jobs == 1


def test_load_check_in_the_update_rolls_the_acceptance_back(
    job, second_job, bob, carol, now, monkeypatch
):
    """The pre-check can pass on a stale read; the conditional load update is the real guard."""
    HelperProfile.objects.filter(user=bob).update(max_active_jobs=1)
    job_accept(job=job, helper=bob, now=now)
    monkeypatch.setattr(HelperProfile, "has_capacity", property(lambda self: True))

    with pytest.raises(InvalidTransition):
        job_accept(job=second_job, helper=bob, now=now)

    second_job.refresh_from_db()
    assert (second_job.status, second_job.assigned_helper_id) == (JobStatus.OFFERED, None)
    assert not JobEvent.objects.filter(job=second_job, kind="accepted").exists()
    assert offers(second_job)[bob.pk] == OfferStatus.PENDING
    assert HelperProfile.objects.get(user=bob).active_jobs == 1
    # The job is still there for someone else.
    assert job_accept(job=second_job, helper=carol, now=now).assigned_helper_id == carol.pk


def test_helper_below_max_load_can_take_a_second_job(job, second_job, bob, now):
    job_accept(job=job, helper=bob, now=now)
    job_accept(job=second_job, helper=bob, now=now)

    assert HelperProfile.objects.get(user=bob).active_jobs == 2
