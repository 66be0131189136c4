"""Acceptance (DESIGN §3, §4): the first valid acceptance wins, from an offer or from the nearby
feed; the helper must be vetted, skilled, in range and below their maximum load."""

import pytest
from django.utils import timezone

from marketplace.core.errors import InvalidTransition, NotAllowed, NotFound
from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.jobs.models import JobEvent, JobOffer, JobRequest, JobStatus, OfferStatus
from marketplace.jobs.selectors import job_for_acceptance, job_for_user
from marketplace.jobs.services import job_accept, job_cancel, offer_decline
from marketplace.pricing.models import ServiceCategory
from tests.factories import ZURICH, helper_profile, posted_job

pytestmark = pytest.mark.django_db

KM_PER_DEG_LAT = 111.195


@pytest.fixture
def now():
    return timezone.now()


def post(customer, category, now):
    return posted_job(
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


# --- Coming too late (issue 21) -------------------------------------------------------------------

TAKEN = {"detail": "Another helper already accepted this job", "code": "conflict"}


@pytest.fixture
def feed_only(alice, bob, router_wifi, ch, now):
    """A job offered to bob only, and erin, a vetted helper in range who sees it in her feed."""
    ch.dispatch_k = 1
    ch.save()
    job = post(alice, router_wifi, now)
    erin = helper_profile(lat=ZURICH[0] + 2 / KM_PER_DEG_LAT).user
    assert set(offers(job)) == {bob.pk}
    return job, erin


def test_feed_helper_who_comes_after_the_winner_gets_409_not_404(api_as, feed_only, bob):
    job, erin = feed_only
    assert api_as(bob).post(f"/api/jobs/{job.pk}/accept").status_code == 200

    resp = api_as(erin).post(f"/api/jobs/{job.pk}/accept")

    assert (resp.status_code, resp.json()) == (409, TAKEN)  # the error only, no job details
    # She still cannot read the job itself: the 409 is for the acceptance only.
    assert api_as(erin).get(f"/api/jobs/{job.pk}").status_code == 404
    assert JobRequest.objects.get(pk=job.pk).assigned_helper_id == bob.pk
    assert HelperProfile.objects.get(user=erin).active_jobs == 0


def test_offered_helper_who_comes_after_the_winner_gets_409(api_as, job, bob, carol):
    assert api_as(bob).post(f"/api/jobs/{job.pk}/accept").status_code == 200

    resp = api_as(carol).post(f"/api/jobs/{job.pk}/accept")

    assert (resp.status_code, resp.json()) == (409, TAKEN)


def test_the_winner_pressing_accept_again_is_told_the_job_is_already_theirs(api_as, job, bob):
    assert api_as(bob).post(f"/api/jobs/{job.pk}/accept").status_code == 200

    resp = api_as(bob).post(f"/api/jobs/{job.pk}/accept")

    assert resp.status_code == 409
    assert resp.json()["detail"] == "You have already accepted this job"


def test_a_stale_copy_losing_in_the_service_gets_the_same_message(job, bob, carol):
    stale = JobRequest.objects.get(pk=job.pk)
    job_accept(job=job, helper=bob)

    with pytest.raises(InvalidTransition, match=r"^Another helper already accepted this job$"):
        job_accept(job=stale, helper=carol)


def test_offered_helper_after_cancellation_is_told_it_is_no_longer_open(api_as, job, alice, bob):
    job_cancel(job=job, actor=alice, reason="Fixed it myself")

    resp = api_as(bob).post(f"/api/jobs/{job.pk}/accept")

    assert (resp.status_code, resp.json()["detail"]) == (409, "This job is no longer open")


def test_feed_helper_after_cancellation_gets_404(feed_only, alice):
    """Without an offer, a closed job is nobody's business any more."""
    job, erin = feed_only
    job_cancel(job=job, actor=alice, reason="Fixed it myself")

    with pytest.raises(NotFound):
        job_for_acceptance(user=erin, job_id=job.pk)


@pytest.mark.parametrize(
    "make_helper",
    [
        pytest.param(
            lambda: helper_profile(lat=ZURICH[0] + 20 / KM_PER_DEG_LAT), id="out-of-range"
        ),
        pytest.param(
            lambda: helper_profile(skills=[ServiceCategory.objects.get(slug="tv-decoder")]),
            id="without-the-skill",
        ),
        pytest.param(lambda: helper_profile(status=HelperStatus.APPLIED), id="not-vetted"),
    ],
)
def test_helpers_who_never_could_see_the_job_still_get_404(api_as, job, bob, make_helper):
    outsider = make_helper().user
    with pytest.raises(NotFound):  # not even while it is open
        job_for_user(user=outsider, job_id=job.pk)
    job_accept(job=job, helper=bob)

    resp = api_as(outsider).post(f"/api/jobs/{job.pk}/accept")

    assert (resp.status_code, resp.json()["code"]) == (404, "not_found")


def test_customers_and_missing_jobs_still_get_404(api_as, job, bob, mallory):
    job_accept(job=job, helper=bob)
    assert api_as(mallory).post(f"/api/jobs/{job.pk}/accept").status_code == 404
    assert api_as(bob).post(f"/api/jobs/{job.pk + 1000}/accept").status_code == 404


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
