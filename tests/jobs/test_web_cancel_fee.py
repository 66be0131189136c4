"""Cancelling shows the fee that will be charged now and the market's policy before confirming,
and charges exactly what was shown: if the fee changed in between (the free period ended, a
helper accepted or gave the job back), the page is shown again with the new fee.

Zürich router job: price CHF 60.00; policy: free until 60 minutes after acceptance, then CHF 20.00.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.jobs import services
from marketplace.jobs.models import JobRequest, JobStatus
from marketplace.payments.models import LedgerEntry, Payment, PaymentStatus
from tests.factories import posted_job

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"


@pytest.fixture
def job(alice, bob, carol):
    """Alice's router job at ADDRESS, offered to the helpers in range (bob, carol)."""
    return posted_job(customer=alice)


@pytest.fixture
def late(job, bob):
    """Accepted two hours ago: the free period is over."""
    return services.job_accept(job=job, helper=bob, now=timezone.now() - timedelta(hours=2))


@pytest.fixture
def in_grace(job, bob):
    """Accepted ten minutes ago: still free for fifty minutes."""
    return services.job_accept(job=job, helper=bob, now=timezone.now() - timedelta(minutes=10))


def url(job):
    return reverse("customer:cancel", args=[job.pk])


def hidden_fee(text: str) -> str:
    marker = 'name="expected_fee" value="'
    return text.split(marker, 1)[1].split('"', 1)[0]


# --- What the confirm page shows -------------------------------------------------------------


def test_before_acceptance_the_page_says_free_and_states_the_policy(client, alice, job):
    client.force_login(alice)
    text = client.get(url(job)).text
    assert "Cancelling now is <strong>free</strong>" in text
    assert "Cancellation policy" in text
    assert "for 60 minutes after that" in text and "costs CHF 20.00" in text
    assert hidden_fee(text) == "0"
    assert "and pay" not in text


def test_during_the_free_period_the_page_says_until_when(client, alice, in_grace):
    client.force_login(alice)
    text = client.get(url(in_grace)).text
    assert "Cancelling now is <strong>free</strong>" in text
    deadline = timezone.localtime(
        in_grace.accepted_at + timedelta(minutes=60), ZoneInfo(in_grace.market.time_zone)
    )
    assert f"It stays free until {deadline:%H:%M}" in text
    assert hidden_fee(text) == "0"


def test_after_the_free_period_the_page_shows_the_fee_in_the_market_currency(client, alice, late):
    client.force_login(alice)
    text = client.get(url(late)).text
    assert "cancelling now costs <strong>CHF 20.00</strong>" in text
    assert "Cancel the request and pay CHF 20.00" in text
    assert hidden_fee(text) == "2000"


def test_polish_market_fee_is_formatted_in_zloty(client, reference, pl, router_wifi):
    from tests.factories import WARSAW, UserFactory, helper_profile

    customer = UserFactory(email="jan@example.com", full_name="Jan Kowalski")
    helper = UserFactory(email="ola@example.com", full_name="Ola Nowak")
    helper_profile(user=helper, market=pl, lat=WARSAW[0], lng=WARSAW[1], city="Warszawa")
    job = services.job_post(
        customer=customer,
        category=router_wifi,
        description="Router configuration please",
        address="Marszałkowska 1, Warszawa",
    )
    services.job_accept(job=job, helper=helper, now=timezone.now() - timedelta(hours=2))
    client.force_login(customer)
    text = client.get(url(job)).text
    assert "20,00 zł" in text


# --- Charging exactly what was shown ---------------------------------------------------------


