"""The job state machine (DESIGN §3): who may do what from which state, the audit trail, the
helper's load, cancellation fees and releasing a job back to matching."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from marketplace.helpers.models import HelperProfile
from marketplace.jobs.models import JobEvent, JobOffer, JobRequest, JobStatus, OfferStatus
from marketplace.jobs.services import (
    cancellation_fee_for,
    job_accept,
    job_cancel,
    job_check_in,
    job_complete,
    job_confirm,
    job_post,
    job_release,
)
from tests.factories import ZURICH, posted_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def job(alice, bob, carol, router_wifi, now):
    """Alice's router job, offered to bob and carol."""
    return posted_job(
        customer=alice,
        category=router_wifi,
        description="The new router does not connect to the fibre box",
        lat=ZURICH[0],
        lng=ZURICH[1],
        now=now,
    )


@pytest.fixture
def accepted(job, bob, now):
    return job_accept(job=job, helper=bob, now=now)


@pytest.fixture
def in_progress(accepted, bob, now):
    return job_check_in(job=accepted, helper=bob, now=now)


@pytest.fixture
def completed(in_progress, bob, now):
    return job_complete(job=in_progress, helper=bob, note="New router configured", now=now)


def load(user) -> int:
    return HelperProfile.objects.get(user=user).active_jobs


def status(job) -> str:
    return JobRequest.objects.values_list("status", flat=True).get(pk=job.pk)


def test_happy_path_writes_an_event_for_every_transition(completed, alice, bob, now):
    job = job_confirm(job=completed, actor=alice, now=now)

    assert job.status == JobStatus.CONFIRMED
    transitions = [
        (e.kind, e.from_status, e.to_status, e.actor_id)
        for e in JobEvent.objects.filter(job=job).exclude(to_status="")
    ]
    assert transitions == [
        ("posted", "", "open", alice.pk),
        ("offered", "open", "offered", None),
        ("accepted", "offered", "accepted", bob.pk),
        ("checked_in", "accepted", "in_progress", bob.pk),
        ("completed", "in_progress", "completed", bob.pk),
        ("confirmed", "completed", "confirmed", alice.pk),
    ]
    assert job.completion_note == "New router configured"
    assert job.accepted_at == job.started_at == job.completed_at == job.closed_at == now


# --- Illegal moves: 409 ----------------------------------------------------------------------


def test_check_in_needs_an_accepted_job(in_progress, bob):
    with pytest.raises(InvalidTransition):
        job_check_in(job=in_progress, helper=bob)


def test_complete_needs_a_job_in_progress(accepted, bob):
    with pytest.raises(InvalidTransition):
        job_complete(job=accepted, helper=bob)
    assert status(accepted) == JobStatus.ACCEPTED


def test_confirm_needs_a_completed_job(in_progress, alice):
    with pytest.raises(InvalidTransition):
        job_confirm(job=in_progress, actor=alice)


def test_confirmed_job_cannot_be_confirmed_again(completed, alice):
    job_confirm(job=completed, actor=alice)

    with pytest.raises(InvalidTransition):
        job_confirm(job=completed, actor=alice)


def test_accept_of_an_accepted_job_is_refused(accepted, carol):
    with pytest.raises(InvalidTransition):
        job_accept(job=accepted, helper=carol)
    assert JobRequest.objects.get(pk=accepted.pk).assigned_helper_id != carol.pk


def test_customer_cannot_cancel_once_the_helper_is_on_site(in_progress, alice):
    with pytest.raises(InvalidTransition):
        job_cancel(job=in_progress, actor=alice, reason="Changed my mind")


def test_nobody_cancels_a_completed_job(completed, alice, olga):
    for actor in (alice, olga):
        with pytest.raises(InvalidTransition):
            job_cancel(job=completed, actor=actor, reason="Too late")


def test_release_is_only_before_check_in(in_progress, bob):
    with pytest.raises(InvalidTransition):
        job_release(job=in_progress, helper=bob, reason="Something came up")


