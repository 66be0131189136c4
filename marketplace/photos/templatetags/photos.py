"""{% job_photos job as gallery %}: the job's photos for the person viewing the page (None when
they may not see them) and whether they may add one. Used by templates/partials/photos.html."""

from dataclasses import dataclass, field

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, reverse

from marketplace.photos import selectors, services
from marketplace.photos.models import JobPhoto, PhotoKind

register = template.Library()


@dataclass
class Gallery:
    request_photos: list[JobPhoto] = field(default_factory=list)
    completion_photos: list[JobPhoto] = field(default_factory=list)
    upload_kind: str = ""
    upload_url: str = ""
    max_per_kind: int = services.MAX_PER_KIND
    max_mb: str = ""


@register.simple_tag(takes_context=True)
def job_photos(context, job):
    request = context.get("request")
    if request is None or not selectors.can_see_photos(user=request.user, job=job):
        return None
    photos = list(selectors.photos_for(user=request.user, job=job))
    gallery = Gallery(
        request_photos=[p for p in photos if p.kind == PhotoKind.REQUEST],
        completion_photos=[p for p in photos if p.kind == PhotoKind.COMPLETION],
        max_mb=f"{settings.PHOTO_MAX_BYTES / (1024 * 1024):g}",
    )
    user = request.user
    namespace = request.resolver_match.namespace if request.resolver_match else ""
    if job.customer_id == user.pk and job.status in services.REQUEST_STATES:
        kind, mine = PhotoKind.REQUEST, gallery.request_photos
    elif job.assigned_helper_id == user.pk and job.status in services.COMPLETION_STATES:
        kind, mine = PhotoKind.COMPLETION, gallery.completion_photos
    else:
        return gallery
    if len(mine) < services.MAX_PER_KIND:
        try:
            gallery.upload_url = reverse(f"{namespace}:photos", args=[job.pk])
            gallery.upload_kind = kind
        except NoReverseMatch:
            pass
    return gallery
