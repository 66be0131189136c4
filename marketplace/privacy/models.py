from django.db import models
from django.utils import timezone


class ErasureRecord(models.Model):
    """Proof that a person's data was erased: whose (the user id only, which money and audit rows
    still reference), when, through which channel, and how many rows of each kind were changed."""

    user_id = models.PositiveBigIntegerField(db_index=True)
    erased_at = models.DateTimeField(default=timezone.now)
    via = models.CharField(max_length=8)  # "web" or "api"
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-erased_at", "-id"]

    def __str__(self) -> str:
        return f"user {self.user_id} erased {self.erased_at:%Y-%m-%d}"
