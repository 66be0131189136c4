"""Retry policy for background tasks (DESIGN §9), and what operators see of the queue.

django-tasks-db runs each enqueued task once: an exception marks the run FAILED and nothing
happens again. Tasks that talk to the outside world (SMTP, …) opt into a retry policy with
`@retrying_task`:

    @retrying_task(max_attempts=5, backoff_seconds=60)
    def send_notification_email(notification_id: int) -> bool: ...

When a run raises, the wrapper enqueues the next attempt of the same task with the same
arguments, deferred by `backoff_seconds * 2 ** (attempt - 1)` (capped at `max_backoff_seconds`),
then re-raises, so the failed run stays in the queue table as FAILED with its traceback. The
attempt number and the id of the run it retries travel in two reserved keyword arguments,
`retry_attempt` and `retry_of`, which the wrapper removes before calling the function. After
`max_attempts` failed runs nothing more is scheduled: the last run shows as failed on
`/operator/tasks/` (and `GET /api/operator/tasks?status=failed`), where an operator can start it
again ("retry now": a fresh run with a full set of attempts).

Tasks under this policy must be idempotent (a retry may follow a run that half-worked), as all
tasks of this project are. Backends that cannot defer (the immediate backend used by the tests)
run the retry at once.
"""

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django.utils.module_loading import import_string

from marketplace.core.errors import InvalidTransition, NotFound

logger = logging.getLogger(__name__)

ATTEMPT_KWARG = "retry_attempt"
RETRY_OF_KWARG = "retry_of"
RESERVED_KWARGS = (ATTEMPT_KWARG, RETRY_OF_KWARG)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_seconds: float = 30
    max_backoff_seconds: float = 3600

    def delay(self, attempt: int) -> timedelta:
        """Wait before attempt `attempt + 1`, after attempt `attempt` failed: 30 s, 60 s, 120 s…"""
        seconds = self.backoff_seconds * (2 ** max(attempt - 1, 0))
        return timedelta(seconds=min(seconds, self.max_backoff_seconds))


def retry_policy(task_obj) -> RetryPolicy | None:
    """The policy of a task made by `retrying_task`, else None."""
    return getattr(task_obj.func, "retry_policy", None)


def retrying_task(
    function=None,
    *,
    max_attempts: int = 5,
    backoff_seconds: float = 30,
    max_backoff_seconds: float = 3600,
    **task_options,
):
    """Like `django.tasks.task`, plus re-enqueueing a failed run with exponential backoff."""
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    policy = RetryPolicy(max_attempts, backoff_seconds, max_backoff_seconds)

    def decorate(func):
        @functools.wraps(func)
        def run(context, *args, **kwargs):
            attempt = int(kwargs.pop(ATTEMPT_KWARG, 1) or 1)
            kwargs.pop(RETRY_OF_KWARG, None)
            try:
                return func(*args, **kwargs)
            except Exception:
                _schedule_retry(context, policy, attempt, args, kwargs)
                raise

        # The task framework reads the signature (first argument "context"): show it the
        # wrapper's, not the wrapped function's.
        del run.__wrapped__
        run.retry_policy = policy
        return task(run, takes_context=True, **task_options)

    return decorate(function) if function is not None else decorate


def _schedule_retry(context, policy: RetryPolicy, attempt: int, args, kwargs) -> None:
    current = context.task_result
    if attempt >= policy.max_attempts:
        logger.warning(
            "task %s failed on attempt %s of %s; giving up",
            current.task.name,
            attempt,
            policy.max_attempts,
        )
        return
    follow_up = current.task
    if follow_up.get_backend().supports_defer:
        follow_up = follow_up.using(run_after=timezone.now() + policy.delay(attempt))
    try:
        follow_up.enqueue(
            *args, **kwargs, **{ATTEMPT_KWARG: attempt + 1, RETRY_OF_KWARG: str(current.id)}
        )
    except Exception:  # the original error matters more than a failed re-enqueue
        logger.exception("could not schedule a retry of task %s", current.task.name)
    else:
        logger.info(
            "task %s failed on attempt %s of %s; retrying",
            current.task.name,
            attempt,
            policy.max_attempts,
        )


# --- What operators see: the queue table of django-tasks-db ---------------------------------

PENDING_STATUSES = (TaskResultStatus.READY, TaskResultStatus.RUNNING)
LISTED = {
    "failed": (TaskResultStatus.FAILED,),
    "pending": PENDING_STATUSES,
}


@dataclass(frozen=True)
class TaskRun:
    """One run of a task, as operators see it."""

    id: str
    name: str
    path: str
    status: str
    args: list
    kwargs: dict
    attempt: int
    max_attempts: int | None
    error: str
    traceback: str
    enqueued_at: datetime
    run_after: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    retried_by: str | None  # the id of the run that retries this failed one, if any

    @property
    def can_retry(self) -> bool:
        return self.status == TaskResultStatus.FAILED and self.retried_by is None

    @property
    def when(self) -> datetime:
        return self.finished_at or self.started_at or self.run_after or self.enqueued_at


