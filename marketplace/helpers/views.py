"""Helper pages about the helper themself: applying, the profile (with pause), and for operators
the vetting queue and the helper list."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from marketplace.accounts.roles import customer_holds
from marketplace.core.errors import DomainError
from marketplace.core.forms import ReasonForm
from marketplace.core.pages import PAGE_SIZE, add_domain_error, attempt
from marketplace.helpers import services as helper_services
from marketplace.helpers.access import account_market, helper_profile_required
from marketplace.helpers.forms import HelperApplyForm, HelperProfileForm, VetForm
from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.helpers.selectors import helper_profile_for, helpers_by_status, vetting_queue
from marketplace.security.access import operator_required, role_required


def _slots(profile) -> list[tuple[int, int, int]]:
    return [(s.weekday, s.start_hour, s.end_hour) for s in profile.slots.all()]


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


HELPER_LIST_STATUSES = [
    (HelperStatus.VETTED, gettext_lazy("Vetted")),
    (HelperStatus.SUSPENDED, gettext_lazy("Suspended")),
    (HelperStatus.REJECTED, gettext_lazy("Rejected")),
]


def _back(request, default: str):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


@operator_required
def vetting(request):
    return render(
        request,
        "operator/vetting.html",
        {"applications": vetting_queue(), "vet_form": VetForm(), "reason_form": ReasonForm()},
    )


@operator_required
def helpers(request):
    status = request.GET.get("status") or HelperStatus.VETTED
    if status not in dict(HELPER_LIST_STATUSES):
        status = HelperStatus.VETTED
    profiles = helpers_by_status(status=status)
    page = Paginator(profiles, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "operator/helpers.html",
        {
            "page": page,
            "status": status,
            "statuses": HELPER_LIST_STATUSES,
            "reason_form": ReasonForm(),
            "vet_form": VetForm(),
        },
    )


def _profile(profile_id: int) -> HelperProfile:
    return get_object_or_404(HelperProfile.objects.select_related("user"), pk=profile_id)


@operator_required
@require_POST
def vet(request, profile_id: int):
    profile = _profile(profile_id)
    form = VetForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["id_checked"][0])
    else:
        attempt(
            request,
            lambda: helper_services.helper_vet(
                profile=profile, actor=request.user, id_checked=form.cleaned_data["id_checked"]
            ),
            success=gettext("%(name)s is vetted and can receive offers.")
            % {"name": profile.user.display_name},
        )
    return _back(request, "operator:vetting")


def _with_reason(request, profile_id: int, service, *, success: str):
    profile = _profile(profile_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Give a reason (at most 300 characters)."))
    else:
        attempt(
            request,
            lambda: service(
                profile=profile, actor=request.user, reason=form.cleaned_data["reason"]
            ),
            success=str(success) % {"name": profile.user.display_name},
        )
    return _back(request, "operator:vetting")


@operator_required
@require_POST
def reject(request, profile_id: int):
    return _with_reason(
        request,
        profile_id,
        helper_services.helper_reject,
        success=gettext_lazy("%(name)s's application is rejected."),
    )


@operator_required
@require_POST
def suspend(request, profile_id: int):
    return _with_reason(
        request,
        profile_id,
        helper_services.helper_suspend,
        success=gettext_lazy("%(name)s is suspended."),
    )
