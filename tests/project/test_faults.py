"""Faults in the middle of the work (issue 7, part 7): the database connection lost mid-request,
a background worker dying mid-task, the payment provider timing out. In every case the client
gets a clear answer, nothing is half-applied, and trying again (by the client, the next
scheduler round or the payment reconciliation) completes the work exactly once, with the ledger
balanced. Provider faults already covered in test_payments_stripe.py (a timeout after Stripe
authorised, a 5xx at capture) are not repeated here."""

import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError, close_old_connections, connection
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

import tests.payments.test_payments_stripe as stripe_suite
from marketplace.helpers.models import HelperProfile
from marketplace.jobs.models import JobEvent, JobRequest, JobStatus, OfferStatus
from marketplace.jobs.services import job_check_in, job_complete, job_confirm
from marketplace.jobs.tasks import auto_confirm_completed_jobs
from marketplace.payments import ledger, reconcile
from marketplace.payments.models import (
    LedgerEntry,
    Payment,
    PaymentStatus,
    ProviderCall,
)
from marketplace.payments.reconcile import provider_calls_retry_due
from marketplace.payments.selectors import unbalanced_jobs
from marketplace.payments.services import PaymentPending, payment_refund
from marketplace.payments.tasks import reconcile_payments
from tests.factories import job_at, posted_job

ZURICH = "Bahnhofstrasse 1, 8001 Zürich"
LATER = timedelta(minutes=5)  # past the provider-call retry delay (payments.services.RETRY_AFTER)

# The Stripe fixtures of the payments suite, shared rather than copied.
fake = stripe_suite.fake
bob_ready = stripe_suite.bob_ready
booked = stripe_suite.booked
run_on_commit = stripe_suite.run_on_commit
pay = stripe_suite.pay


def post(alice, router_wifi) -> JobRequest:
    return posted_job(
        customer=alice, category=router_wifi, description="Router drops the wifi", address=ZURICH
    )


def completed(alice, bob, router_wifi) -> JobRequest:
    """Posted as `post` does, accepted, checked in and completed by bob (no note)."""
    return job_at(
        JobStatus.COMPLETED,
        customer=alice,
        helper=bob,
        category=router_wifi,
        description="Router drops the wifi",
        address=ZURICH,
    )


@contextmanager
def database_fails_on(prefix: str, *, kill=None):
    """Make the first statement starting with `prefix` fail as a lost connection would. With
    `kill`, really lose it first (PostgreSQL: the server terminates this backend)."""
    hits = []

    def wrapper(execute, sql, params, many, context):
        if not hits and sql.lstrip().upper().startswith(prefix.upper()):
            hits.append(sql)
            if kill is None:
                raise OperationalError("server closed the connection unexpectedly")
            kill()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield hits


def terminate_this_backend() -> None:
    """Ask PostgreSQL, from a second connection, to end this connection's backend."""
    import psycopg

    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def assert_consistent(job: JobRequest) -> None:
    assert list(unbalanced_jobs()) == []
    accepted = job.events.filter(kind="accepted").count()
    assert accepted <= 1 + job.events.filter(kind="released").count()
    assert job.offers.filter(status=OfferStatus.ACCEPTED).count() <= 1


# --- Database connection lost in the middle of a request ------------------------------------


