"""Where a person lands after logging in. The rest of the access helpers sit with the room
they belong to: role checks in security.access, domain errors on pages in core.pages, helper
pages in helpers.access, jobs in jobs.access (docs/architecture.md)."""

from django.urls import reverse

from marketplace.helpers.selectors import helper_profile_for


def home_url_for(user) -> str:
    """Where a logged-in person starts: operators at the vetting queue (the dashboard is one
    click from there), helpers at their offers (or the application form), customers on the
    home page with its request button."""
    if user.is_operator:
        return reverse("operator:vetting")
    if user.is_helper:
        return reverse("helper:offers" if helper_profile_for(user) else "helper:apply")
    return reverse("home")
