"""Web: upload photos from the job pages and serve them after a permission check.

Photos are never reachable through MEDIA_URL: they live under settings.PHOTO_ROOT and leave only
through `serve`, for the job's customer, its assigned helper and operators (404 for everyone
else, so nobody learns that a photo exists)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from marketplace.core.errors import DomainError, NotFound
from marketplace.jobs.access import job_or_404
from marketplace.photos import selectors, services
from marketplace.photos.models import JobPhoto, PhotoKind
from marketplace.security.access import customer_required, helper_required


def photo_response(photo: JobPhoto) -> FileResponse:
    try:
        handle = photo.image.open("rb")
    except FileNotFoundError:
        raise Http404("Photo not found") from None
    response = FileResponse(handle, content_type=photo.content_type)
    response["Content-Disposition"] = (
        f'inline; filename="photo-{photo.pk}.{photo.image.name.rsplit(".", 1)[-1]}"'
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@login_required
@require_GET
def serve(request, photo_id: int):
    try:
        photo = selectors.photo_for_user(user=request.user, photo_id=photo_id)
    except NotFound:
        raise Http404("Photo not found") from None
    return photo_response(photo)


def _upload(request, job_id: int, *, kind: str, namespace: str):
    job = job_or_404(request.user, job_id)
    try:
        services.photo_add(job=job, user=request.user, kind=kind, upload=request.FILES.get("image"))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Photo added."))
    return redirect(reverse(f"{namespace}:job", args=[job.pk]) + "#photos")


@customer_required
@require_POST
def customer_upload(request, job_id: int):
    return _upload(request, job_id, kind=PhotoKind.REQUEST, namespace="customer")


@helper_required
@require_POST
def helper_upload(request, job_id: int):
    return _upload(request, job_id, kind=PhotoKind.COMPLETION, namespace="helper")
