"""GET/POST /api/jobs/{id}/messages: the thread between a job's customer and assigned helper."""

from datetime import datetime

from ninja import Field, Router, Schema, Status

from marketplace.core.schemas import InputSchema, Text, errors
from marketplace.jobs import selectors as job_selectors
from marketplace.messaging import services
from marketplace.messaging.models import MAX_BODY, Message

router = Router(tags=["messaging"])


class MessageIn(InputSchema):
    body: Text(min_length=1, max_length=MAX_BODY) = Field(
        description=f"Plain text, 1–{MAX_BODY} characters (surrounding whitespace not counted); "
        "HTML is shown as text"
    )


class MessageOut(Schema):
    id: int
    author: str
    author_role: str = Field(description="customer, helper or operator")
    mine: bool
    body: str
    created_at: datetime


class ThreadOut(Schema):
    job_id: int
    can_post: bool
    read_only_reason: str | None = Field(description="Why you cannot write now, if you cannot")
    unread: int = Field(description="Messages from others since you last read (before this one)")
    messages: list[MessageOut]


def message_out(message: Message, user) -> dict:
    return {
        "id": message.pk,
        "author": message.author.display_name,
        "author_role": message.author_role,
        "mine": message.author_id == user.pk,
        "body": message.body,
        "created_at": message.created_at,
    }


@router.get("/{job_id}/messages", response={200: ThreadOut, **errors(401, 404, 409, 422)})
def get_messages(request, job_id: int):
    """The job's thread (customer and assigned helper; operators read all of a job's threads).
    Reading it marks it read. Before a helper accepts there is no thread: 409."""
    user = request.auth
    job = job_selectors.job_for_user(user=user, job_id=job_id)
    thread = services.thread_open(job=job, user=user)
    return {
        "job_id": job.pk,
        "can_post": thread.can_post,
        "read_only_reason": thread.refusal or None,
        "unread": thread.unread,
        "messages": [message_out(m, user) for m in thread.messages],
    }


@router.post(
    "/{job_id}/messages", response={201: MessageOut, **errors(400, 401, 403, 404, 409, 422)}
)
def post_message(request, job_id: int, payload: MessageIn):
    """Write to the other party. Closed jobs are read-only (409); operators write only while the
    job is disputed (403)."""
    user = request.auth
    job = job_selectors.job_for_user(user=user, job_id=job_id)
    message = services.message_post(job=job, author=user, body=payload.body)
    return Status(201, message_out(message, user))
