"""Where job photos live: a private directory (settings.PHOTO_ROOT), outside MEDIA_ROOT and
without any URL. Photos are served only by `photos.views.serve` after a permission check."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PhotoStorage(FileSystemStorage):
    """FileSystemStorage rooted at settings.PHOTO_ROOT, read on every use (tests override it)."""

    @property
    def base_location(self):
        return str(settings.PHOTO_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Job photos have no public URL; use the photo view")


def photo_storage() -> PhotoStorage:
    return PhotoStorage()
