"""Operators' view of the background queue: GET /api/operator/tasks?status=failed|pending."""

from datetime import datetime
from typing import Literal

from ninja import Router, Schema

from marketplace.core import tasks
from marketplace.core.schemas import MAX_OFFSET, errors, require_operator

router = Router(tags=["tasks"])


class TaskRunOut(Schema):
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
    finished_at: datetime | None
    retried_by: str | None


@router.get("/tasks", response={200: list[TaskRunOut], **errors(401, 403, 422)})
def task_runs(
    request,
    status: Literal["failed", "pending"] = "failed",
    limit: int = 50,
    offset: int = 0,
):
    """Recent failed runs (newest first) or pending ones (next first) of the database queue,
    with the attempt number and, for failures, the error and traceback."""
    require_operator(request)
    runs = tasks.task_runs(
        status=status, limit=max(1, min(limit, 200)), offset=max(0, min(offset, MAX_OFFSET))
    )
    return runs


@router.post(
    "/tasks/{result_id}/retry", response={200: TaskRunOut, **errors(401, 403, 404, 409, 422)}
)
def retry(request, result_id: str):
    """Start a failed run again now, with the same arguments."""
    require_operator(request)
    return tasks.task_retry_now(result_id=result_id)
