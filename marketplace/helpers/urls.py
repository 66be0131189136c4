"""Helpers' pages: applying and the profile (under /helper/), vetting and the helper list (under
/operator/). The project's URLconf mounts them in the helper and operator namespaces."""

from django.urls import path

from marketplace.helpers import views

helper_patterns = [
    path("apply/", views.apply, name="apply"),
    path("profile/", views.profile_edit, name="profile"),
    path("profile/pause/", views.toggle_pause, name="pause"),
]

operator_patterns = [
    path("vetting/", views.vetting, name="vetting"),
    path("helpers/", views.helpers, name="helpers"),
    path("helpers/<int:profile_id>/vet/", views.vet, name="vet"),
    path("helpers/<int:profile_id>/reject/", views.reject, name="reject"),
    path("helpers/<int:profile_id>/suspend/", views.suspend, name="suspend"),
]
