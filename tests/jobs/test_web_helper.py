import pytest
from django.urls import reverse

from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.jobs import services
from marketplace.jobs.models import JobOffer, JobStatus, OfferStatus
from marketplace.pricing.models import ServiceCategory
from tests.factories import UserFactory, helper_profile, posted_job

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"


@pytest.fixture
def newbie(reference):
    return UserFactory(email="nora@example.com", full_name="Nora Newbie", role="helper")


def apply_data(ch, **overrides):
    skills = ServiceCategory.objects.filter(slug__in=["router-wifi", "tv-decoder"])
    data = {
        "market": ch.pk,
        "address": "Winterthur",
        "service_radius_km": "15",
        "bio": "I set up networks for my neighbours.",
        "languages": ["de", "en"],
        "skills": [c.pk for c in skills],
        "day0_from": "9",
        "day0_to": "17",
        "day5_from": "10",
        "day5_to": "14",
        "accept_code_of_conduct": "on",
    }
    data.update(overrides)
    return data


# --- Apply -------------------------------------------------------------------------------------


def test_apply_creates_a_profile_waiting_for_vetting(client, newbie, ch):
    client.force_login(newbie)
    resp = client.post(reverse("helper:apply"), apply_data(ch))
    assert resp.status_code == 302
    assert resp.headers["Location"] == reverse("helper:profile")
    profile = HelperProfile.objects.get(user=newbie)
    assert profile.status == HelperStatus.APPLIED
    assert profile.city == "Winterthur"
    assert profile.home_address == "Winterthur"
    assert profile.service_radius_km == 15
    assert set(profile.languages.split(",")) == {"de", "en"}
    assert {s.category.slug for s in profile.skills.all()} == {"router-wifi", "tv-decoder"}
    assert [(s.weekday, s.start_hour, s.end_hour) for s in profile.slots.all()] == [
        (0, 9, 17),
        (5, 10, 14),
    ]
    page = client.get(reverse("helper:profile"))
    assert "waiting for an operator" in page.text


def test_apply_with_browser_location_names_the_town(client, newbie, ch):
    client.force_login(newbie)
    client.post(reverse("helper:apply"), apply_data(ch, address="", lat="47.3769", lng="8.5417"))
    profile = HelperProfile.objects.get(user=newbie)
    assert (profile.lat, profile.lng, profile.city) == (47.3769, 8.5417, "Zürich")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"accept_code_of_conduct": ""}, None, "accept the code of conduct"),
        ({"address": ""}, "address", "Give your home address or town"),
        ({"address": "Atlantis"}, "address", "could not find that address"),
        ({"address": "Warszawa"}, "address", "could not find that address"),  # not in CH
        ({"day0_to": ""}, "day0_from", "choose both hours or none"),
        ({"day0_from": "18"}, "day0_from", "'from' must be before 'to'"),
        ({"service_radius_km": "0"}, "service_radius_km", "greater than or equal to 1"),
        ({"skills": []}, "skills", "required"),
        ({"market": "999"}, "market", "Select a valid choice"),
        ({"address": "", "lat": "52.2297", "lng": "21.0118"}, "address", "not in Switzerland"),
        ({"address": "", "lat": "0", "lng": "0"}, "address", "not in Switzerland"),
    ],
)
def test_apply_form_errors_are_shown_not_500(client, newbie, ch, overrides, field, message):
    client.force_login(newbie)
    resp = client.post(reverse("helper:apply"), apply_data(ch, **overrides))
    assert resp.status_code == 200
    errors = resp.context["form"].errors.get(field or "__all__", [])
    assert message in " ".join(errors), resp.context["form"].errors
    assert not HelperProfile.objects.filter(user=newbie).exists()


def test_helper_with_a_profile_is_sent_from_apply_to_profile(client, bob):
    client.force_login(bob)
    assert client.get(reverse("helper:apply")).headers["Location"] == reverse("helper:profile")


# --- Profile -----------------------------------------------------------------------------------


