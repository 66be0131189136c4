"""Races on PostgreSQL (DESIGN §3, §8): real threads, real connections, real row locks.

Skipped on SQLite, which serialises writers and so cannot show a race. Run with

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/pytest tests/test_concurrency_postgres.py
"""

import threading
import time

import pytest
from django.db import connection

from marketplace.core.errors import InvalidTransition
from marketplace.helpers.models import HelperProfile
from marketplace.jobs.models import JobEvent, JobOffer, JobRequest, JobStatus, OfferStatus
from marketplace.jobs.services import job_accept, job_cancel, job_post, offer_decline
from tests.factories import ZURICH, helper_profile

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
    return job_post(
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