@pytest.mark.django_db(transaction=True)
def test_losing_the_database_during_an_acceptance_is_a_503_and_rolls_everything_back(
    api_as, alice, bob, router_wifi
):
    job = post(alice, router_wifi)
    api = api_as(bob)
    # The job row is already updated and the event written when the payment insert fails.
    with database_fails_on('INSERT INTO "payments_payment"') as hits:
        resp = api.post(f"/api/jobs/{job.pk}/accept")
    assert hits, "the fault was not reached"
    assert resp.status_code == 503
    assert resp["Retry-After"] == "5"
    assert resp.json()["code"] == "unavailable"

    job.refresh_from_db()
    assert job.status in (JobStatus.OPEN, JobStatus.OFFERED)
    assert job.assigned_helper_id is None
    assert not job.events.filter(kind="accepted").exists()
    assert not Payment.objects.filter(job=job).exists()
    assert HelperProfile.objects.get(user=bob).active_jobs == 0

    resp = api.post(f"/api/jobs/{job.pk}/accept")  # the client retries: it works, once
    assert resp.status_code == 200, resp.content
    assert api.post(f"/api/jobs/{job.pk}/accept").status_code == 409
    job.refresh_from_db()
    assert (job.status, job.assigned_helper_id) == (JobStatus.ACCEPTED, bob.pk)
    assert job.events.filter(kind="accepted").count() == 1
    assert Payment.objects.get(job=job).status == PaymentStatus.AUTHORISED
    assert HelperProfile.objects.get(user=bob).active_jobs == 1
    assert_consistent(job)


@pytest.mark.django_db(transaction=True)
def test_a_connection_really_killed_mid_acceptance_on_postgresql(api_as, alice, bob, router_wifi):
    if connection.vendor != "postgresql":
        pytest.skip("terminating a server backend needs PostgreSQL")
    job = post(alice, router_wifi)
    api = api_as(bob)
    with database_fails_on('INSERT INTO "jobs_jobevent"', kill=terminate_this_backend) as hits:
        resp = api.post(f"/api/jobs/{job.pk}/accept")
    assert hits
    assert resp.status_code == 503
    close_old_connections()  # what Django does at the end of every real request

    job.refresh_from_db()  # a new connection: the server rolled the transaction back
    assert job.assigned_helper_id is None
    assert not job.events.filter(kind="accepted").exists()
    assert api.post(f"/api/jobs/{job.pk}/accept").status_code == 200
    assert JobEvent.objects.filter(job=job, kind="accepted").count() == 1
    assert_consistent(job)


@pytest.mark.django_db(transaction=True)
def test_losing_the_database_at_confirmation_leaves_job_and_payment_untouched(
    api_as, alice, bob, router_wifi
):
    job = completed(alice, bob, router_wifi)
    api = api_as(alice)
    with database_fails_on('INSERT INTO "jobs_jobevent"'):
        resp = api.post(f"/api/jobs/{job.pk}/confirm")
    assert resp.status_code == 503

    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    payment = Payment.objects.get(job=job)
    assert payment.status == PaymentStatus.AUTHORISED
    assert not LedgerEntry.objects.filter(job_id=job.pk, kind="captured_fee").exists()

    assert api.post(f"/api/jobs/{job.pk}/confirm").status_code == 200
    assert api.post(f"/api/jobs/{job.pk}/confirm").status_code == 409
    payment.refresh_from_db()
    assert (payment.status, payment.amount_captured) == (PaymentStatus.CAPTURED, job.price)
    assert job.events.filter(kind="confirmed").count() == 1
    assert ledger.balances(job_id=job.pk)["hold"] == 0
    assert_consistent(job)


@pytest.mark.django_db(transaction=True)
def test_losing_the_database_during_the_capture_after_confirmation_is_reconciled_once(
    api_as, alice, bob, router_wifi
):
    """The job's transaction committed; the capture that follows it fails. The customer still
    sees the confirmation, and the periodic reconciliation captures exactly once."""
    job = completed(alice, bob, router_wifi)
    with database_fails_on('INSERT INTO "payments_ledgerentry"'):
        resp = api_as(alice).post(f"/api/jobs/{job.pk}/confirm")
    assert resp.status_code == 200
    close_old_connections()
    job.refresh_from_db()
    assert job.status == JobStatus.CONFIRMED
    payment = Payment.objects.get(job=job)
    assert payment.status == PaymentStatus.AUTHORISED  # the capture rolled back as a whole

    reconcile_payments.call()
    reconcile_payments.call()
    payment.refresh_from_db()
    assert (payment.status, payment.amount_captured) == (PaymentStatus.CAPTURED, job.price)
    assert (
        LedgerEntry.objects.filter(job_id=job.pk, kind="captured_fee", account="platform").count()
        == 1
    )
    assert ProviderCall.objects.filter(payment=payment, action="capture").count() == 1
    assert_consistent(job)


