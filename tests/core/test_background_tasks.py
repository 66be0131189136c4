from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from marketplace.jobs.models import JobRequest, JobStatus, OfferStatus
from marketplace.jobs.services import job_accept, job_check_in, job_complete, job_post

pytestmark = pytest.mark.django_db


def _post(alice, router_wifi):
    return job_post(
        customer=alice,
        category=router_wifi,
        description="Router keeps dropping the connection",
        address="Bahnhofstrasse 1, 8001 Zürich",
    )


def test_scheduler_round_expires_overdue_offers_and_redispatches(alice, bob, carol, router_wifi):
    job = _post(alice, router_wifi)
    assert job.status == JobStatus.OFFERED
    for _round in range(5):  # each round: overdue offers expire, the next radius step is tried
        job.offers.filter(status=OfferStatus.PENDING).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        call_command("run_scheduler", "--once")  # tests run tasks with the immediate backend
        job.refresh_from_db()
        if job.status == JobStatus.EXPIRED:
            break

    # Both helpers were asked (in one or two steps); nobody answered, so the job expired to the
    # professional fallback.
    assert set(job.offers.values_list("helper_id", flat=True)) == {bob.pk, carol.pk}
    assert not job.offers.filter(status=OfferStatus.PENDING).exists()
    assert job.status == JobStatus.EXPIRED
    assert job.events.filter(kind="expired", data__fallback="professional").exists()


def test_scheduler_round_auto_confirms_after_the_delay(alice, bob, router_wifi, settings):
    settings.AUTO_CONFIRM_HOURS = 48
    job = _post(alice, router_wifi)
    job_accept(job=job, helper=bob)
    job_check_in(job=job, helper=bob)
    job_complete(job=job, helper=bob, note="Configured the router")
    JobRequest.objects.filter(pk=job.pk).update(completed_at=timezone.now() - timedelta(hours=47))
    call_command("run_scheduler", "--once")
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED

    JobRequest.objects.filter(pk=job.pk).update(completed_at=timezone.now() - timedelta(hours=49))
    call_command("run_scheduler", "--once")
    job.refresh_from_db()
    assert job.status == JobStatus.CONFIRMED
    assert job.events.filter(kind="auto_confirmed", actor__isnull=True).exists()
