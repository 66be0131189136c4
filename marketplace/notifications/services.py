"""Writes on notifications: create one (and queue its e-mail), mark read, set preferences.

`notify()` runs inside the caller's transaction, in a savepoint: the notification exists exactly
when the state change that caused it committed, and a failure here is logged, never allowed to
undo the caller's change. The e-mail is enqueued on commit, so a rolled-back change sends
nothing.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone

from marketplace.core.errors import NotFound
from marketplace.notifications.models import EmailPreference, Kind, Notification
from marketplace.notifications.selectors import wants_email

logger = logging.getLogger(__name__)
_emails_muted: ContextVar[bool] = ContextVar("notification_emails_muted", default=False)


@contextmanager
def emails_muted() -> Iterator[None]:
    """In-app notifications only, no e-mail: for generated data (`seed_demo`, `seed_pilot`),
    whose thousands of events must not queue thousands of e-mails to example addresses."""
    token = _emails_muted.set(True)
    try:
        yield
    finally:
        _emails_muted.reset(token)


def notify(
    *, user, kind: str, title: str, body: str = "", url: str = "", job=None
) -> Notification | None:
    """Create the in-app notification and, if the person wants this kind by e-mail, send it once
    the current transaction commits. Returns None (and logs) if it could not be created."""
    if user is None or not user.is_active:
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user,
                kind=kind,
                job=job,
                title=str(title)[:200],
                body=str(body)[:2000],
                url=str(url)[:300],
            )
            email = (
                bool(user.email) and not _emails_muted.get() and wants_email(user=user, kind=kind)
            )
    except Exception:
        logger.exception("could not create a %s notification for user %s", kind, user.pk)
        return None
    if email:
        from marketplace.notifications.tasks import send_notification_email

        transaction.on_commit(
            partial(send_notification_email.enqueue, notification.pk), robust=True
        )
    return notification


def notification_mark_read(*, user, notification_id: int, now: datetime | None = None):
    """Mark one of the person's own notifications read (404 for anyone else's)."""
    notification = Notification.objects.filter(pk=notification_id, user=user).first()
    if notification is None:
        raise NotFound("Notification not found")
    if notification.read_at is None:
        now = now or timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def notifications_mark_all_read(*, user, now: datetime | None = None) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )


def email_preferences(*, user) -> dict[str, bool]:
    """Every kind → whether it is sent by e-mail (in-app notifications are always on)."""
    prefs = {kind: True for kind in Kind.values}
    prefs.update(EmailPreference.objects.filter(user=user).values_list("kind", "email"))
    return prefs


@transaction.atomic
def email_preferences_set(*, user, email: dict[str, bool]) -> dict[str, bool]:
    """Set e-mail on or off per kind; kinds not given keep their setting."""
    for kind, on in email.items():
        if kind not in Kind.values:
            continue
        EmailPreference.objects.update_or_create(user=user, kind=kind, defaults={"email": bool(on)})
    return email_preferences(user=user)
