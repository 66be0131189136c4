"""Helper pages that need a profile, and the market a new applicant most likely belongs to."""

from functools import wraps

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext

from marketplace.helpers.selectors import helper_profile_for
from marketplace.pricing.models import Market
from marketplace.security.access import helper_required

# Set by the sign-up page (the account has no country of its own), read by `account_market`.
SIGNUP_MARKET_SESSION_KEY = "signup_market"


def account_market(request):
    """The country this person already gave: at sign-up (kept in the session, the account has
    no country of its own), else the market of their latest request. None when unknown."""
    code = request.session.get(SIGNUP_MARKET_SESSION_KEY)
    market = Market.objects.filter(code=code, is_active=True).first() if code else None
    if market is None and request.user.is_authenticated:
        # Jobs sit above helpers: their latest request is read through the reverse relation
        # from the market (JobRequest.market, related_name "jobs"), not by importing jobs.
        market = (
            Market.objects.filter(jobs__customer=request.user).order_by("-jobs__created_at").first()
        )
        market = market if market and market.is_active else None
    return market


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
