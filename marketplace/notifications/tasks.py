"""E-mail for notifications, sent by the background worker under the retry policy of
marketplace/core/tasks.py (5 attempts, 1 min, 2 min, 4 min, 8 min apart)."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext

from marketplace.core.tasks import retrying_task
from marketplace.notifications.models import Notification
from marketplace.notifications.selectors import recipient_language, wants_email

logger = logging.getLogger(__name__)


def email_text(notification: Notification) -> str:
    """The body, the job's status as the recipient reads it (marketplace.jobs.labels: the
    customer, the assigned helper and an operator each in their own words) and the link."""
    text = notification.body
    job = notification.job if notification.job_id else None
    if job is not None:
        from marketplace.jobs.labels import status_label

        with translation.override(recipient_language(notification.user)):
            status = gettext("Status: %(status)s.") % {
                "status": status_label(job, viewer=notification.user)
            }
        text = f"{text}\n\n{status}" if text else status
    if notification.url:
        link = settings.SITE_URL.rstrip("/") + notification.url
        text = f"{text}\n\n{link}" if text else link
    return text


@retrying_task(max_attempts=5, backoff_seconds=60)
def send_notification_email(notification_id: int) -> bool:
    """Send one notification by e-mail, at most once: the run that sets `emailed_at` (a
    conditional UPDATE) is the one that sends, so two workers, or a task enqueued twice, never
    send it twice. If sending fails the mark is taken back and the error raised: the retry
    policy tries again later. True when this run sent it."""
    notification = (
        Notification.objects.select_related("user", "job")
        .filter(pk=notification_id, emailed_at__isnull=True)
        .first()
    )
    if notification is None:
        return False  # already sent, or deleted
    user = notification.user
    if not (user.is_active and user.email and wants_email(user=user, kind=notification.kind)):
        return False  # turned off since: in-app only
    claimed_at = timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=claimed_at
    )
    if not claimed:
        return False  # another worker got there first
    try:
        send_mail(
            subject=notification.title,
            message=email_text(notification),
            from_email=None,  # DEFAULT_FROM_EMAIL
            recipient_list=[user.email],
        )
    except Exception:
        Notification.objects.filter(pk=notification_id, emailed_at=claimed_at).update(
            emailed_at=None
        )
        raise
    logger.info("e-mailed notification %s (%s)", notification_id, notification.kind)
    return True
