"""Reads on notifications. Nobody ever sees another person's notifications."""

from django.conf import settings
from django.db.models import QuerySet

from marketplace.core.errors import NotFound
from marketplace.notifications.models import EmailPreference, Notification


def wants_email(*, user, kind: str) -> bool:
    """E-mail is on unless the person turned this kind off."""
    return not EmailPreference.objects.filter(user=user, kind=kind, email=False).exists()


def recipient_language(user) -> str:
    """The language a message to `user` is written in: theirs, else the site default."""
    return (
        getattr(user, "language", "") or getattr(user, "preferred_language", "")
    ) or settings.LANGUAGE_CODE


def notifications_for(*, user, unread: bool = False) -> QuerySet[Notification]:
    """The person's notifications, newest first, with the job and market their line shows
    (status, time zone)."""
    qs = (
        Notification.objects.filter(user=user)
        .select_related("job__market", "user__helper_profile__market")
        .order_by("-created_at", "-id")
    )
    return qs.filter(read_at__isnull=True) if unread else qs


def unread_count(*, user) -> int:
    """One COUNT over the partial index of unread notifications."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_for(*, user, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, user=user).first()
    if notification is None:
        raise NotFound("Notification not found")
    return notification