def test_profile_edit_updates_radius_skills_and_availability(client, bob):
    profile = bob.helper_profile
    lat, lng = profile.lat, profile.lng
    client.force_login(bob)
    page = client.get(reverse("helper:profile"))
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["day0_from"] == 0 and form.initial["day0_to"] == 24
    tv = ServiceCategory.objects.get(slug="tv-decoder")
    resp = client.post(
        reverse("helper:profile"),
        {
            "address": form.initial["address"],  # unchanged: no new geocoding
            "service_radius_km": "5",
            "bio": "Evenings only",
            "languages": ["de"],
            "skills": [tv.pk],
            "day2_from": "18",
            "day2_to": "22",
        },
    )
    assert resp.status_code == 302
    profile.refresh_from_db()
    assert (profile.lat, profile.lng) == (lat, lng)
    assert profile.service_radius_km == 5
    assert profile.bio == "Evenings only"
    assert profile.languages == "de"
    assert profile.skills_mask == tv.mask
    assert [(s.weekday, s.start_hour, s.end_hour) for s in profile.slots.all()] == [(2, 18, 22)]


def test_profile_edit_with_new_address_moves_the_home(client, bob):
    client.force_login(bob)
    tv = ServiceCategory.objects.get(slug="tv-decoder")
    client.post(
        reverse("helper:profile"),
        {"address": "Basel", "service_radius_km": "10", "languages": ["en"], "skills": [tv.pk]},
    )
    profile = bob.helper_profile
    profile.refresh_from_db()
    assert profile.city == "Basel"
    assert profile.lat == pytest.approx(47.56, abs=0.05)


def test_profile_edit_errors_keep_everything_unchanged(client, bob):
    profile = bob.helper_profile
    mask, slots = profile.skills_mask, profile.availability_hours
    client.force_login(bob)
    resp = client.post(
        reverse("helper:profile"),
        {"address": "Atlantis", "service_radius_km": "5", "languages": ["en"], "skills": []},
    )
    assert resp.status_code == 200
    assert resp.context["form"].errors
    profile.refresh_from_db()
    assert (profile.skills_mask, profile.availability_hours) == (mask, slots)
    assert profile.service_radius_km == 10


def test_pause_toggle_stops_and_resumes_offers(client, bob):
    client.force_login(bob)
    client.post(reverse("helper:pause"))
    bob.helper_profile.refresh_from_db()
    assert bob.helper_profile.is_available is False
    assert "You are paused" in client.get(reverse("helper:offers")).text
    client.post(reverse("helper:pause"))
    bob.helper_profile.refresh_from_db()
    assert bob.helper_profile.is_available is True


# --- Offers and jobs ---------------------------------------------------------------------------


def test_decline_an_offer(client, alice, bob, carol, router_wifi):
    job = posted_job(customer=alice, category=router_wifi)
    offer = JobOffer.objects.get(job=job, helper=carol)
    client.force_login(carol)
    resp = client.post(reverse("helper:decline", args=[offer.pk]), follow=True)
    assert "Offer declined" in resp.text
    offer.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED
    again = client.post(reverse("helper:decline", args=[offer.pk]), follow=True)
    assert again.status_code == 200
    assert "no longer open" in again.text


def test_release_gives_the_job_back(client, alice, bob, carol, router_wifi):
    job = posted_job(customer=alice, category=router_wifi)
    services.job_accept(job=job, helper=bob)
    client.force_login(bob)
    resp = client.post(reverse("helper:release", args=[job.pk]), {"reason": ""}, follow=True)
    assert "Say why" in resp.text
    job.refresh_from_db()
    assert job.assigned_helper == bob
    resp = client.post(
        reverse("helper:release", args=[job.pk]), {"reason": "I am ill"}, follow=True
    )
    assert "You gave the job back" in resp.text
    job.refresh_from_db()
    assert job.assigned_helper is None  # what dispatch does next is dispatch's business
    assert reverse("helper:job", args=[job.pk]) not in client.get(reverse("helper:jobs")).text


def test_out_of_order_actions_show_a_message(client, alice, bob, router_wifi):
    job = posted_job(customer=alice, category=router_wifi)
    services.job_accept(job=job, helper=bob)
    client.force_login(bob)
    resp = client.post(reverse("helper:complete", args=[job.pk]), {"note": "x"}, follow=True)
    assert resp.status_code == 200
    assert "cannot go to completed" in resp.text
    job.refresh_from_db()
    assert job.status == JobStatus.ACCEPTED


def test_too_long_completion_note_is_refused(client, alice, bob, router_wifi):
    job = posted_job(customer=alice, category=router_wifi)
    services.job_accept(job=job, helper=bob)
    services.job_check_in(job=job, helper=bob)
    client.force_login(bob)
    resp = client.post(reverse("helper:complete", args=[job.pk]), {"note": "x" * 4001}, follow=True)
    assert resp.status_code == 200
    assert "at most 4000 characters" in resp.text
    job.refresh_from_db()
    assert job.status == JobStatus.IN_PROGRESS


