"""The one way a job changes state: a conditional UPDATE plus a JobEvent, inside a transaction.

`status IN (allowed_from)` in the WHERE clause makes every transition safe against races: of two
concurrent requests only one sees its row updated; the other gets InvalidTransition (HTTP 409).
"""

from django.db import transaction
from django.utils import timezone

from marketplace.core.errors import InvalidTransition
from marketplace.jobs.models import JobEvent, JobRequest


def record_event(
    *,
    job: JobRequest,
    kind: str,
    actor=None,
    data: dict | None = None,
    from_status: str = "",
    to_status: str = "",
) -> JobEvent:
    return JobEvent.objects.create(
        job=job,
        actor=actor if (actor is not None and actor.pk) else None,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
        created_at=timezone.now(),
    )


def transition(
    *,
    job: JobRequest,
    to: str,
    allowed_from: tuple[str, ...],
    kind: str,
    actor=None,
    data: dict | None = None,
    message: str | None = None,
    where: dict | None = None,
    **fields,
) -> JobRequest:
    """Move `job` to `to` if it is still in `allowed_from`; raise InvalidTransition if not.

    `where` adds conditions checked in the same UPDATE (e.g. that the acting helper is still the
    assigned one), so a caller holding a stale `job` cannot act on a row that changed meanwhile.
    """
    assert transaction.get_connection().in_atomic_block, "transition() must run inside atomic()"
    # Lock the row before reading: the event's from_status is then the state actually left, even
    # when another transition committed just before this one.
    before = (
        JobRequest.objects.select_for_update()
        .filter(pk=job.pk)
        .values_list("status", flat=True)
        .first()
    )
    updated = JobRequest.objects.filter(pk=job.pk, status__in=allowed_from, **(where or {})).update(
        status=to, **fields
    )
    if not updated:
        current = before or job.status
        raise InvalidTransition(
            message
            or f"This job is {current.replace('_', ' ')}; it cannot go to {to.replace('_', ' ')}"
        )
    job.refresh_from_db()
    record_event(job=job, kind=kind, actor=actor, data=data, from_status=before or "", to_status=to)
    return job
