"""In-app notifications (always on) and per-user e-mail preferences (default: every kind)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    NEW_OFFER = "new_offer", _("New job offers")
    JOB_ACCEPTED = "job_accepted", _("A helper accepted my request")
    ON_THE_WAY = "on_the_way", _("My helper is on the way")
    JOB_COMPLETED = "job_completed", _("A job is done and waits for my confirmation")
    PAYMENT_CAPTURED = "payment_captured", _("Payments and payouts")
    REVIEW_REQUEST = "review_request", _("Requests to rate a job")
    VETTING_RESULT = "vetting_result", _("The result of my helper application")
    JOB_EXPIRED = "job_expired", _("No helper was found for my request")


class Notification(models.Model):
    """One message to one person. Title and body are rendered in the recipient's language when
    created; `url` is a path on this site; `emailed_at` is set once, by the one worker that sends
    the e-mail (a conditional UPDATE), so an e-mail is never sent twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    job = models.ForeignKey(
        "jobs.JobRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=2000, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="notif_user_recent"),
            # The unread badge on every page: a COUNT over a small partial index.
            models.Index(
                fields=["user"], name="notif_user_unread", condition=Q(read_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def time_zone(self) -> str:
        """The clock its dates are shown on: its job's market, else the recipient's market as a
        helper, else the site's (settings.TIME_ZONE)."""
        if self.job_id is not None and self.job is not None:
            return self.job.market.time_zone
        profile = getattr(self.user, "helper_profile", None)
        if profile is not None:
            return profile.market.time_zone
        return settings.TIME_ZONE


class EmailPreference(models.Model):
    """Whether `user` gets `kind` by e-mail. No row means yes (the default is all on)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preferences"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="email_pref_once_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} e-mail={'on' if self.email else 'off'}"
