"""Helper job pages: offers, the nearby feed, my jobs and the job page (applying and the profile
are in helpers.views).

Privacy (DESIGN §4): before acceptance a helper sees the town and an approximate distance only;
the exact address and phone appear on the job page for the assigned helper while the job is
open, decided by `selectors.can_see_exact_location` and nothing else.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from marketplace.core import geo
from marketplace.core.errors import InvalidTransition, NotFound
from marketplace.core.forms import ReasonForm
from marketplace.core.pages import attempt
from marketplace.helpers.access import helper_profile_required
from marketplace.helpers.models import HelperStatus
from marketplace.jobs import selectors, services
from marketplace.jobs.access import job_or_404
from marketplace.jobs.forms import CompleteForm, ReviewForm
from marketplace.jobs.models import JobOffer, JobStatus
from marketplace.jobs.timeline import timeline_entries
from marketplace.security.ratelimit import rate_limit


def _approx_distance_km(profile, job) -> float:
    """Distance from the helper's home to the job's privacy-snapped point (never the exact one)."""
    return geo.geodesic_km(profile.lat, profile.lng, job.approx_lat, job.approx_lng)


@helper_profile_required
def offers(request, profile):
    items = [
        {"offer": offer, "job": offer.job, "distance_km": _approx_distance_km(profile, offer.job)}
        for offer in selectors.offers_for_helper(user=request.user)
    ]
    return render(request, "helper/offers.html", {"profile": profile, "items": items})


@helper_profile_required
@require_POST
def decline(request, profile, offer_id: int):
    offer = get_object_or_404(JobOffer, pk=offer_id, helper=request.user)
    attempt(
        request,
        lambda: services.offer_decline(offer=offer, helper=request.user),
        success=gettext("Offer declined."),
    )
    return redirect("helper:offers")


@helper_profile_required
def nearby(request, profile):
    items = selectors.nearby_open_jobs(profile=profile)
    return render(request, "helper/nearby.html", {"profile": profile, "items": items})


@helper_profile_required
def my_jobs(request, profile):
    jobs = selectors.jobs_for_helper(user=request.user)
    return render(request, "helper/jobs.html", {"profile": profile, "jobs": jobs})


def _render_job(request, profile, job, *, review_form=None, status=200):
    user = request.user
    assigned = job.assigned_helper_id == user.pk
    # Pending offers have no selector of their own; offers_for_helper is the pending list.
    offer = selectors.offers_for_helper(user=user).filter(job=job).first()
    my_review = selectors.review_by(job=job, author=user) if assigned else None
    can_review = assigned and job.status == JobStatus.CONFIRMED and my_review is None
    context = {
        "profile": profile,
        "job": job,
        "assigned": assigned,
        "exact": selectors.can_see_exact_location(user=user, job=job),
        "distance_km": _approx_distance_km(profile, job),
        "offer": offer,
        "can_accept": job.is_open and profile.status == HelperStatus.VETTED,
        "timeline": timeline_entries(selectors.job_timeline(job=job)) if assigned else [],
        "complete_form": CompleteForm(),
        "release_form": ReasonForm(),
        "my_review": my_review,
        "review_form": (review_form or ReviewForm()) if can_review else None,
    }
    return render(request, "helper/job.html", context, status=status)


@helper_profile_required
def job_detail(request, profile, job_id: int):
    return _render_job(request, profile, job_or_404(request.user, job_id))


def _job_action(request, job_id: int, action, *, success: str):
    job = job_or_404(request.user, job_id)
    attempt(request, lambda: action(job), success=success)
    return redirect("helper:job", job_id=job.pk)


@helper_profile_required
@require_POST
@rate_limit("job_accept", key="user")
def accept(request, profile, job_id: int):
    try:
        job = selectors.job_for_acceptance(user=request.user, job_id=job_id)
    except InvalidTransition as exc:
        # Came too late for a job they knew of: say so, and back to the jobs they can still take
        # (the job page itself is no longer theirs to see).
        messages.error(request, exc.message)
        return redirect("helper:nearby")
    except NotFound:
        job = job_or_404(request.user, job_id)  # 404, logged (unless visible again meanwhile)
    accepted = attempt(
        request,
        lambda: services.job_accept(job=job, helper=request.user),
        success=gettext("The job is yours. The address and phone number are below."),
    )
    if not accepted:
        # Refused (say, another helper was faster a moment ago): the job page only if it is
        # still theirs to see, the feed otherwise — never a 404 for the loser of the race.
        try:
            selectors.job_for_user(user=request.user, job_id=job.pk)
        except NotFound:
            return redirect("helper:nearby")
    return redirect("helper:job", job_id=job.pk)


@helper_profile_required
@require_POST
def on_the_way(request, profile, job_id: int):
    return _job_action(
        request,
        job_id,
        lambda job: services.job_on_the_way(job=job, helper=request.user),
        success=gettext("We told the customer you are on the way."),
    )


@helper_profile_required
@require_POST
def check_in(request, profile, job_id: int):
    return _job_action(
        request,
        job_id,
        lambda job: services.job_check_in(job=job, helper=request.user),
        success=gettext("Checked in. Good luck!"),
    )


@helper_profile_required
@require_POST
def complete(request, profile, job_id: int):
    form = CompleteForm(request.POST)
    if not form.is_valid():
        job = job_or_404(request.user, job_id)
        messages.error(request, gettext("The note can be at most 4000 characters."))
        return redirect("helper:job", job_id=job.pk)
    return _job_action(
        request,
        job_id,
        lambda job: services.job_complete(
            job=job, helper=request.user, note=form.cleaned_data["note"]
        ),
        success=gettext("Marked as done. The customer will confirm."),
    )


@helper_profile_required
@require_POST
def release(request, profile, job_id: int):
    form = ReasonForm(request.POST)
    if not form.is_valid():
        job = job_or_404(request.user, job_id)
        messages.error(request, gettext("Say why you give the job back."))
        return redirect("helper:job", job_id=job.pk)
    return _job_action(
        request,
        job_id,
        lambda job: services.job_release(
            job=job, helper=request.user, reason=form.cleaned_data["reason"]
        ),
        success=gettext("You gave the job back; we are looking for another helper."),
    )


@helper_profile_required
@require_POST
def review(request, profile, job_id: int):
    job = job_or_404(request.user, job_id)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _render_job(request, profile, job, review_form=form)
    attempt(
        request,
        lambda: services.review_create(
            job=job,
            author=request.user,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        ),
        success=gettext("Thanks for rating the customer."),
    )
    return redirect("helper:job", job_id=job.pk)
