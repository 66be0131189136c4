import pytest
from django.urls import reverse

from marketplace.helpers.models import HelperStatus
from marketplace.jobs import services
from marketplace.jobs.models import JobStatus
from tests.factories import posted_job

pytestmark = pytest.mark.django_db


def test_vetting_queue_shows_applicants_with_their_details(client, olga, dave, bob):
    client.force_login(olga)
    resp = client.get(reverse("operator:vetting"))
    assert resp.status_code == 200
    assert [p.user for p in resp.context["applications"]] == [dave]
    assert "dave@example.com" in resp.text
    assert "ID checked" in resp.text


def test_vetting_requires_the_id_checked_box(client, olga, dave):
    profile = dave.helper_profile
    client.force_login(olga)
    resp = client.post(reverse("operator:vet", args=[profile.pk]), {}, follow=True)
    assert resp.status_code == 200
    assert "ID checked" in resp.text
    profile.refresh_from_db()
    assert profile.status == HelperStatus.APPLIED


def test_reject_needs_a_reason(client, olga, dave):
    profile = dave.helper_profile
    client.force_login(olga)
    resp = client.post(reverse("operator:reject", args=[profile.pk]), {"reason": ""}, follow=True)
    assert "Give a reason" in resp.text
    profile.refresh_from_db()
    assert profile.status == HelperStatus.APPLIED
    client.post(reverse("operator:reject", args=[profile.pk]), {"reason": "ID did not match"})
    profile.refresh_from_db()
    assert (profile.status, profile.status_reason) == (HelperStatus.REJECTED, "ID did not match")


def test_suspend_and_reinstate_a_vetted_helper(client, olga, bob):
    profile = bob.helper_profile
    client.force_login(olga)
    listing = client.get(reverse("operator:helpers"))
    assert "Bob Helper" in listing.text
    assert reverse("operator:suspend", args=[profile.pk]) in listing.text
    resp = client.post(
        reverse("operator:suspend", args=[profile.pk]),
        {"reason": "Complaint", "next": reverse("operator:helpers")},
    )
    assert resp.headers["Location"] == reverse("operator:helpers")
    profile.refresh_from_db()
    assert profile.status == HelperStatus.SUSPENDED
    suspended = client.get(reverse("operator:helpers"), {"status": "suspended"})
    assert "Bob Helper" in suspended.text
    client.post(reverse("operator:vet", args=[profile.pk]), {"id_checked": "on"})
    profile.refresh_from_db()
    assert profile.status == HelperStatus.VETTED


def test_invalid_transitions_show_a_message(client, olga, bob):
    client.force_login(olga)
    resp = client.post(
        reverse("operator:reject", args=[bob.helper_profile.pk]), {"reason": "x"}, follow=True
    )
    assert resp.status_code == 200
    assert "cannot change to rejected" in resp.text


def test_next_parameter_cannot_redirect_off_site(client, olga, dave):
    client.force_login(olga)
    resp = client.post(
        reverse("operator:reject", args=[dave.helper_profile.pk]),
        {"reason": "x", "next": "https://evil.example/"},
    )
    assert resp.headers["Location"] == reverse("operator:vetting")


def test_helper_list_ignores_unknown_status(client, olga, bob):
    client.force_login(olga)
    resp = client.get(reverse("operator:helpers"), {"status": "bogus"})
    assert resp.status_code == 200
    assert resp.context["status"] == HelperStatus.VETTED


def test_jobs_list_filters_by_status_and_links_to_details(client, olga, alice, bob, router_wifi):
    open_job = posted_job(customer=alice, category=router_wifi)
    done = posted_job(customer=alice, category=router_wifi)
    services.job_cancel(job=done, actor=alice, reason="no longer needed")
    client.force_login(olga)
    everything = client.get(reverse("operator:jobs"))
    assert {j.pk for j in everything.context["page"].object_list} == {open_job.pk, done.pk}
    cancelled = client.get(reverse("operator:jobs"), {"status": "cancelled"})
    assert [j.pk for j in cancelled.context["page"].object_list] == [done.pk]
    bad = client.get(reverse("operator:jobs"), {"status": "bogus", "page": "zzz"})
    assert bad.status_code == 200
    detail = client.get(reverse("operator:job", args=[open_job.pk]))
    assert "Bahnhofstrasse 1" in detail.text
    assert "Request posted" in detail.text


def test_operator_can_cancel_a_job_free_of_charge(client, olga, alice, bob, router_wifi):
    job = posted_job(customer=alice, category=router_wifi)
    client.force_login(olga)
    resp = client.post(reverse("operator:cancel", args=[job.pk]), {"reason": ""}, follow=True)
    assert "Give a reason" in resp.text
    client.post(reverse("operator:cancel", args=[job.pk]), {"reason": "Duplicate request"})
    job.refresh_from_db()
    assert (job.status, job.cancelled_by, job.cancellation_fee) == (
        JobStatus.CANCELLED,
        "operator",
        0,
    )
    again = client.post(reverse("operator:cancel", args=[job.pk]), {"reason": "x"}, follow=True)
    assert again.status_code == 200
