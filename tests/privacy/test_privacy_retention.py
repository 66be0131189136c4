"""Retention limits: the periodic task blanks exact addresses and phones of long-closed jobs and
deletes old messages, photos and notifications; open and recent jobs are left alone; running it
again changes nothing."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from marketplace.jobs.models import JobRequest
from marketplace.messaging.models import Message
from marketplace.notifications.models import Notification
from marketplace.periodic import PERIODIC_TASKS
from marketplace.photos.models import JobPhoto
from marketplace.privacy.services import retention_apply
from marketplace.privacy.tasks import apply_retention
from tests.privacy.test_privacy_export import ALICE_ADDRESS, MALLORY_ADDRESS, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(
    alice, mallory, bob, carol, router_wifi, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.RETENTION_DAYS_JOB_ADDRESS = 90
    settings.RETENTION_DAYS_MESSAGES = 180
    settings.RETENTION_DAYS_PHOTOS = 180
    settings.RETENTION_DAYS_NOTIFICATIONS = 365
    with django_capture_on_commit_callbacks(execute=True):
        return build_world(
            alice=alice,
            mallory=mallory,
            bob=bob,
            carol=carol,
            router_wifi=router_wifi,
            settings=settings,
            tmp_path=tmp_path,
        )


def age(job, days):
    JobRequest.objects.filter(pk=job.pk).update(closed_at=timezone.now() - timedelta(days=days))


def test_recent_and_open_jobs_keep_everything(world):
    assert retention_apply() == {"job_addresses": 0, "messages": 0, "photos": 0, "notifications": 0}
    assert JobRequest.objects.get(pk=world.done.pk).address == ALICE_ADDRESS


def test_the_address_goes_after_the_retention_period(world):
    age(world.done, 91)
    age(world.cancelled, 89)
    done = retention_apply()
    assert done["job_addresses"] == 1
    job = JobRequest.objects.get(pk=world.done.pk)
    assert (job.address, job.contact_phone) == ("", "")
    assert (job.lat, job.lng) == (job.approx_lat, job.approx_lng)
    assert job.city and job.price  # the rest of the job, and its money, stay
    assert JobRequest.objects.get(pk=world.cancelled.pk).address == ALICE_ADDRESS
    assert JobRequest.objects.get(pk=world.theirs.pk).address == MALLORY_ADDRESS  # still open
    # Messages and photos are kept longer.
    assert Message.objects.filter(job=world.done).count() == 2
    assert JobPhoto.objects.filter(job=world.done).count() == 1


def test_messages_photos_and_notifications_go_later(world, django_capture_on_commit_callbacks):
    files = [Path(p.image.path) for p in JobPhoto.objects.filter(job=world.done)]
    age(world.done, 181)
    old = Notification.objects.filter(user__email="alice@example.com")
    old_ids = list(old.values_list("pk", flat=True)[:2])
    Notification.objects.filter(pk__in=old_ids).update(
        created_at=timezone.now() - timedelta(days=366)
    )
    with django_capture_on_commit_callbacks(execute=True):
        done = retention_apply()
    assert done == {"job_addresses": 1, "messages": 2, "photos": 1, "notifications": 2}
    assert not Message.objects.filter(job=world.done).exists()
    assert not JobPhoto.objects.filter(job=world.done).exists()
    assert not any(f.exists() for f in files)
    assert not Notification.objects.filter(pk__in=old_ids).exists()
    assert Notification.objects.exists()
    # The open job's thread is untouched.
    assert Message.objects.filter(job=world.theirs).exists()


def test_retention_is_idempotent(world):
    age(world.done, 400)
    age(world.cancelled, 400)
    first = retention_apply()
    assert first["job_addresses"] == 2 and first["messages"] == 2
    snapshot = list(JobRequest.objects.order_by("id").values())
    assert retention_apply() == {
        "job_addresses": 0,
        "messages": 0,
        "photos": 0,
        "notifications": 0,
    }
    assert list(JobRequest.objects.order_by("id").values()) == snapshot


def test_zero_days_keeps_forever(world, settings):
    settings.RETENTION_DAYS_JOB_ADDRESS = 0
    settings.RETENTION_DAYS_MESSAGES = 0
    settings.RETENTION_DAYS_PHOTOS = 0
    settings.RETENTION_DAYS_NOTIFICATIONS = 0
    age(world.done, 4000)
    assert retention_apply() == {"job_addresses": 0, "messages": 0, "photos": 0, "notifications": 0}
    assert JobRequest.objects.get(pk=world.done.pk).address == ALICE_ADDRESS


def test_the_task_runs_periodically(world):
    assert apply_retention in PERIODIC_TASKS
    age(world.done, 100)
    assert apply_retention.enqueue().return_value == 1
    assert apply_retention.enqueue().return_value == 0
