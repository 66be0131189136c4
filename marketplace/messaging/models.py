"""Messages between a job's customer and its assigned helper (DESIGN §1: "can message").

A thread is keyed by (job, helper): when a helper gives the job back and another accepts, the new
helper starts a fresh thread and never reads what was said to the previous one. Operators read
every thread of a job and may write into the current one while the job is disputed.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.jobs.models import JobRequest

MAX_BODY = 2000


class AuthorRole(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    HELPER = "helper", _("Helper")
    OPERATOR = "operator", _("Operator")


class Message(models.Model):
    job = models.ForeignKey(JobRequest, on_delete=models.CASCADE, related_name="messages")
    # The assigned helper of the thread this message belongs to (not necessarily the author).
    helper = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_role = models.CharField(max_length=16, choices=AuthorRole.choices)
    body = models.TextField(max_length=MAX_BODY)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["job", "helper", "id"], name="message_thread")]

    def __str__(self) -> str:
        return f"message job={self.job_id} by={self.author_id}"


class ThreadRead(models.Model):
    """How far one participant has read a job's thread: messages with a higher id are unread."""

    job = models.ForeignKey(JobRequest, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_id = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "user"], name="thread_read_once_per_user")
        ]

    def __str__(self) -> str:
        return f"read job={self.job_id} user={self.user_id} up to {self.last_read_id}"