def _error_line(row) -> str:
    """The exception's last traceback line ("ConnectionRefusedError: [Errno 111] …")."""
    lines = [line for line in (row.traceback or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else row.exception_class_path


def _policy_for_path(path: str) -> RetryPolicy | None:
    try:
        return retry_policy(import_string(path))
    except (ImportError, AttributeError):
        return None


def _run(row, retried_by: str | None) -> TaskRun:
    kwargs = dict((row.args_kwargs or {}).get("kwargs") or {})
    attempt = int(kwargs.pop(ATTEMPT_KWARG, 1) or 1)
    kwargs.pop(RETRY_OF_KWARG, None)
    policy = _policy_for_path(row.task_path)
    far_future = row.run_after and row.run_after.year >= 9999
    return TaskRun(
        id=str(row.id),
        name=row.task_path.rsplit(".", 1)[-1],
        path=row.task_path,
        status=row.status,
        args=list((row.args_kwargs or {}).get("args") or []),
        kwargs=kwargs,
        attempt=attempt,
        max_attempts=policy.max_attempts if policy else None,
        error=_error_line(row) if row.status == TaskResultStatus.FAILED else "",
        traceback=row.traceback if row.status == TaskResultStatus.FAILED else "",
        enqueued_at=row.enqueued_at,
        run_after=None if far_future else row.run_after,
        started_at=row.started_at,
        finished_at=row.finished_at,
        retried_by=retried_by,
    )


def _retried_by(failed_ids: list[str]) -> dict[str, str]:
    """For each failed run id, the id of a later run that retries it (automatic or manual)."""
    if not failed_ids:
        return {}
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.filter(
        **{f"args_kwargs__kwargs__{RETRY_OF_KWARG}__in": failed_ids}
    ).values_list("id", f"args_kwargs__kwargs__{RETRY_OF_KWARG}")
    return {str(of): str(pk) for pk, of in rows}


def task_runs(*, status: str = "failed", limit: int = 50, offset: int = 0) -> list[TaskRun]:
    """Recent runs in `status` ("failed": newest first; "pending": next to run first)."""
    if status not in LISTED:
        raise ValueError(f"status must be one of {sorted(LISTED)}")
    from django_tasks_db.models import DBTaskResult

    qs = DBTaskResult.objects.filter(status__in=LISTED[status]).only(
        "id",
        "status",
        "task_path",
        "args_kwargs",
        "enqueued_at",
        "run_after",
        "started_at",
        "finished_at",
        "exception_class_path",
        "traceback",
    )
    if status == "failed":
        qs = qs.order_by("-finished_at", "-enqueued_at")
    else:
        qs = qs.order_by("run_after", "enqueued_at")
    rows = list(qs[offset : offset + limit])
    retried = _retried_by([str(r.id) for r in rows if r.status == TaskResultStatus.FAILED])
    return [_run(r, retried.get(str(r.id))) for r in rows]


def task_run_counts() -> dict[str, int]:
    from django_tasks_db.models import DBTaskResult

    return {
        name: DBTaskResult.objects.filter(status__in=statuses).count()
        for name, statuses in LISTED.items()
    }


def task_retry_now(*, result_id: str) -> TaskRun:
    """An operator starts a failed run again at once, with the same arguments (and, for tasks
    under a retry policy, a full set of attempts). A run that was already retried is not
    retried twice."""
    from django_tasks_db.models import DBTaskResult

    try:
        row = DBTaskResult.objects.get(pk=result_id)
    except (DBTaskResult.DoesNotExist, ValidationError, ValueError):
        raise NotFound("No such task run") from None
    if row.status != TaskResultStatus.FAILED:
        raise InvalidTransition("Only failed runs can be retried")
    if _retried_by([str(row.id)]):
        raise InvalidTransition("This run has already been retried")
    try:
        task_obj = import_string(row.task_path)
    except ImportError:
        raise InvalidTransition(f"The task {row.task_path} no longer exists") from None
    args = list(row.args_kwargs.get("args") or [])
    kwargs = {
        k: v for k, v in (row.args_kwargs.get("kwargs") or {}).items() if k not in RESERVED_KWARGS
    }
    if retry_policy(task_obj) is not None:
        kwargs[RETRY_OF_KWARG] = str(row.id)
    result = task_obj.enqueue(*args, **kwargs)
    new_row = DBTaskResult.objects.filter(pk=result.id).first()
    logger.info("operator retried task run %s as %s", row.id, result.id)
    return _run(new_row, None) if new_row else _run(row, str(result.id))
