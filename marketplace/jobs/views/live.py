"""The live status block of a job page, served on its own for the page's poller (static/js/live.js).

The fragment is exactly what the job page includes (templates/partials/live_status.html), behind
the same permission checks as the page. Its version is the job's status and its last JobEvent id
(every transition writes one), so an unchanged poll costs the permission check plus one indexed
MAX() and answers 304 Not Modified without rendering anything.
"""

import hashlib
from datetime import datetime

from django.db.models import Max
from django.shortcuts import render
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from marketplace.helpers.access import helper_profile_required
from marketplace.helpers.selectors import helper_profile_for
from marketplace.jobs import selectors
from marketplace.jobs.access import job_or_404
from marketplace.jobs.models import JobEvent, JobRequest
from marketplace.jobs.timeline import timeline_entries
from marketplace.security.access import customer_required


def job_version(job: JobRequest) -> tuple[int, datetime | None]:
    """(last event id, its time): a cheap version of everything the status block shows."""
    last = JobEvent.objects.filter(job_id=job.pk).aggregate(id=Max("id"), at=Max("created_at"))
    return last["id"] or 0, last["at"]


def _etag(*, job: JobRequest, audience: str, event_id: int) -> str:
    raw = f"{audience}:{job.pk}:{job.status}:{job.assigned_helper_id}:{event_id}:{get_language()}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:20] + '"'


def live_context(*, job: JobRequest, audience: str, user) -> dict:
    """The context of templates/partials/live_status.html, as the job pages give it."""
    assigned = job.assigned_helper_id == user.pk
    helper_profile = None
    if audience == "customer" and job.assigned_helper_id:
        helper_profile = helper_profile_for(job.assigned_helper)
    show_timeline = audience == "customer" or assigned
    return {
        "job": job,
        "live_audience": audience,
        "assigned": assigned,
        "helper_profile": helper_profile,
        "timeline": timeline_entries(selectors.job_timeline(job=job)) if show_timeline else [],
    }


def _fragment(request, job: JobRequest, *, audience: str):
    event_id, last_at = job_version(job)
    etag = _etag(job=job, audience=audience, event_id=event_id)
    last_modified = (last_at or job.created_at).timestamp()
    response = get_conditional_response(request, etag=etag, last_modified=int(last_modified))
    if response is None:
        context = live_context(job=job, audience=audience, user=request.user)
        response = render(request, "partials/live_status.html", context)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(int(last_modified))
    response["X-Job-Closed"] = "1" if job.is_closed else "0"
    # Private and always revalidated: the poller sends If-None-Match itself.
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    return response


@customer_required
@require_GET
def customer_job_status(request, job_id: int):
    job = job_or_404(request.user, job_id)
    return _fragment(request, job, audience="customer")


@helper_profile_required
@require_GET
def helper_job_status(request, profile, job_id: int):
    job = job_or_404(request.user, job_id)
    return _fragment(request, job, audience="helper")
