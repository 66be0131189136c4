"""Every role against every other role's pages: anonymous → login, wrong role → 403, someone
else's job → 404. Actions are checked the same way and never change anything."""

import pytest
from django.urls import reverse

from marketplace.helpers.models import HelperStatus
from marketplace.jobs import services
from marketplace.jobs.models import JobOffer, JobStatus
from tests.factories import UserFactory, posted_job

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"


@pytest.fixture
def job(alice, bob, carol):
    """Alice's router job at ADDRESS, offered to the helpers in range (bob, carol)."""
    return posted_job(customer=alice)


def pages(job):
    return {
        "customer": [
            reverse("customer:request"),
            reverse("customer:jobs"),
            reverse("customer:job", args=[job.pk]),
            reverse("customer:cancel", args=[job.pk]),
        ],
        "helper": [
            reverse("helper:profile"),
            reverse("helper:offers"),
            reverse("helper:nearby"),
            reverse("helper:jobs"),
            reverse("helper:job", args=[job.pk]),
        ],
        "operator": [
            reverse("operator:vetting"),
            reverse("operator:helpers"),
            reverse("operator:jobs"),
            reverse("operator:job", args=[job.pk]),
        ],
    }


def actions(job, offer_id, profile_id):
    """POST-only endpoints with the area they belong to."""
    return {
        "customer": [
            reverse("customer:confirm", args=[job.pk]),
            reverse("customer:review", args=[job.pk]),
        ],
        "helper": [
            reverse("helper:pause"),
            reverse("helper:decline", args=[offer_id]),
            reverse("helper:accept", args=[job.pk]),
            reverse("helper:check_in", args=[job.pk]),
            reverse("helper:complete", args=[job.pk]),
            reverse("helper:release", args=[job.pk]),
            reverse("helper:review", args=[job.pk]),
        ],
        "operator": [
            reverse("operator:vet", args=[profile_id]),
            reverse("operator:reject", args=[profile_id]),
            reverse("operator:suspend", args=[profile_id]),
            reverse("operator:cancel", args=[job.pk]),
        ],
    }


def test_anonymous_visitors_are_sent_to_login_on_every_page(client, job):
    for url in [u for group in pages(job).values() for u in group]:
        resp = client.get(url)
        assert resp.status_code == 302, url
        assert resp.headers["Location"].startswith(reverse("login") + "?next="), url


def test_anonymous_actions_are_sent_to_login_and_change_nothing(client, job, dave):
    offer = JobOffer.objects.filter(job=job).first()
    for group in actions(job, offer.pk, dave.helper_profile.pk).values():
        for url in group:
            resp = client.post(url, {"id_checked": "on", "reason": "x", "rating": "5"})
            assert resp.status_code == 302, url
            assert resp.headers["Location"].startswith(reverse("login")), url
    job.refresh_from_db()
    assert job.status == JobStatus.OFFERED
    assert dave.helper_profile.status == HelperStatus.APPLIED


@pytest.mark.parametrize(
    ("who", "own_area"), [("alice", "customer"), ("bob", "helper"), ("olga", "operator")]
)
def test_each_role_gets_403_on_the_other_roles_pages(client, request, job, dave, who, own_area):
    client.force_login(request.getfixturevalue(who))
    offer = JobOffer.objects.filter(job=job).first()
    for area, urls in pages(job).items():
        for url in urls:
            status = client.get(url).status_code
            if area == own_area:
                assert status in (200, 302), url
            else:
                assert status == 403, url
    for area, urls in actions(job, offer.pk, dave.helper_profile.pk).items():
        if area == own_area:
            continue
        for url in urls:
            assert client.post(url, {"id_checked": "on", "reason": "x"}).status_code == 403, url
    job.refresh_from_db()
    dave.helper_profile.refresh_from_db()
    assert job.status == JobStatus.OFFERED
    assert dave.helper_profile.status == HelperStatus.APPLIED


def test_another_customers_job_is_404(client, job, mallory):
    client.force_login(mallory)
    assert client.get(reverse("customer:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("customer:cancel", args=[job.pk])).status_code == 404
    resp = client.post(
        reverse("customer:cancel", args=[job.pk]), {"reason": "x", "expected_fee": 0}
    )
    assert resp.status_code == 404
    assert client.post(reverse("customer:confirm", args=[job.pk])).status_code == 404
    assert client.post(reverse("customer:review", args=[job.pk]), {"rating": 1}).status_code == 404
    job.refresh_from_db()
    assert job.status == JobStatus.OFFERED


def test_missing_job_is_404_for_every_role(client, alice, bob, olga, reference):
    for user, name in ((alice, "customer:job"), (bob, "helper:job"), (olga, "operator:job")):
        client.force_login(user)
        assert client.get(reverse(name, args=[99999])).status_code == 404


def test_helper_cannot_open_a_job_outside_their_area(client, bob, mallory, router_wifi):
    far = services.job_post(
        customer=mallory,
        category=router_wifi,
        description="Router in Warsaw needs a reset",
        address="Marszałkowska 10, Warszawa",
    )
    client.force_login(bob)
    assert client.get(reverse("helper:job", args=[far.pk])).status_code == 404
    assert client.post(reverse("helper:accept", args=[far.pk])).status_code == 404


def test_other_helper_cannot_act_on_an_assigned_job(client, job, bob, carol):
    services.job_accept(job=job, helper=bob)
    client.force_login(carol)  # she had the offer, so she may still look at the (taken) job
    for name in ("helper:check_in", "helper:release", "helper:complete"):
        resp = client.post(reverse(name, args=[job.pk]), {"reason": "x"}, follow=True)
        assert resp.status_code == 200
        assert "You are not the helper on this job" in resp.text
        assert "Bahnhofstrasse" not in resp.text
    job.refresh_from_db()
    assert (job.status, job.assigned_helper) == (JobStatus.ACCEPTED, bob)


def test_helper_cannot_decline_someone_elses_offer(client, job, bob):
    offer = JobOffer.objects.get(job=job)
    assert offer.helper != bob
    client.force_login(bob)
    assert client.post(reverse("helper:decline", args=[offer.pk])).status_code == 404
    offer.refresh_from_db()
    assert offer.status == "pending"


def test_a_customer_may_open_the_helper_application_and_is_asked_to_confirm(client, alice, olga):
    """One account, one role: a customer may apply, after confirming the role change (README,
    Roles); operators may not."""
    client.force_login(alice)
    page = client.get(reverse("helper:apply"))
    assert page.status_code == 200
    assert 'name="confirm_role_change"' in page.content.decode()
    client.force_login(olga)
    assert client.get(reverse("helper:apply")).status_code == 403


def test_helper_without_profile_is_sent_to_apply(client, reference):
    newbie = UserFactory(role="helper")
    client.force_login(newbie)
    for name in ("helper:offers", "helper:nearby", "helper:jobs", "helper:profile"):
        resp = client.get(reverse(name))
        assert resp.headers["Location"] == reverse("helper:apply"), name
    assert client.get(reverse("helper:apply")).status_code == 200


def test_actions_only_accept_post(client, job, alice):
    client.force_login(alice)
    assert client.get(reverse("customer:confirm", args=[job.pk])).status_code == 405