def test_confirming_the_shown_fee_cancels_and_charges_it(
    client, alice, late, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(url(late), {"reason": "Changed plans", "expected_fee": "2000"})
    assert resp.status_code == 302
    late.refresh_from_db()
    assert (late.status, late.cancellation_fee) == (JobStatus.CANCELLED, 2000)
    payment = Payment.objects.get(job=late)
    assert (payment.status, payment.amount_captured) == (PaymentStatus.CAPTURED, 2000)
    page = client.get(resp["Location"])
    assert "a fee of CHF 20.00 applies" in page.text


def test_free_cancellation_charges_nothing(
    client, alice, in_grace, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(in_grace), {"reason": "Fixed it", "expected_fee": "0"})
    in_grace.refresh_from_db()
    assert (in_grace.status, in_grace.cancellation_fee) == (JobStatus.CANCELLED, 0)
    assert Payment.objects.get(job=in_grace).amount_captured == 0


def test_fee_that_started_between_show_and_post_is_shown_again_not_charged(
    client, alice, in_grace, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    page = client.get(url(in_grace))
    assert hidden_fee(page.text) == "0"
    # Meanwhile the free period ends.
    JobRequest.objects.filter(pk=in_grace.pk).update(
        accepted_at=timezone.now() - timedelta(hours=2)
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        resp = client.post(url(in_grace), {"reason": "Changed plans", "expected_fee": "0"})
    assert resp.status_code == 200
    assert "The cancellation fee is now CHF 20.00" in resp.text
    assert hidden_fee(resp.text) == "2000"
    assert 'value="Changed plans"' in resp.text  # the reason is kept
    in_grace.refresh_from_db()
    assert (in_grace.status, in_grace.cancellation_fee) == (JobStatus.ACCEPTED, 0)
    assert callbacks == []  # no payment follow-up was scheduled
    assert not LedgerEntry.objects.filter(job=in_grace, kind="captured_fee").exists()
    assert in_grace.events.filter(kind="cancelled").count() == 0


def test_fee_that_went_away_between_show_and_post_is_shown_again(client, alice, bob, late):
    client.force_login(alice)
    assert hidden_fee(client.get(url(late)).text) == "2000"
    services.job_release(job=late, helper=bob, reason="Sick")  # back to matching: free
    resp = client.post(url(late), {"reason": "Changed plans", "expected_fee": "2000"})
    assert resp.status_code == 200
    assert "Cancelling is now free" in resp.text
    assert hidden_fee(resp.text) == "0"
    late.refresh_from_db()
    assert late.status != JobStatus.CANCELLED


def test_form_errors_reshow_the_current_fee(client, alice, in_grace):
    client.force_login(alice)
    JobRequest.objects.filter(pk=in_grace.pk).update(
        accepted_at=timezone.now() - timedelta(hours=2)
    )
    resp = client.post(url(in_grace), {"reason": "", "expected_fee": "0"})
    assert resp.status_code == 200
    assert resp.context["form"].errors["reason"]
    assert "CHF 20.00" in resp.text
    assert hidden_fee(resp.text) == "2000"


def test_a_tampered_fee_is_not_charged(client, alice, late):
    client.force_login(alice)
    resp = client.post(url(late), {"reason": "Changed plans", "expected_fee": "1"})
    assert resp.status_code == 200
    late.refresh_from_db()
    assert late.status == JobStatus.ACCEPTED


# --- Who may open it -----------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, job):
    resp = client.get(url(job))
    assert resp.status_code == 302
    assert resp["Location"].startswith(reverse("login"))


def test_other_customer_gets_404_and_changes_nothing(client, mallory, late):
    client.force_login(mallory)
    assert client.get(url(late)).status_code == 404
    assert client.post(url(late), {"reason": "x", "expected_fee": "2000"}).status_code == 404
    late.refresh_from_db()
    assert late.status == JobStatus.ACCEPTED


@pytest.mark.parametrize("who", ["bob", "carol", "olga"])
def test_helpers_and_operators_are_refused(client, request, who, late):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(late)).status_code == 403
    assert client.post(url(late), {"reason": "x", "expected_fee": "2000"}).status_code == 403
    late.refresh_from_db()
    assert late.status == JobStatus.ACCEPTED


def test_helper_release_has_no_fee_policy_and_stays_free(client, bob, late):
    """Helpers give a job back without a fee (no helper-side policy exists), so there is no fee
    to confirm; the job goes back to matching."""
    client.force_login(bob)
    resp = client.post(reverse("helper:release", args=[late.pk]), {"reason": "Sick"})
    assert resp.status_code == 302
    late.refresh_from_db()
    assert late.status in (JobStatus.OPEN, JobStatus.OFFERED)
    assert late.cancellation_fee == 0