@pytest.mark.django_db(transaction=True)
def test_the_web_answers_a_lost_database_with_a_503_page(alice, bob, router_wifi):
    job = post(alice, router_wifi)
    web = Client()
    web.force_login(bob)
    with database_fails_on('INSERT INTO "payments_payment"'):
        resp = web.post(f"/helper/jobs/{job.pk}/accept/")
    assert resp.status_code == 503
    assert resp["Retry-After"] == "5"
    assert resp["Content-Type"].startswith("text/html")
    assert "try again" in resp.text
    job.refresh_from_db()
    assert job.assigned_helper_id is None


@pytest.mark.django_db
def test_other_errors_are_not_turned_into_503(api_as, alice):
    # Only the database's operational errors are a 503; a missing job stays a 404, etc.
    assert api_as(alice).get("/api/jobs/999999").status_code == 404


# --- A background worker dies in the middle of a task ----------------------------------------


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def completed_jobs(alice, bob, router_wifi, n: int) -> list[JobRequest]:
    jobs = []
    for _ in range(n):
        jobs.append(completed(alice, bob, router_wifi))
    JobRequest.objects.filter(pk__in=[j.pk for j in jobs]).update(
        completed_at=timezone.now() - timedelta(days=3)
    )
    return jobs


@pytest.mark.django_db(transaction=True)
def test_auto_confirm_dying_half_way_is_finished_by_the_next_run_exactly_once(
    database_queue, alice, bob, router_wifi, monkeypatch
):
    jobs = completed_jobs(alice, bob, router_wifi, 2)
    from marketplace.notifications import messages

    real = messages.review_request
    calls = []

    def dies_on_the_second(*, job):
        calls.append(job.pk)
        if len(calls) == 2:
            raise RuntimeError("worker killed")  # after the transition, inside the transaction
        return real(job=job)

    monkeypatch.setattr(messages, "review_request", dies_on_the_second)
    first = auto_confirm_completed_jobs.enqueue()
    run_worker()
    assert DBTaskResult.objects.get(pk=first.id).status == "FAILED"
    statuses = sorted(JobRequest.objects.filter(pk__in=[j.pk for j in jobs]).values_list("status"))
    assert statuses == [("completed",), ("confirmed",)]  # one done, the other not touched
    half = JobRequest.objects.get(pk__in=[j.pk for j in jobs], status="completed")
    assert not half.events.filter(kind="auto_confirmed").exists()

    monkeypatch.setattr(messages, "review_request", real)
    auto_confirm_completed_jobs.enqueue()  # the next scheduler round
    reconcile_payments.enqueue()
    run_worker()
    for job in jobs:
        job.refresh_from_db()
        assert job.status == JobStatus.CONFIRMED
        assert job.events.filter(kind="auto_confirmed").count() == 1
        payment = Payment.objects.get(job=job)
        assert (payment.status, payment.amount_captured) == (PaymentStatus.CAPTURED, job.price)
    assert list(unbalanced_jobs()) == []


