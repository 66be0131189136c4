"""The nearby feed and acceptance apply the same distance rule (to the exact point), so a helper
never sees a job in the feed that acceptance then refuses as out of range."""

import pytest

from marketplace.helpers.models import HelperProfile
from marketplace.jobs.models import JobRequest
from marketplace.jobs.selectors import in_feed_range, nearby_open_jobs
from marketplace.jobs.services import job_accept
from tests.factories import ZURICH, posted_job


def _post_at(customer, category, lat, lng) -> JobRequest:
    return posted_job(customer=customer, category=category, lat=lat, lng=lng)


@pytest.fixture
def helper_profile_bob(bob) -> HelperProfile:
    profile = HelperProfile.objects.get(user=bob)
    profile.service_radius_km = 3
    profile.save(update_fields=["service_radius_km"])
    return profile


@pytest.mark.django_db
def test_a_job_whose_exact_point_is_out_of_range_is_not_in_the_feed(
    alice, router_wifi, helper_profile_bob
):
    p = helper_profile_bob
    job = _post_at(alice, router_wifi, p.lat + 0.05, p.lng)  # ~5.6 km north
    # Pretend the published approximate point fell inside the radius.
    JobRequest.objects.filter(pk=job.pk).update(approx_lat=p.lat, approx_lng=p.lng)
    job.refresh_from_db()

    assert not in_feed_range(job=job, profile=p)
    assert job.pk not in [item.job.pk for item in nearby_open_jobs(profile=p)]


@pytest.mark.django_db
def test_every_job_in_the_feed_can_be_accepted(alice, router_wifi, helper_profile_bob, bob):
    p = helper_profile_bob
    job = _post_at(alice, router_wifi, p.lat + 0.02, p.lng)  # ~2.2 km, inside 3 km
    # The approximate point lies outside the radius; the exact point decides.
    JobRequest.objects.filter(pk=job.pk).update(approx_lat=p.lat + 0.04, approx_lng=p.lng)
    job.refresh_from_db()

    feed = nearby_open_jobs(profile=p)
    assert [item.job.pk for item in feed] == [job.pk]
    assert feed[0].distance_km > 3  # shown distance is to the approximate point only
    accepted = job_accept(job=job, helper=bob)
    assert accepted.assigned_helper_id == bob.pk


@pytest.mark.django_db
def test_the_feed_is_sorted_by_distance(alice, router_wifi, helper_profile_bob):
    p = helper_profile_bob
    far = _post_at(alice, router_wifi, ZURICH[0] + 0.03, ZURICH[1])
    near = _post_at(alice, router_wifi, p.lat + 0.001, p.lng)
    assert [item.job.pk for item in nearby_open_jobs(profile=p)][:2] == [near.pk, far.pk]
