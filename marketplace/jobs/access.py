"""A job the person may see, or 404: never reveal that a job exists to someone who may not
see it."""

from django.http import Http404
from django.utils.translation import gettext

from marketplace.core.errors import NotFound
from marketplace.jobs import selectors as job_selectors
from marketplace.jobs.models import JobRequest
from marketplace.security import audit


def job_or_404(user, job_id: int) -> JobRequest:
    try:
        return job_selectors.job_for_user(user=user, job_id=job_id)
    except NotFound:
        audit.authz_denied(user=user, reason="job_not_visible", status=404, job_id=job_id)
        raise Http404(gettext("Job not found")) from None