def test_unvetted_helper_sees_why_the_feed_is_empty(client, alice, dave, router_wifi):
    posted_job(customer=alice, category=router_wifi)
    client.force_login(dave)
    resp = client.get(reverse("helper:nearby"))
    assert resp.status_code == 200
    assert resp.context["items"] == []
    assert "waiting for an operator" in resp.text


def test_helper_review_rejects_bad_rating(client, alice, bob, router_wifi):
    job = posted_job(customer=alice, category=router_wifi)
    services.job_accept(job=job, helper=bob)
    services.job_check_in(job=job, helper=bob)
    services.job_complete(job=job, helper=bob)
    services.job_confirm(job=job, actor=alice)
    client.force_login(bob)
    resp = client.post(reverse("helper:review", args=[job.pk]), {"rating": "0"})
    assert resp.status_code == 200
    assert resp.context["review_form"].errors


# --- Accepting too late (issue 21) ----------------------------------------------------------------


def feed_helper():
    """A vetted helper in range of jobs posted at ADDRESS, created after them: no offer, the
    job is in her nearby feed only."""
    return helper_profile(lat=47.3769 + 0.02, lng=8.5417).user


def test_accept_on_the_web_works_from_the_feed(client, alice, bob, router_wifi):
    job = posted_job(customer=alice, category=router_wifi)
    erin = feed_helper()
    assert not JobOffer.objects.filter(job=job, helper=erin).exists()
    client.force_login(erin)
    resp = client.post(reverse("helper:accept", args=[job.pk]), follow=True)
    assert resp.redirect_chain[-1][0] == reverse("helper:job", args=[job.pk])
    assert "The job is yours" in resp.text
    job.refresh_from_db()
    assert job.assigned_helper == erin


def test_accept_too_late_from_the_feed_shows_a_message_not_a_404(client, alice, bob, router_wifi):
    job = posted_job(customer=alice, category=router_wifi)
    erin = feed_helper()
    services.job_accept(job=job, helper=bob)
    client.force_login(erin)
    resp = client.post(reverse("helper:accept", args=[job.pk]), follow=True)
    assert resp.status_code == 200
    assert resp.redirect_chain == [(reverse("helper:nearby"), 302)]
    assert "Another helper already accepted this job" in resp.text
    assert job.description not in resp.text
    job.refresh_from_db()
    assert job.assigned_helper == bob


def test_accept_too_late_with_an_offer_shows_the_message_on_the_job_page(
    client, alice, bob, carol, router_wifi
):
    job = posted_job(customer=alice, category=router_wifi)
    assert JobOffer.objects.filter(job=job, helper=carol).exists()
    services.job_accept(job=job, helper=bob)
    client.force_login(carol)
    resp = client.post(reverse("helper:accept", args=[job.pk]), follow=True)
    assert resp.status_code == 200
    assert "Another helper already accepted this job" in resp.text


def test_losing_the_race_inside_the_service_never_ends_on_a_404(
    client, alice, bob, router_wifi, monkeypatch
):
    """The job was still open when the page looked it up, and taken just before the UPDATE."""
    from marketplace.jobs import selectors

    job = posted_job(customer=alice, category=router_wifi)
    real = selectors.job_for_acceptance

    def lookup_then_lose(**kwargs):
        found = real(**kwargs)
        services.job_accept(job=found, helper=bob)
        return found

    monkeypatch.setattr(selectors, "job_for_acceptance", lookup_then_lose)
    client.force_login(feed_helper())
    resp = client.post(reverse("helper:accept", args=[job.pk]), follow=True)
    assert resp.redirect_chain == [(reverse("helper:nearby"), 302)]
    assert "Another helper already accepted this job" in resp.text


def test_accept_of_a_job_a_helper_never_could_see_is_still_404(client, alice, bob, router_wifi):
    far = helper_profile(lat=47.3769 + 0.5, lng=8.5417, radius_km=5).user
    job = posted_job(customer=alice, category=router_wifi)
    services.job_accept(job=job, helper=bob)
    client.force_login(far)
    assert client.post(reverse("helper:accept", args=[job.pk])).status_code == 404