def test_a_refused_transition_writes_no_event(accepted, bob):
    before = JobEvent.objects.filter(job=accepted).count()

    with pytest.raises(InvalidTransition):
        job_complete(job=accepted, helper=bob)

    assert JobEvent.objects.filter(job=accepted).count() == before


# --- Wrong actor: 403 ------------------------------------------------------------------------


def test_only_the_assigned_helper_checks_in_and_completes(accepted, carol, alice, bob):
    for actor in (carol, alice):
        with pytest.raises(NotAllowed):
            job_check_in(job=accepted, helper=actor)
    job_check_in(job=accepted, helper=bob)
    with pytest.raises(NotAllowed):
        job_complete(job=accepted, helper=carol)


def test_only_the_customer_confirms(completed, mallory, bob, olga):
    for actor in (mallory, bob, olga):
        with pytest.raises(NotAllowed):
            job_confirm(job=completed, actor=actor)
    assert status(completed) == JobStatus.COMPLETED


def test_only_the_customer_or_an_operator_cancels(job, mallory, bob):
    for actor in (mallory, bob):
        with pytest.raises(NotAllowed):
            job_cancel(job=job, actor=actor, reason="Not mine")
    assert status(job) == JobStatus.OFFERED


def test_only_the_assigned_helper_releases(accepted, carol):
    with pytest.raises(NotAllowed):
        job_release(job=accepted, helper=carol, reason="Not mine")


def test_a_stale_copy_does_not_let_a_former_helper_act(accepted, bob, carol, now):
    stale = JobRequest.objects.get(pk=accepted.pk)  # bob assigned
    job_release(job=accepted, helper=bob, reason="Car broke down", now=now)
    job_accept(job=JobRequest.objects.get(pk=accepted.pk), helper=carol, now=now)

    with pytest.raises(InvalidTransition):
        job_check_in(job=stale, helper=bob)

    assert status(accepted) == JobStatus.ACCEPTED


def test_cancel_needs_a_reason(job, alice):
    with pytest.raises(ValidationFailed):
        job_cancel(job=job, actor=alice, reason="  ")


def test_release_needs_a_reason(accepted, bob):
    with pytest.raises(ValidationFailed):
        job_release(job=accepted, helper=bob, reason="")


# --- Helper load ------------------------------------------------------------------------------


def test_load_goes_up_on_accept_and_down_on_complete(job, bob, now):
    job_accept(job=job, helper=bob, now=now)
    assert load(bob) == 1
    job_check_in(job=job, helper=bob, now=now)
    assert load(bob) == 1

    job_complete(job=job, helper=bob, now=now)

    profile = HelperProfile.objects.get(user=bob)
    assert (profile.active_jobs, profile.completed_jobs) == (0, 1)
    assert profile.last_assigned_epoch == int(now.timestamp())


def test_load_goes_down_when_the_customer_cancels(accepted, alice, bob):
    job_cancel(job=accepted, actor=alice, reason="Fixed it myself")
    assert load(bob) == 0


def test_load_goes_down_when_an_operator_cancels_on_site(in_progress, olga, bob):
    job = job_cancel(job=in_progress, actor=olga, reason="Safety issue reported")

    assert (job.status, job.cancelled_by, job.cancellation_fee) == ("cancelled", "operator", 0)
    assert load(bob) == 0


def test_load_goes_down_on_release(accepted, bob):
    job_release(job=accepted, helper=bob, reason="Car broke down")
    assert load(bob) == 0


def test_cancel_with_a_copy_read_before_acceptance_still_frees_the_helper(job, alice, bob, now):
    stale = JobRequest.objects.get(pk=job.pk)  # offered, nobody assigned
    job_accept(job=job, helper=bob, now=now)

    cancelled = job_cancel(job=stale, actor=alice, reason="Fixed it myself", now=now)

    assert cancelled.status == JobStatus.CANCELLED
    assert load(bob) == 0


# --- Cancellation ----------------------------------------------------------------------------


