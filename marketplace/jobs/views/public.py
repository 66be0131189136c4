"""A helper's public profile: what a customer may know about who comes to their home.

First name and initial, bio, skills, the town and market served, ratings, confirmed jobs, member
since and the latest reviews (rating, comment, month). Never the full name, e-mail, phone, home
address or coordinates. Visible to logged-in customers (vetted helpers only), operators (any
helper) and the helper themself; 404 for everyone else, so nobody learns that a profile exists.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from marketplace.core.errors import NotFound
from marketplace.helpers.selectors import helper_profile_for
from marketplace.jobs.public_profiles import helper_public_profile


@login_required
def helper_profile(request, profile_id: int):
    try:
        profile = helper_public_profile(viewer=request.user, profile_id=profile_id)
    except NotFound:
        raise Http404("Helper not found") from None
    own = helper_profile_for(request.user) if request.user.is_helper else None
    return render(
        request,
        "helpers/public_profile.html",
        {"helper": profile, "is_me": own is not None and own.pk == profile.id},
    )
