"""Notifications API: your own notifications only (anyone else's answer 404)."""

from datetime import datetime

from ninja import Field, Router, Schema
from pydantic import StrictBool

from marketplace.core.errors import ValidationFailed
from marketplace.core.schemas import MAX_OFFSET, InputSchema, errors
from marketplace.notifications import selectors, services
from marketplace.notifications.models import Kind, Notification

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str = Field(description="Path on this site to open (the job page, …)")
    job_id: int | None
    created_at: datetime
    read_at: datetime | None
    read: bool


class NotificationPageOut(Schema):
    count: int = Field(description="Notifications matching the filter")
    unread_count: int
    limit: int
    offset: int
    items: list[NotificationOut]


class ReadAllOut(Schema):
    marked: int
    unread_count: int


class PreferenceOut(Schema):
    kind: str
    label: str
    in_app: bool = Field(True, description="Always on")
    email: bool


class PreferencesIn(InputSchema):
    email: dict[str, StrictBool] = Field(
        description="Kind → send by e-mail; kinds left out keep their setting"
    )


def notification_out(n: Notification) -> dict:
    return {
        "id": n.pk,
        "kind": n.kind,
        "title": n.title,
        "body": n.body,
        "url": n.url,
        "job_id": n.job_id,
        "created_at": n.created_at,
        "read_at": n.read_at,
        "read": n.read_at is not None,
    }


def preferences_out(user) -> list[dict]:
    prefs = services.email_preferences(user=user)
    return [
        {"kind": kind, "label": str(label), "in_app": True, "email": prefs[kind]}
        for kind, label in Kind.choices
    ]


@router.get("", response={200: NotificationPageOut, **errors(401, 422)})
def list_notifications(request, unread: bool = False, limit: int = 20, offset: int = 0):
    """Your notifications, newest first; `unread=true` for the unread ones only."""
    limit = max(1, min(limit, 100))
    offset = max(0, min(offset, MAX_OFFSET))
    qs = selectors.notifications_for(user=request.auth, unread=unread)
    return {
        "count": qs.count(),
        "unread_count": selectors.unread_count(user=request.auth),
        "limit": limit,
        "offset": offset,
        "items": [notification_out(n) for n in qs[offset : offset + limit]],
    }


@router.post("/read-all", response={200: ReadAllOut, **errors(401, 403)})
def read_all(request):
    marked = services.notifications_mark_all_read(user=request.auth)
    return {"marked": marked, "unread_count": 0}


@router.post(
    "/{notification_id}/read", response={200: NotificationOut, **errors(401, 403, 404, 422)}
)
def read_one(request, notification_id: int):
    notification = services.notification_mark_read(
        user=request.auth, notification_id=notification_id
    )
    return notification_out(notification)


@router.get("/preferences", response={200: list[PreferenceOut], **errors(401)})
def get_preferences(request):
    """Which kinds you get by e-mail. In-app notifications are always on."""
    return preferences_out(request.auth)


@router.put("/preferences", response={200: list[PreferenceOut], **errors(400, 401, 403, 422)})
def put_preferences(request, payload: PreferencesIn):
    unknown = sorted(set(payload.email) - set(Kind.values))
    if unknown:
        raise ValidationFailed(f"Unknown notification kind(s): {', '.join(unknown)}")
    services.email_preferences_set(user=request.auth, email=payload.email)
    return preferences_out(request.auth)