def test_cancelling_before_acceptance_is_free_and_withdraws_offers(job, alice, bob, carol, now):
    job = job_cancel(job=job, actor=alice, reason="Fixed it myself", now=now)

    assert (job.status, job.cancelled_by, job.cancellation_fee) == ("cancelled", "customer", 0)
    assert job.cancel_reason == "Fixed it myself"
    assert job.closed_at == now
    statuses = set(JobOffer.objects.filter(job=job).values_list("status", flat=True))
    assert statuses == {OfferStatus.WITHDRAWN}
    event = JobEvent.objects.get(job=job, kind="cancelled")
    assert (event.from_status, event.to_status) == ("offered", "cancelled")
    assert event.data == {"by": "customer", "reason": "Fixed it myself", "fee": 0}


def test_cancelling_within_the_grace_period_is_free(accepted, alice, ch, now):
    at = now + timedelta(minutes=ch.cancellation_free_minutes)
    assert cancellation_fee_for(job=accepted, now=at) == 0

    job = job_cancel(job=accepted, actor=alice, reason="Fixed it myself", now=at)

    assert job.cancellation_fee == 0


def test_cancelling_after_the_grace_period_costs_the_market_fee(accepted, alice, ch, now):
    at = now + timedelta(minutes=ch.cancellation_free_minutes + 1)
    assert cancellation_fee_for(job=accepted, now=at) == 2_000

    job = job_cancel(job=accepted, actor=alice, reason="Fixed it myself", now=at)

    assert job.cancellation_fee == ch.cancellation_fee == 2_000
    assert JobEvent.objects.get(job=job, kind="cancelled").data["fee"] == 2_000


def test_cancellation_fee_never_exceeds_the_price(accepted, ch, now):
    ch.cancellation_fee = 1_000_000
    ch.save()
    accepted.refresh_from_db()

    fee = cancellation_fee_for(job=accepted, now=now + timedelta(days=1))

    assert fee == accepted.price == 6_000


def test_operator_cancellation_is_free_for_the_customer(accepted, olga, now):
    job = job_cancel(job=accepted, actor=olga, reason="Duplicate", now=now + timedelta(days=1))
    assert job.cancellation_fee == 0


# --- Release ----------------------------------------------------------------------------------


def test_release_puts_the_job_back_to_matching(accepted, bob, carol, now):
    job = job_release(job=accepted, helper=bob, reason="Car broke down", now=now)

    job.refresh_from_db()
    assert job.status == JobStatus.OFFERED
    assert (job.assigned_helper_id, job.accepted_at) == (None, None)
    # Carol's offer was only withdrawn because bob accepted: she is asked again; bob is not.
    offers = dict(JobOffer.objects.filter(job=job).values_list("helper_id", "status"))
    assert offers == {bob.pk: OfferStatus.DECLINED, carol.pk: OfferStatus.PENDING}
    event = JobEvent.objects.get(job=job, kind="released")
    assert (event.from_status, event.to_status, event.actor_id) == ("accepted", "open", bob.pk)
    assert event.data == {"reason": "Car broke down"}


def test_released_job_can_be_accepted_by_another_helper(accepted, bob, carol, now):
    job_release(job=accepted, helper=bob, reason="Car broke down", now=now)

    job = job_accept(job=JobRequest.objects.get(pk=accepted.pk), helper=carol, now=now)

    assert job.assigned_helper_id == carol.pk
    assert JobOffer.objects.get(job=job, status=OfferStatus.ACCEPTED).helper_id == carol.pk


def test_released_job_with_nobody_else_around_expires_to_the_professional(
    alice, bob, router_wifi, now
):
    job = job_post(
        customer=alice,
        category=router_wifi,
        description="The new router does not connect to the fibre box",
        lat=ZURICH[0],
        lng=ZURICH[1],
        now=now,
    )
    job_accept(job=job, helper=bob, now=now)

    job_release(job=job, helper=bob, reason="Car broke down", now=now)

    job.refresh_from_db()
    assert job.status == JobStatus.EXPIRED
    assert JobEvent.objects.get(job=job, kind="expired").data["fallback"] == "professional"
