"""A helper's public profile (web page and API): first name and initial, bio, skills, town,
ratings, confirmed jobs, member since, latest reviews — and nothing that locates or contacts
them. Customers see vetted helpers, operators everyone, a helper themself; 404 otherwise."""

import re

import pytest
from django.urls import reverse

from marketplace.helpers.models import HelperProfile
from marketplace.helpers.selectors import public_name
from marketplace.jobs import services
from marketplace.jobs.models import JobStatus
from tests.factories import job_at

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"
HOME = "Seestrasse 12, 8002 Zürich"
BOB_PHONE = "+41 79 222 33 44"


@pytest.fixture
def bob_profile(bob) -> HelperProfile:
    bob.phone = BOB_PHONE
    bob.save(update_fields=["phone"])
    profile = bob.helper_profile
    profile.bio = "Network engineer by day, happy to fix your Wi-Fi in the evening."
    profile.home_address = HOME
    profile.save(update_fields=["bio", "home_address"])
    return profile


@pytest.fixture
def reviewed(alice, bob_profile, bob, carol, router_wifi):
    """Two confirmed jobs for Bob, rated 5 and 4 by Alice."""
    for rating, comment in ((5, "Fixed my Wi-Fi in ten minutes"), (4, "Friendly and on time")):
        job = job_at(
            JobStatus.CONFIRMED,
            customer=alice,
            helper=bob,
            category=router_wifi,
            description="Router needs setting up",
            note="Done",
        )
        services.review_create(job=job, author=alice, rating=rating, comment=comment, nps=9)
    bob_profile.refresh_from_db()
    return bob_profile


def page(profile):
    return reverse("helper_public", args=[profile.pk])


def api(profile):
    return f"/api/helpers/{profile.pk}/public"


def assert_nothing_private(text: str, profile: HelperProfile):
    user = profile.user
    assert user.full_name not in text  # "Bob Helper"
    assert user.email not in text
    assert BOB_PHONE not in text and "222 33 44" not in text
    assert "Seestrasse" not in text
    for coordinate in (profile.lat, profile.lng):
        assert f"{coordinate:.3f}" not in text and str(coordinate) not in text


# --- What is shown ---------------------------------------------------------------------------


def test_public_name_is_first_name_and_initial():
    assert public_name("Bob Helper") == "Bob H."
    assert public_name("Anna Maria kowalska") == "Anna K."
    assert public_name("Cher") == "Cher"
    assert public_name("") == ""


def test_customer_sees_first_name_bio_skills_town_rating_jobs_and_reviews(client, alice, reviewed):
    client.force_login(alice)
    resp = client.get(page(reviewed))
    assert resp.status_code == 200
    text = resp.text
    assert "Bob H." in text
    assert "Network engineer by day" in text
    assert "Router &amp; Wi-Fi" in text or "Router" in text  # a skill (category name)
    assert "Zürich" in text and "Switzerland" in text
    assert "4.5 out of 5 (2 reviews)" in text
    assert re.search(r"<dt>Jobs done</dt><dd>2</dd>", text)
    assert "Fixed my Wi-Fi in ten minutes" in text and "Friendly and on time" in text
    assert "Member since" in text


def test_public_page_shows_no_contact_details_address_or_coordinates(client, alice, reviewed):
    client.force_login(alice)
    text = client.get(page(reviewed)).text
    # The footer says who is logged in; that is Alice, not Bob.
    assert_nothing_private(text, reviewed)
    assert "alice@example.com" in text  # sanity: the check above would catch e-mails


def test_reviews_show_the_month_not_the_day_nor_the_author(client, alice, reviewed):
    client.force_login(alice)
    text = client.get(page(reviewed)).text
    assert re.search(r'<time datetime="\d{4}-\d{2}">', text)
    assert "Alice" not in text.split("Latest reviews", 1)[1].split("</article>", 1)[0]


def test_a_new_helper_says_no_reviews_yet(client, alice, bob_profile):
    client.force_login(alice)
    text = client.get(page(bob_profile)).text
    assert "No reviews yet" in text


def test_customer_job_page_links_to_the_assigned_helpers_profile(client, alice, bob, router_wifi):
    job = services.job_post(
        customer=alice, category=router_wifi, description="Router needs setting up", address=ADDRESS
    )
    client.force_login(alice)
    link = reverse("helper_public", args=[bob.helper_profile.pk])
    assert link not in client.get(reverse("customer:job", args=[job.pk])).text
    services.job_accept(job=job, helper=bob)
    assert link in client.get(reverse("customer:job", args=[job.pk])).text


# --- Who may see it (web) ---------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, bob_profile):
    resp = client.get(page(bob_profile))
    assert resp.status_code == 302
    assert resp["Location"].startswith(reverse("login"))


def test_any_customer_sees_a_vetted_helper(client, mallory, bob_profile):
    client.force_login(mallory)
    assert client.get(page(bob_profile)).status_code == 200


def test_customer_gets_404_for_a_helper_not_vetted(client, alice, dave):
    client.force_login(alice)
    assert client.get(page(dave.helper_profile)).status_code == 404


def test_customer_gets_404_for_an_unknown_helper(client, alice, reference):
    client.force_login(alice)
    assert client.get(reverse("helper_public", args=[999_999])).status_code == 404


def test_helper_sees_their_own_profile_even_before_vetting(client, dave):
    client.force_login(dave)
    resp = client.get(page(dave.helper_profile))
    assert resp.status_code == 200
    assert "how customers see your profile" in resp.text
    assert "Not vetted" in resp.text


def test_other_helper_gets_404(client, carol, bob_profile):
    client.force_login(carol)
    assert client.get(page(bob_profile)).status_code == 404


def test_operator_sees_any_helper(client, olga, dave, bob_profile):
    client.force_login(olga)
    assert client.get(page(bob_profile)).status_code == 200
    assert client.get(page(dave.helper_profile)).status_code == 200


# --- The API ----------------------------------------------------------------------------------


def test_api_public_profile_for_a_customer(api_as, alice, reviewed):
    resp = api_as(alice).get(api(reviewed))
    assert resp.status_code == 200
    body = resp.json()
    assert body["name"] == "Bob H."
    assert body["average_rating"] == 4.5 and body["rating_count"] == 2
    assert body["completed_jobs"] == 2
    assert body["city"] == "Zürich"
    assert re.fullmatch(r"\d{4}-\d{2}", body["member_since"])
    assert [r["rating"] for r in body["reviews"]] == [4, 5]  # newest first
    assert re.fullmatch(r"\d{4}-\d{2}", body["reviews"][0]["month"])
    assert not {"email", "phone", "lat", "lng", "home_address", "full_name"} & set(body)
    assert_nothing_private(resp.text, reviewed)


def test_api_public_profile_permissions(api_as, alice, carol, olga, dave, bob_profile):
    assert api_as().get(api(bob_profile)).status_code == 401
    assert api_as(alice).get(api(dave.helper_profile)).status_code == 404
    assert api_as(carol).get(api(bob_profile)).status_code == 404
    assert api_as(dave).get(api(dave.helper_profile)).status_code == 200
    assert api_as(olga).get(api(dave.helper_profile)).status_code == 200
