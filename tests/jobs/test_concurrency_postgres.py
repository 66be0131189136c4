"""Races on PostgreSQL (DESIGN §3, §8): real threads, real connections, real row locks.

Skipped on SQLite, which serialises writers and so cannot show a race. Run with

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/pytest tests/jobs/test_concurrency_postgres.py
"""

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from marketplace.accounts.services import api_token_create
from marketplace.core.errors import InvalidTransition, NotAllowed
from marketplace.helpers.models import HelperProfile
from marketplace.helpers.services import helper_apply
from marketplace.jobs.models import JobEvent, JobOffer, JobRequest, JobStatus, OfferStatus
from marketplace.jobs.services import job_accept, job_cancel, offer_decline
from tests.factories import ZURICH, UserFactory, helper_profile, posted_job

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

KM_PER_DEG_LAT = 111.195


def race(*calls, delays=()):
    """Run each call in its own thread, all released at once (the i-th after `delays[i]`
    seconds); return (value, exception) pairs in call order."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, call):
        try:
            prepared = call()  # reads happen before the barrier, as in real requests
            barrier.wait(timeout=30)
            if i < len(delays) and delays[i]:
                time.sleep(delays[i])
            outcomes[i] = (prepared(), None)
        except Exception as exc:
            outcomes[i] = (None, exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return outcomes


def post(customer, category):
    return posted_job(
        customer=customer,
        category=category,
        description="The new router does not connect to the fibre box",
        lat=ZURICH[0],
        lng=ZURICH[1],
    )


def accept_call(job_id, user):
    def prepare():
        job = JobRequest.objects.get(pk=job_id)
        return lambda: job_accept(job=job, helper=user)

    return prepare


def test_twenty_concurrent_accepts_have_exactly_one_winner(alice, router_wifi, ch):
    ch.dispatch_k = 20
    ch.save()
    helpers = [
        helper_profile(
            lat=ZURICH[0] + (0.05 + i * 0.09) / KM_PER_DEG_LAT, max_active_jobs=1 + i % 3
        )
        for i in range(20)
    ]
    job = post(alice, router_wifi)
    assert JobOffer.objects.filter(job=job, status=OfferStatus.PENDING).count() == 20

    outcomes = race(*(accept_call(job.pk, p.user) for p in helpers))

    winners = [i for i, (value, exc) in enumerate(outcomes) if exc is None]
    errors = [exc for _value, exc in outcomes if exc is not None]
    assert len(winners) == 1, outcomes
    assert len(errors) == 19 and all(isinstance(e, InvalidTransition) for e in errors), errors
    winner = helpers[winners[0]]
    job.refresh_from_db()
    assert (job.status, job.assigned_helper_id) == (JobStatus.ACCEPTED, winner.user_id)
    offers = JobOffer.objects.filter(job=job)
    assert list(offers.filter(status=OfferStatus.ACCEPTED).values_list("helper_id", flat=True)) == [
        winner.user_id
    ]
    assert offers.filter(status=OfferStatus.WITHDRAWN).count() == 19
    loads = dict(HelperProfile.objects.values_list("user_id", "active_jobs"))
    assert loads == {p.user_id: int(p.pk == winner.pk) for p in helpers}
    assert JobEvent.objects.filter(job=job, kind="accepted").count() == 1


def api_accept_call(job_id, user):
    """POST /api/jobs/{id}/accept as `user`, the whole request (lookup included) after the
    barrier, as when twenty phones tap "Accept" at once."""
    _token, raw = api_token_create(user=user)

    def prepare():
        client = Client(headers={"Authorization": f"Bearer {raw}"})
        return lambda: client.post(f"/api/jobs/{job_id}/accept", content_type="application/json")

    return prepare


def test_twenty_concurrent_api_accepts_one_winner_and_every_loser_gets_409(alice, router_wifi, ch):
    """Through the API, with the job lookup inside the race: five helpers hold an offer, fifteen
    take the job from their nearby feed, in four waves 200 ms apart so that later waves arrive
    after the winner has committed (when the job is no longer in anyone's feed). Exactly one
    200; the nineteen others get 409 "Another helper already accepted this job" (never 404,
    never 500), with the error body only."""
    ch.dispatch_k = 5
    ch.save()
    helpers = [
        helper_profile(lat=ZURICH[0] + (0.05 + i * 0.09) / KM_PER_DEG_LAT, max_active_jobs=2)
        for i in range(20)
    ]
    job = post(alice, router_wifi)
    offered = set(JobOffer.objects.filter(job=job).values_list("helper_id", flat=True))
    assert offered == {p.user_id for p in helpers[:5]}

    outcomes = race(
        *(api_accept_call(job.pk, p.user) for p in helpers),
        delays=[(i % 4) * 0.2 for i in range(20)],
    )

    assert [exc for _resp, exc in outcomes if exc is not None] == []
    statuses = [resp.status_code for resp, _exc in outcomes]
    assert sorted(statuses) == [200] + [409] * 19, statuses
    winner = helpers[statuses.index(200)]
    for resp, _exc in outcomes:
        if resp.status_code == 409:
            assert resp.json() == {
                "detail": "Another helper already accepted this job",
                "code": "conflict",
            }
    job.refresh_from_db()
    assert (job.status, job.assigned_helper_id) == (JobStatus.ACCEPTED, winner.user_id)
    assert JobEvent.objects.filter(job=job, kind="accepted").count() == 1
    loads = dict(HelperProfile.objects.values_list("user_id", "active_jobs"))
    assert loads == {p.user_id: int(p.pk == winner.pk) for p in helpers}


def test_cancel_racing_accept_leaves_a_consistent_job(alice, bob, router_wifi):
    """Customers may cancel an accepted job (free within the grace period), so the race has two
    legal endings: the cancellation came first and the acceptance is refused, or the acceptance
    came first and the cancellation then closes the accepted job. Either way the job is
    cancelled, exactly one acceptance or none happened, and bob's load is back to zero."""
    seen = set()
    for attempt in range(10):
        job = post(alice, router_wifi)

        def cancel(job_id=job.pk):
            stale = JobRequest.objects.get(pk=job_id)
            return lambda: job_cancel(job=stale, actor=alice, reason="Fixed it myself")

        # Cancelling is the shorter path; a growing head start for the acceptance lets both
        # orders happen.
        (_, cancel_error), (_, accept_error) = race(
            cancel, accept_call(job.pk, bob), delays=(attempt * 0.002, 0)
        )

        assert cancel_error is None
        job.refresh_from_db()
        assert (job.status, job.cancellation_fee) == (JobStatus.CANCELLED, 0)
        cancel_event = JobEvent.objects.get(job=job, kind="cancelled")
        accepted_events = JobEvent.objects.filter(job=job, kind="accepted").count()
        if accept_error is None:  # the acceptance won the race
            assert cancel_event.from_status == JobStatus.ACCEPTED
            assert accepted_events == 1
            assert job.assigned_helper_id == bob.pk
            seen.add("accept first")
        else:  # the cancellation won the race
            assert isinstance(accept_error, InvalidTransition)
            assert cancel_event.from_status == JobStatus.OFFERED
            assert accepted_events == 0
            assert job.assigned_helper_id is None
            assert not JobOffer.objects.filter(job=job, status=OfferStatus.ACCEPTED).exists()
            seen.add("cancel first")
        assert HelperProfile.objects.get(user=bob).active_jobs == 0
        assert not JobOffer.objects.filter(job=job, status=OfferStatus.PENDING).exists()
    assert seen  # which orders occurred depends on scheduling; both are checked when they do


def test_concurrent_declines_of_the_last_offers_advance_exactly_once(
    alice, bob, carol, router_wifi
):
    farther = helper_profile(lat=ZURICH[0] + 4 / KM_PER_DEG_LAT)
    job = post(alice, router_wifi)
    assert set(job.offers.values_list("helper_id", flat=True)) == {bob.pk, carol.pk}

    def decline(user):
        def prepare():
            offer = JobOffer.objects.get(job_id=job.pk, helper=user)
            return lambda: offer_decline(offer=offer, helper=user)

        return prepare

    outcomes = race(decline(bob), decline(carol))

    assert [exc for _value, exc in outcomes] == [None, None]
    job.refresh_from_db()
    assert (job.status, job.dispatch_step) == (JobStatus.OFFERED, 1)
    pending = JobOffer.objects.filter(job=job, status=OfferStatus.PENDING)
    assert list(pending.values_list("helper_id", flat=True)) == [farther.user_id]


def test_a_customer_posting_while_applying_never_ends_up_a_helper_with_an_open_request(
    ch, router_wifi
):
    """helper_apply and job_post lock the user's row: either the request is posted first and
    the application is refused (409, open requests), or the account became a helper account
    first and the request is refused (403). Never both, never a helper with an open request."""
    helper_profile()  # someone to offer the requests to, so that they stay open
    seen = set()
    for attempt in range(10):
        user = UserFactory()

        def apply(user=user):
            return lambda: helper_apply(
                user=user,
                market=ch,
                lat=ZURICH[0],
                lng=ZURICH[1],
                accept_code_of_conduct=True,
                confirm_role_change=True,
            )

        def post_request(user=user):
            return lambda: post(user, router_wifi)

        (_, apply_error), (_, post_error) = race(
            apply, post_request, delays=(0, (attempt % 5) * 0.003)
        )

        user.refresh_from_db()
        jobs = JobRequest.objects.filter(customer=user)
        if apply_error is None:
            assert isinstance(post_error, NotAllowed), post_error
            assert (user.role, jobs.count()) == ("helper", 0)
            seen.add("applied first")
        else:
            assert post_error is None, post_error
            assert isinstance(apply_error, InvalidTransition), apply_error
            assert apply_error.code == "open_requests"
            assert user.role == "customer"
            assert list(jobs.values_list("status", flat=True)) == [JobStatus.OFFERED]
            assert not HelperProfile.objects.filter(user=user).exists()
            seen.add("posted first")
    assert seen
