"""Who may open which page, and how domain errors become what a person sees.

Anonymous visitors are sent to the login page; a logged-in user of the wrong role gets 403; a job
the user may not see is 404 (never reveal that it exists). Domain errors from services become a
message or a form error, never a 500.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext

from marketplace.core.errors import DomainError, NotFound
from marketplace.helpers.selectors import helper_profile_for
from marketplace.jobs import selectors as job_selectors
from marketplace.jobs.models import JobRequest
from marketplace.security import audit

# Error codes that belong to the address/location input rather than to the whole form.
LOCATION_ERROR_CODES = {"geocoding_failed", "no_market"}


def role_required(check: Callable) -> Callable:
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not check(request.user):
                audit.authz_denied(request, reason="wrong_role", status=403)
                raise PermissionDenied(gettext("This page is not for your account type"))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


customer_required = role_required(lambda user: user.is_customer and not user.is_operator)
helper_required = role_required(lambda user: user.is_helper and not user.is_operator)
operator_required = role_required(lambda user: user.is_operator)


SIGNUP_MARKET_SESSION_KEY = "signup_market"


def account_market(request):
    """The country this person already gave: at sign-up (kept in the session, the account has
    no country of its own), else the market of their latest request. None when unknown."""
    from marketplace.pricing.models import Market

    code = request.session.get(SIGNUP_MARKET_SESSION_KEY)
    market = Market.objects.filter(code=code, is_active=True).first() if code else None
    if market is None and request.user.is_authenticated:
        latest = JobRequest.objects.filter(customer=request.user).order_by("-created_at").first()
        market = latest.market if latest and latest.market.is_active else None
    return market


def home_url_for(user) -> str:
    """Where a logged-in person starts: operators at the vetting queue (the dashboard is one
    click from there), helpers at their offers (or the application form), customers on the
    home page with its request button."""
    if user.is_operator:
        return reverse("operator:vetting")
    if user.is_helper:
        return reverse("helper:offers" if helper_profile_for(user) else "helper:apply")
    return reverse("home")


def helper_profile_required(view):
    """Helper pages that need a profile; helpers who have not applied yet go to the form."""

    @helper_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        profile = helper_profile_for(request.user)
        if profile is None:
            messages.info(
                request, gettext("Tell us about yourself first: apply to become a helper.")
            )
            return redirect("helper:apply")
        return view(request, profile, *args, **kwargs)

    return wrapped


def job_or_404(user, job_id: int) -> JobRequest:
    try:
        return job_selectors.job_for_user(user=user, job_id=job_id)
    except NotFound:
        audit.authz_denied(user=user, reason="job_not_visible", status=404, job_id=job_id)
        raise Http404(gettext("Job not found")) from None


def attempt(request, action: Callable[[], object], *, success: str = "") -> bool:
    """Run a service call; a DomainError becomes an error message. True when it worked."""
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    if success:
        messages.success(request, success)
    return True


def add_domain_error(form, exc: DomainError, *, location_field: str | None = None) -> None:
    """Attach a service's error to the form field it is about, or to the form as a whole."""
    field = location_field if exc.code in LOCATION_ERROR_CODES else None
    if exc.code == "email_taken" and "email" in form.fields:
        field = "email"
    form.add_error(field, str(exc.message))
