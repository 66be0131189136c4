from django.db import models


class RateLimitCounter(models.Model):
    """One fixed window of one limit for one subject (an IP, an account, a hashed e-mail).

    Incremented by a single `INSERT … ON CONFLICT (key, window_start) DO UPDATE SET count =
    count + 1 RETURNING count` (marketplace/security/ratelimit.py), so every process sees the same
    exact count. Rows of finished windows are deleted by the periodic `purge_rate_limits` task."""

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="ratelimit_key_window")
        ]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%Y-%m-%d %H:%M}: {self.count}"
