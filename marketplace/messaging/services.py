"""Writes on job threads: post a message, mark a thread read. Access rules: selectors.py."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.accounts.models import User
from marketplace.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from marketplace.jobs.models import JobRequest
from marketplace.messaging.models import MAX_BODY, AuthorRole, Message, ThreadRead
from marketplace.messaging.selectors import (
    Thread,
    check_thread_access,
    post_refusal,
    thread_for,
)


@transaction.atomic
def message_post(
    *, job: JobRequest, author: User, body: str, now: datetime | None = None
) -> Message:
    """Post into the job's current thread. The job row is locked and read again, so a message
    never lands in a thread that has just closed or whose helper has just left."""
    now = now or timezone.now()
    job = JobRequest.objects.select_for_update().get(pk=job.pk)
    role = check_thread_access(user=author, job=job)
    refusal = post_refusal(role=role, job=job)
    if refusal:
        error = NotAllowed if role == AuthorRole.OPERATOR else InvalidTransition
        raise error(refusal)
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_("Write a message first."), code="empty_message")
    if len(body) > MAX_BODY:
        raise ValidationFailed(
            _("A message can be at most %(max)d characters.") % {"max": MAX_BODY},
            code="message_too_long",
        )
    message = Message.objects.create(
        job=job,
        helper_id=job.assigned_helper_id,
        author=author,
        author_role=role,
        body=body,
        created_at=now,
    )
    if role != AuthorRole.OPERATOR:
        _mark_read(job=job, user=author, up_to=message.pk, now=now)
    return message


def _mark_read(*, job: JobRequest, user: User, up_to: int, now: datetime) -> None:
    marker, created = ThreadRead.objects.get_or_create(
        job=job, user=user, defaults={"last_read_id": up_to, "updated_at": now}
    )
    if not created:
        # Monotonic: a slow request never moves the marker back.
        ThreadRead.objects.filter(pk=marker.pk, last_read_id__lt=up_to).update(
            last_read_id=up_to, updated_at=now
        )


@transaction.atomic
def thread_mark_read(*, job: JobRequest, user: User, up_to: int, now: datetime | None = None):
    """The participant has seen the thread up to message `up_to` (operators keep no marker)."""
    role = check_thread_access(user=user, job=job)
    if role != AuthorRole.OPERATOR and up_to > 0:
        _mark_read(job=job, user=user, up_to=up_to, now=now or timezone.now())


def thread_open(*, job: JobRequest, user: User) -> Thread:
    """Read the thread (unread count as it was before) and mark it read: what showing the
    thread to a participant does, on the job page and in GET /api/jobs/{id}/messages."""
    thread = thread_for(user=user, job=job)
    if thread.messages and thread.unread:
        thread_mark_read(job=job, user=user, up_to=thread.messages[-1].pk)
    return thread
