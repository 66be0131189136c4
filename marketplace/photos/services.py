"""Adding photos to a job. The content is checked with Pillow (never trusted from the file name
or the browser's content type), size and count are bounded, and every photo is re-encoded from
its pixels alone, so EXIF (GPS position, camera serial, ...) and other metadata never reach disk.
"""

from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageOps, UnidentifiedImageError

from marketplace.accounts.models import User
from marketplace.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from marketplace.jobs.models import JobRequest, JobStatus
from marketplace.photos.models import JobPhoto, PhotoKind

MAX_PER_KIND = 6
MAX_PIXELS = 40_000_000  # 40 MP: far above any phone photo, far below a decompression bomb
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# The customer adds photos to the request while it is open or assigned; the helper adds
# completion photos while working and right after marking the job done.
REQUEST_STATES = (JobStatus.OPEN, JobStatus.OFFERED, JobStatus.ACCEPTED, JobStatus.IN_PROGRESS)
COMPLETION_STATES = (JobStatus.IN_PROGRESS, JobStatus.COMPLETED)


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    width: int
    height: int


def _not_an_image() -> ValidationFailed:
    return ValidationFailed(_("Upload a JPEG, PNG or WebP image."), code="photo_type")


def _too_large() -> ValidationFailed:
    mb = settings.PHOTO_MAX_BYTES / (1024 * 1024)
    return ValidationFailed(
        _("The photo is too large; the limit is %(mb)s MB.") % {"mb": f"{mb:g}"},
        code="photo_too_large",
    )


def read_upload(upload) -> bytes:
    """The uploaded bytes, refusing more than PHOTO_MAX_BYTES without reading it all."""
    limit = settings.PHOTO_MAX_BYTES
    if upload is None:
        raise ValidationFailed(_("Choose a photo to upload."), code="photo_missing")
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _too_large()
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _too_large()
    if not data:
        raise ValidationFailed(_("The file is empty."), code="photo_empty")
    return data


def clean_image(data: bytes) -> CleanImage:
    """Check that `data` really is a JPEG, PNG or WebP image and re-encode it without metadata."""
    try:
        with Image.open(BytesIO(data)) as probe:
            fmt = probe.format
            if fmt not in FORMATS:
                raise _not_an_image()
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationFailed(
                    _("The photo has too many pixels; take it at a lower resolution."),
                    code="photo_too_large",
                )
            probe.verify()
        with Image.open(BytesIO(data)) as img:
            img.load()
            encoded, width, height = _reencode(img, fmt)
    except ValidationFailed:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        IndexError,
        TypeError,
    ):
        raise _not_an_image() from None
    return CleanImage(data=encoded, content_type=FORMATS[fmt], width=width, height=height)


def _reencode(img: Image.Image, fmt: str) -> tuple[bytes, int, int]:
    img = ImageOps.exif_transpose(img)  # keep the photo upright once the orientation tag is gone
    if fmt == "JPEG":
        mode = "L" if img.mode in ("L", "1") else "RGB"
    elif fmt == "PNG":
        mode = img.mode if img.mode in ("RGB", "RGBA", "L", "LA") else "RGBA"
    else:
        mode = "RGBA" if ("A" in img.getbands() or "transparency" in img.info) else "RGB"
    if img.mode != mode:
        img = img.convert(mode)
    # A new image from the pixels alone: no EXIF, XMP, ICC, text chunks or comments survive.
    clean = Image.frombytes(mode, img.size, img.tobytes())
    out = BytesIO()
    if fmt == "JPEG":
        clean.save(out, "JPEG", quality=85, optimize=True)
    elif fmt == "PNG":
        clean.save(out, "PNG", optimize=True)
    else:
        clean.save(out, "WEBP", quality=85)
    return out.getvalue(), clean.width, clean.height


def _check_may_add(*, job: JobRequest, user: User, kind: str) -> None:
    if kind == PhotoKind.REQUEST:
        if job.customer_id != user.pk:
            raise NotAllowed(_("Only the customer adds photos to the request."))
        if job.status not in REQUEST_STATES:
            raise InvalidTransition(
                _("Photos can be added to the request only while it is open or assigned.")
            )
    elif kind == PhotoKind.COMPLETION:
        if job.assigned_helper_id is None or job.assigned_helper_id != user.pk:
            raise NotAllowed(_("Only the assigned helper adds completion photos."))
        if job.status not in COMPLETION_STATES:
            raise InvalidTransition(
                _("Completion photos can be added while you work on the job or just after.")
            )
    else:
        raise ValidationFailed(_("The photo kind must be 'request' or 'completion'."))


@transaction.atomic
def photo_add(
    *, job: JobRequest, user: User, kind: str, upload, now: datetime | None = None
) -> JobPhoto:
    """Add one photo. The job row is locked, so two uploads at once cannot pass the limit."""
    job = JobRequest.objects.select_for_update().get(pk=job.pk)
    _check_may_add(job=job, user=user, kind=kind)
    if JobPhoto.objects.filter(job=job, kind=kind).count() >= MAX_PER_KIND:
        raise ValidationFailed(
            ngettext(
                "A job can have at most %(n)d photo of this kind.",
                "A job can have at most %(n)d photos of this kind.",
                MAX_PER_KIND,
            )
            % {"n": MAX_PER_KIND},
            code="photo_limit",
        )
    image = clean_image(read_upload(upload))
    photo = JobPhoto(
        job=job,
        uploaded_by=user,
        kind=kind,
        content_type=image.content_type,
        size=len(image.data),
        width=image.width,
        height=image.height,
        created_at=now or timezone.now(),
    )
    photo.image.save("photo", ContentFile(image.data), save=False)
    name = photo.image.name
    # The file is written before the row commits; if the transaction rolls back, remove it.
    try:
        photo.save()
    except Exception:
        photo.image.storage.delete(name)
        raise
    return photo
