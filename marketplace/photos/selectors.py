"""Who may see a job's photos: its customer, the assigned helper and operators. Everyone else
(other customers, other helpers, a helper who gave the job back) gets NotFound, as for a job
they cannot see: photos of a home can tell where it is."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from marketplace.accounts.models import User
from marketplace.core.errors import NotFound
from marketplace.jobs.models import JobRequest
from marketplace.photos.models import JobPhoto


def can_see_photos(*, user: User, job: JobRequest) -> bool:
    if not user.is_authenticated:
        return False
    return (
        user.is_operator
        or job.customer_id == user.pk
        or (job.assigned_helper_id is not None and job.assigned_helper_id == user.pk)
    )


def photos_for(*, user: User, job: JobRequest) -> QuerySet[JobPhoto]:
    if not can_see_photos(user=user, job=job):
        raise NotFound(_("Job not found"))
    return (
        JobPhoto.objects.filter(job=job).select_related("uploaded_by").order_by("created_at", "id")
    )


def photo_for_user(*, user: User, photo_id: int, job_id: int | None = None) -> JobPhoto:
    photo = JobPhoto.objects.select_related("job").filter(pk=photo_id).first()
    if (
        photo is None
        or (job_id is not None and photo.job_id != job_id)
        or not can_see_photos(user=user, job=photo.job)
    ):
        raise NotFound(_("Photo not found"))
    return photo
