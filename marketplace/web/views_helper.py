"""Helper pages: apply, profile (with pause), offers, nearby feed, my jobs and the job page.

Privacy (DESIGN §4): before acceptance a helper sees the town and an approximate distance only;
the exact address and phone appear on the job page for the assigned helper while the job is
open, decided by `selectors.can_see_exact_location` and nothing else.
"""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from marketplace.accounts.roles import customer_holds
from marketplace.core import geo
from marketplace.core.errors import DomainError, InvalidTransition, NotFound
from marketplace.helpers import services as helper_services
from marketplace.helpers.models import HelperStatus
from marketplace.helpers.selectors import helper_profile_for
from marketplace.jobs import selectors, services
from marketplace.jobs.models import JobOffer, JobStatus
from marketplace.security.ratelimit import rate_limit
from marketplace.web.access import (
    account_market,
    add_domain_error,
    attempt,
    helper_profile_required,
    job_or_404,
    role_required,
)
from marketplace.web.forms import (
    CompleteForm,
    HelperApplyForm,
    HelperProfileForm,
    ReasonForm,
    ReviewForm,
)
from marketplace.web.timeline import timeline_entries


def _slots(profile) -> list[tuple[int, int, int]]:
    return [(s.weekday, s.start_hour, s.end_hour) for s in profile.slots.all()]


def _approx_distance_km(profile, job) -> float:
    """Distance from the helper's home to the job's privacy-snapped point (never the exact one)."""
    return geo.geodesic_km(profile.lat, profile.lng, job.approx_lat, job.approx_lng)


# Customers may apply too: their account then becomes a helper account (README, "Roles").
customer_or_helper_required = role_required(
    lambda user: (user.is_customer or user.is_helper) and not user.is_operator
)


@customer_or_helper_required
def apply(request):
    if helper_profile_for(request.user) is not None:
        return redirect("helper:profile")
    role_change = request.user.is_customer
    open_requests = (
        sum(hold.count for hold in customer_holds(user=request.user)) if role_change else 0
    )
    form = HelperApplyForm(request.POST or None, initial={"market": account_market(request)})
    if role_change:
        form.fields["confirm_role_change"] = forms.BooleanField(
            label=gettext(
                "I understand that this account becomes a helper account and can no longer "
                "post requests"
            ),
            required=False,
        )
    if request.method == "POST" and form.is_valid():
        data, place = form.cleaned_data, form.cleaned_data["place"]
        try:
            helper_services.helper_apply(
                user=request.user,
                market=data["market"],
                lat=place.lat,
                lng=place.lng,
                city=place.city,
                home_address=data["address"],
                service_radius_km=data["service_radius_km"],
                bio=data["bio"],
                languages=",".join(data["languages"]),
                skills=list(data["skills"]),
                slots=data["slots"],
                accept_code_of_conduct=data["accept_code_of_conduct"],
                confirm_role_change=data.get("confirm_role_change", False),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, gettext("Thanks for applying! An operator will check your ID and vet you.")
            )
            if role_change:
                messages.info(request, gettext("Your account is now a helper account."))
            return redirect("helper:profile")
    context = {"form": form, "role_change": role_change, "open_requests": open_requests}
    return render(request, "helper/apply.html", context)


@helper_profile_required
def profile_edit(request, profile):
    initial = {
        "address": profile.home_address or profile.city,
        "service_radius_km": profile.service_radius_km,
        "bio": profile.bio,
        "languages": [c.strip() for c in profile.languages.split(",") if c.strip()],
        "skills": [s.category_id for s in profile.skills.all()],
    }
    form = HelperProfileForm(
        request.POST or None, initial=initial, slots=_slots(profile), market=profile.market
    )
    if request.method == "POST" and form.is_valid():
        data, place = form.cleaned_data, form.cleaned_data["place"]
        location = {}
        if place is not None:
            location = {
                "lat": place.lat,
                "lng": place.lng,
                "city": place.city,
                "home_address": data["address"],
            }
        try:
            # Three services, one change for the helper: all or nothing.
            with transaction.atomic():
                helper_services.helper_update_profile(
                    profile=profile,
                    service_radius_km=data["service_radius_km"],
                    bio=data["bio"],
                    languages=",".join(data["languages"]),
                    **location,
                )
                helper_services.helper_set_skills(profile=profile, categories=list(data["skills"]))
                helper_services.helper_set_availability(profile=profile, slots=data["slots"])
        except DomainError as exc:
            profile.refresh_from_db()
            add_domain_error(form, exc)
        else:
            messages.success(request, gettext("Profile saved."))
            return redirect("helper:profile")
    return render(request, "helper/profile.html", {"form": form, "profile": profile})


@helper_profile_required
@require_POST
def toggle_pause(request, profile):
    if profile.status != HelperStatus.VETTED:
        # Nothing to pause before vetting (or after a suspension): the page offers no button.
        messages.error(request, gettext("You can pause offers once you are vetted."))
        return redirect("helper:profile")
    paused = profile.is_available
    attempt(
        request,
        lambda: helper_services.helper_update_profile(profile=profile, is_available=not paused),
        success=(
            gettext("You are paused: no new offers until you resume.")
            if paused
            else gettext("Welcome back: you will receive offers again.")
        ),
    )
    return redirect("helper:profile")


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