@pytest.mark.django_db(transaction=True)
def test_a_run_left_running_by_a_dead_worker_stays_and_the_next_round_does_the_work_once(
    database_queue, alice, bob, router_wifi
):
    """django-tasks-db never takes a RUNNING row back (no heartbeat, no timeout): the row of a
    worker killed mid-task stays RUNNING. Periodic work is not lost: the scheduler enqueues a
    fresh run every round, and the conditional transitions make it happen once."""
    (job,) = completed_jobs(alice, bob, router_wifi, 1)
    orphan = auto_confirm_completed_jobs.enqueue()
    row = DBTaskResult.objects.get(pk=orphan.id)
    row.claim("worker-that-was-killed")  # claimed, then the process died before running it

    run_worker()  # a live worker: finds nothing READY
    assert DBTaskResult.objects.get(pk=orphan.id).status == "RUNNING"
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED

    call_command("run_scheduler", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115
    run_worker()
    call_command("run_scheduler", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115
    run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.CONFIRMED
    assert job.events.filter(kind="auto_confirmed").count() == 1
    payment = Payment.objects.get(job=job)
    assert (payment.status, payment.amount_captured) == (PaymentStatus.CAPTURED, job.price)
    assert (
        LedgerEntry.objects.filter(job_id=job.pk, kind="captured_payout", account="helper").count()
        == 1
    )
    assert DBTaskResult.objects.get(pk=orphan.id).status == "RUNNING"  # still: see README
    assert list(unbalanced_jobs()) == []


@pytest.mark.django_db
def test_a_reconcile_dying_after_stripe_captured_charges_once_on_the_next_run(
    fake, booked, alice, bob_ready, run_on_commit, monkeypatch
):
    """The worker dies between Stripe's answer and recording it: the call stays pending, the
    next reconciliation replays it with the same key and Stripe does not capture twice."""
    from marketplace.payments import services

    payment = pay(booked, alice)
    job = job_complete(job=job_check_in(job=booked, helper=bob_ready), helper=bob_ready)
    job = job_confirm(job=job, actor=alice)  # on_commit not run: the capture is left to the task
    real_apply = services._apply

    def dies(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(services, "_apply", dies)
    with pytest.raises(reconcile.ReconciliationIncomplete, match="worker killed"):
        reconcile_payments.call()  # every step ran; the run is failed, for operators to see
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORISED
    assert fake.get(payment.provider_ref)["status"] == "succeeded"  # Stripe did capture
    call = ProviderCall.objects.get(payment=payment, action="capture")
    assert call.status == "pending"

    monkeypatch.setattr(services, "_apply", real_apply)
    assert provider_calls_retry_due(now=timezone.now() + LATER) == 1
    payment.refresh_from_db()
    assert (payment.status, payment.amount_captured) == (PaymentStatus.CAPTURED, 6_000)
    captures = fake.requests_to(f"/v1/payment_intents/{payment.provider_ref}/capture")
    assert {r.idempotency_key for r in captures} == {call.idempotency_key}
    assert len([r for r in captures if not r.replayed]) == 1
    assert len([o for o in fake.state.objects.values() if o.get("object") == "transfer"]) == 1
    assert ledger.balances(job_id=job.pk) == {
        "customer": -6_000,
        "hold": 0,
        "platform": 1_200,
        "helper": 4_800,
    }
    assert list(unbalanced_jobs()) == []


# --- Payment provider timeouts not covered by test_payments_stripe.py -------------------------


@pytest.mark.django_db
def test_a_timeout_before_stripe_acted_on_an_authorisation_is_retried_once(fake, booked, alice):
    fake.timeout_next("/v1/payment_intents", after_commit=False, execute=False, seconds=1.5)
    with pytest.raises(PaymentPending):
        pay(booked, alice)  # the client gives up after 1 s
    payment = Payment.objects.get(job=booked)
    assert payment.status == PaymentStatus.PENDING
    assert ledger.balances(job_id=booked.pk)["hold"] == 0

    # A retry while the first request is still in flight: Stripe answers 409 for the key in
    # use; the call stays pending, nothing is charged.
    assert provider_calls_retry_due(now=timezone.now() + LATER) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    time.sleep(0.6)  # the stalled request ends, without having run

    assert provider_calls_retry_due(now=timezone.now() + LATER) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORISED
    intents = [o for o in fake.state.objects.values() if o.get("object") == "payment_intent"]
    assert len(intents) == 1
    assert ledger.balances(job_id=booked.pk)["hold"] == 6_000
    assert list(unbalanced_jobs()) == []


@pytest.mark.django_db
def test_a_timeout_on_capture_at_confirmation_keeps_the_job_confirmed_and_captures_once(
    fake, booked, alice, bob_ready, run_on_commit
):
    payment = pay(booked, alice)
    job = job_complete(job=job_check_in(job=booked, helper=bob_ready), helper=bob_ready)
    fake.timeout_next("/v1/payment_intents", after_commit=True, seconds=2)
    job = run_on_commit(job_confirm, job=job, actor=alice)

    assert job.status == JobStatus.CONFIRMED  # jobs never wait for the provider
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORISED  # unknown yet: nothing pretended
    assert fake.get(payment.provider_ref)["status"] == "succeeded"
    call = ProviderCall.objects.get(payment=payment, action="capture")
    assert (call.status, call.attempts) == ("pending", 1)
    assert ledger.balances(job_id=job.pk)["hold"] == 6_000

    assert provider_calls_retry_due(now=timezone.now() + LATER) == 1
    assert provider_calls_retry_due(now=timezone.now() + LATER) == 0
    payment.refresh_from_db()
    assert (payment.status, payment.amount_captured) == (PaymentStatus.CAPTURED, 6_000)
    captures = fake.requests_to(f"/v1/payment_intents/{payment.provider_ref}/capture")
    assert len(captures) == 2 and captures[1].replayed
    assert len([o for o in fake.state.objects.values() if o.get("object") == "charge"]) == 1
    fake.deliver_pending(repeat=2)
    assert ledger.balances(job_id=job.pk) == {
        "customer": -6_000,
        "hold": 0,
        "platform": 1_200,
        "helper": 4_800,
    }
    assert list(unbalanced_jobs()) == []


@pytest.mark.django_db
def test_a_timeout_on_a_refund_is_retried_with_the_same_key_and_refunds_once(
    fake, booked, alice, bob_ready, olga, run_on_commit
):
    pay(booked, alice)
    job = job_complete(job=job_check_in(job=booked, helper=bob_ready), helper=bob_ready)
    run_on_commit(job_confirm, job=job, actor=alice)
    payment = Payment.objects.get(job=job)
    assert payment.status == PaymentStatus.CAPTURED

    fake.timeout_next("/v1/refunds", after_commit=True, seconds=2)
    with pytest.raises(PaymentPending):
        payment_refund(payment=payment, amount=2_000, actor=olga, reason="Half done")
    payment.refresh_from_db()
    assert payment.amount_refunded == 0  # not recorded before the provider confirms
    call = ProviderCall.objects.get(payment=payment, action="refund")
    assert call.status == "pending"

    assert provider_calls_retry_due(now=timezone.now() + LATER) == 1
    payment.refresh_from_db()
    assert payment.amount_refunded == 2_000
    refunds = [o for o in fake.state.objects.values() if o.get("object") == "refund"]
    assert len(refunds) == 1 and refunds[0]["amount"] == 2_000
    keys = {r.idempotency_key for r in fake.requests_to("/v1/refunds")}
    assert keys == {call.idempotency_key}
    fake.deliver_pending(repeat=2)
    payment.refresh_from_db()
    assert payment.amount_refunded == 2_000
    assert ledger.balances(job_id=job.pk)["customer"] == -4_000
    assert list(unbalanced_jobs()) == []


@pytest.mark.django_db
def test_a_timeout_releasing_the_hold_at_a_free_cancellation_is_retried_once(
    fake, booked, alice, run_on_commit
):
    from marketplace.jobs.services import job_cancel

    payment = pay(booked, alice)
    fake.timeout_next(f"/v1/payment_intents/{payment.provider_ref}/cancel", seconds=2)
    job = run_on_commit(job_cancel, job=booked, actor=alice, reason="Fixed it myself")
    assert job.status == JobStatus.CANCELLED
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORISED
    assert ledger.balances(job_id=job.pk)["hold"] == 6_000

    assert provider_calls_retry_due(now=timezone.now() + LATER) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert fake.get(payment.provider_ref)["status"] == "canceled"
    assert ledger.balances(job_id=job.pk) == {
        "customer": 0,
        "hold": 0,
        "platform": 0,
        "helper": 0,
    }
    assert list(unbalanced_jobs()) == []
