"""GET/POST /api/jobs/{id}/photos and GET /api/jobs/{id}/photos/{photo_id} (the image)."""

from datetime import datetime

from django.urls import reverse
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from marketplace.core.schemas import errors
from marketplace.jobs import selectors as job_selectors
from marketplace.photos import selectors, services
from marketplace.photos.models import JobPhoto, PhotoKind
from marketplace.photos.views import photo_response

router = Router(tags=["photos"])


class PhotoOut(Schema):
    id: int
    kind: str = Field(description="request (added by the customer) or completion (by the helper)")
    content_type: str
    size: int = Field(description="Bytes")
    width: int
    height: int
    uploaded_by: str
    created_at: datetime
    url: str = Field(description="The image, for the same caller (bearer token or session)")


def photo_out(photo: JobPhoto) -> dict:
    return {
        "id": photo.pk,
        "kind": photo.kind,
        "content_type": photo.content_type,
        "size": photo.size,
        "width": photo.width,
        "height": photo.height,
        "uploaded_by": photo.uploaded_by.display_name,
        "created_at": photo.created_at,
        "url": reverse("api:job_photo_file", args=[photo.job_id, photo.pk]),
    }


@router.get("/{job_id}/photos", response={200: list[PhotoOut], **errors(401, 404, 422)})
def list_photos(request, job_id: int):
    """The job's photos: for its customer, the assigned helper and operators."""
    job = job_selectors.job_for_user(user=request.auth, job_id=job_id)
    return [photo_out(p) for p in selectors.photos_for(user=request.auth, job=job)]


@router.post("/{job_id}/photos", response={201: PhotoOut, **errors(400, 401, 403, 404, 409, 422)})
def upload_photo(
    request,
    job_id: int,
    kind: Form[PhotoKind],
    image: File[UploadedFile],
):
    """Multipart upload (fields `kind` and `image`). JPEG, PNG or WebP, checked by content; at
    most PHOTO_MAX_BYTES (5 MB) and 6 photos per kind. Metadata such as GPS is removed."""
    job = job_selectors.job_for_user(user=request.auth, job_id=job_id)
    photo = services.photo_add(job=job, user=request.auth, kind=kind, upload=image)
    return Status(201, photo_out(photo))


@router.get(
    "/{job_id}/photos/{photo_id}",
    response={200: None, **errors(401, 404, 422)},
    url_name="job_photo_file",
    openapi_extra={
        "responses": {
            200: {
                "description": "The image",
                "content": {
                    "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                    "image/png": {"schema": {"type": "string", "format": "binary"}},
                    "image/webp": {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def photo_file(request, job_id: int, photo_id: int):
    photo = selectors.photo_for_user(user=request.auth, photo_id=photo_id, job_id=job_id)
    return photo_response(photo)
