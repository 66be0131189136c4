"""DESIGN §4 privacy on the web pages: before acceptance helpers see the town and an approximate
distance only; the exact address and phone only for the assigned helper, only while open."""

import pytest
from django.urls import reverse

from marketplace.core import geo
from marketplace.jobs import services
from marketplace.web.templatetags.money import approx_km
from tests.factories import posted_job

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"
PHONE = "+41 79 111"  # alice's phone, copied onto the job


@pytest.fixture
def job(alice, bob, carol):
    """Alice's router job at ADDRESS, offered to the helpers in range (bob, carol)."""
    return posted_job(customer=alice)


def secrets_of(job):
    return ["Bahnhofstrasse", PHONE, "alice@example.com", "Alice", str(job.lat), str(job.lng)]


def assert_private(resp, job):
    assert resp.status_code == 200
    for secret in secrets_of(job):
        assert secret not in resp.text, secret


def test_nearby_feed_shows_town_and_approximate_distance_only(client, job, bob):
    client.force_login(bob)
    resp = client.get(reverse("helper:nearby"))
    assert_private(resp, job)
    assert "Zürich" in resp.text
    [item] = resp.context["items"]
    profile = bob.helper_profile
    to_approx = geo.haversine_km(profile.lat, profile.lng, job.approx_lat, job.approx_lng)
    assert item.distance_km == pytest.approx(to_approx)  # measured to the snapped point
    assert approx_km(item.distance_km) in resp.text


def test_offer_page_never_shows_address_or_phone(client, job, carol):
    client.force_login(carol)
    resp = client.get(reverse("helper:offers"))
    assert reverse("helper:accept", args=[job.pk]) in resp.text
    assert_private(resp, job)
    assert "under 1 km" in resp.text


def test_job_page_before_acceptance_hides_address_and_phone(client, job, bob, carol):
    for helper in (bob, carol):
        client.force_login(helper)
        resp = client.get(reverse("helper:job", args=[job.pk]))
        assert_private(resp, job)
        assert "appear once you accept" in resp.text


def test_only_the_assigned_helper_sees_address_and_phone(client, job, bob, carol):
    services.job_accept(job=job, helper=bob)
    client.force_login(bob)
    resp = client.get(reverse("helper:job", args=[job.pk]))
    assert ADDRESS in resp.text
    assert PHONE in resp.text
    client.force_login(carol)  # had an offer: may still see the taken job, not its address
    assert_private(client.get(reverse("helper:job", args=[job.pk])), job)


def test_address_disappears_when_the_job_closes(client, job, alice, bob):
    services.job_accept(job=job, helper=bob)
    services.job_cancel(job=job, actor=alice, reason="Fixed it myself")
    client.force_login(bob)
    resp = client.get(reverse("helper:job", args=[job.pk]))
    assert resp.status_code == 200
    assert "Bahnhofstrasse" not in resp.text
    assert PHONE not in resp.text
    assert "Bahnhofstrasse" not in client.get(reverse("helper:jobs")).text


def test_my_jobs_list_for_helpers_never_shows_the_address(client, job, bob):
    services.job_accept(job=job, helper=bob)
    client.force_login(bob)
    resp = client.get(reverse("helper:jobs"))
    assert reverse("helper:job", args=[job.pk]) in resp.text
    assert "Bahnhofstrasse" not in resp.text
