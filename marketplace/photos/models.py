"""Photos on a job: the customer's on the request, the helper's on completion (DESIGN §1)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.jobs.models import JobRequest
from marketplace.photos.storage import photo_storage


class PhotoKind(models.TextChoices):
    REQUEST = "request", _("Request photo")
    COMPLETION = "completion", _("Completion photo")


EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def photo_path(instance: "JobPhoto", filename: str) -> str:
    """A random name: nothing in the path tells who uploaded it or what it was called."""
    ext = EXTENSIONS.get(instance.content_type, "bin")
    return f"jobs/{instance.job_id}/{uuid.uuid4().hex}.{ext}"


class JobPhoto(models.Model):
    job = models.ForeignKey(JobRequest, on_delete=models.CASCADE, related_name="photos")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=PhotoKind.choices)
    # Re-encoded by photos.services (no EXIF); FileField, as the content is checked there.
    image = models.FileField(upload_to=photo_path, storage=photo_storage, max_length=200)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField(help_text="Bytes, after re-encoding")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["job", "kind"], name="photo_job_kind")]

    def __str__(self) -> str:
        return f"{self.kind} photo job={self.job_id}"
