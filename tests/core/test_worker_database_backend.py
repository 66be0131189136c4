"""The periodic background work through the real database-backed worker (django-tasks-db), as
production runs it: `run_scheduler --once` enqueues a round of rows, `db_worker --batch` claims
and runs them. The rest of the suite runs tasks with the immediate backend; these tests prove the
same work happens through the queue, that every row ends SUCCESSFUL, and that running a round
again changes nothing (the tasks are idempotent)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from marketplace.jobs.models import JobEvent, JobRequest, JobStatus, OfferStatus
from marketplace.jobs.services import job_accept, job_check_in, job_complete, job_post
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.periodic import PERIODIC_TASKS
from marketplace.supply.models import SupplyDemandStat

# transaction=True: db_worker closes old connections between tasks, which must not happen inside
# a test-wide transaction (PostgreSQL reports "the connection is closed").
pytestmark = pytest.mark.django_db(transaction=True)

ZURICH = "Bahnhofstrasse 1, 8001 Zürich"


@pytest.fixture(autouse=True)
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.SUPPLY_REFRESH_MINUTES = 0  # every round, so the snapshot shows up in one round


def scheduler_round() -> list[DBTaskResult]:
    """One scheduler round through the queue; the rows it produced, after the worker ran."""
    before = set(DBTaskResult.objects.values_list("id", flat=True))
    call_command("run_scheduler", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115
    queued = DBTaskResult.objects.exclude(id__in=before)
    assert queued.count() == len(PERIODIC_TASKS)
    assert set(queued.values_list("status", flat=True)) == {"READY"}
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    return list(DBTaskResult.objects.filter(id__in=queued.values("id")))


def post(alice, router_wifi) -> JobRequest:
    return job_post(
        customer=alice,
        category=router_wifi,
        description="Router keeps dropping the connection",
        address=ZURICH,
    )


def test_a_round_runs_every_periodic_task_through_the_queue_successfully(alice, router_wifi):
    results = scheduler_round()
    assert {r.status for r in results} == {"SUCCESSFUL"}
    names = {r.task_path.rsplit(".", 1)[-1] for r in results}
    assert names == {t.func.__name__ for t in PERIODIC_TASKS}


def test_overdue_offers_widen_then_expire_the_job_to_the_professional_fallback(
    alice, bob, carol, router_wifi
):
    job = post(alice, router_wifi)
    for _round in range(5):
        job.offers.filter(status=OfferStatus.PENDING).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        assert {r.status for r in scheduler_round()} == {"SUCCESSFUL"}
        job.refresh_from_db()
        if job.status == JobStatus.EXPIRED:
            break
    assert job.status == JobStatus.EXPIRED
    assert set(job.offers.values_list("helper_id", flat=True)) == {bob.pk, carol.pk}
    assert job.events.filter(kind="expired", data__fallback="professional").count() == 1

    scheduler_round()  # again: nothing more happens
    assert job.events.filter(kind="expired").count() == 1


def test_completed_job_is_auto_confirmed_once_and_its_payment_captured(
    alice, bob, router_wifi, settings
):
    settings.AUTO_CONFIRM_HOURS = 48
    job = post(alice, router_wifi)
    job_accept(job=job, helper=bob)
    job_check_in(job=job, helper=bob)
    job_complete(job=job, helper=bob, note="Configured the router")
    JobRequest.objects.filter(pk=job.pk).update(completed_at=timezone.now() - timedelta(hours=49))

    scheduler_round()
    scheduler_round()

    job.refresh_from_db()
    assert job.status == JobStatus.CONFIRMED
    assert JobEvent.objects.filter(job=job, kind="auto_confirmed").count() == 1
    payment = Payment.objects.get(job=job)
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.amount_captured == job.price


def test_an_authorisation_near_its_deadline_is_released_for_a_fresh_one(alice, bob, router_wifi):
    job = post(alice, router_wifi)
    job_accept(job=job, helper=bob)
    payment = Payment.objects.get(job=job)
    assert payment.status == PaymentStatus.AUTHORISED
    Payment.objects.filter(pk=payment.pk).update(capture_before=timezone.now() + timedelta(hours=1))

    scheduler_round()
    scheduler_round()

    payment.refresh_from_db()
    # Not completed yet, so nothing may be captured: the lapsing authorisation is released and
    # a new attempt waits for the customer (once, not once per round).
    assert payment.status == PaymentStatus.PENDING
    assert payment.attempt == 2
    assert payment.amount_captured == 0


def test_a_round_writes_the_supply_demand_snapshot(alice, bob, router_wifi):
    post(alice, router_wifi)
    assert not SupplyDemandStat.objects.exists()
    scheduler_round()
    stats = SupplyDemandStat.objects.filter(market__code="ch")
    assert sum(stats.values_list("requests_posted", flat=True)) == 1
    rows = stats.count()
    scheduler_round()
    assert SupplyDemandStat.objects.filter(market__code="ch").count() == rows
