"""The live status block of the job pages: served alone at its own URL behind the page's
permission checks, versioned by the last JobEvent so an unchanged poll answers 304."""

import pytest
from django.urls import reverse

from marketplace.jobs import services
from tests.factories import WARSAW, UserFactory, helper_profile, posted_job

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"


@pytest.fixture
def job(alice, bob, carol):
    """Alice's router job at ADDRESS, offered to the helpers in range (bob, carol)."""
    return posted_job(customer=alice)


@pytest.fixture
def far_helper(reference):
    """A vetted helper in Warsaw: no offer for a Zürich job and not in range of it."""
    user = UserFactory(email="erin@example.com", full_name="Erin Far")
    helper_profile(user=user, lat=WARSAW[0], lng=WARSAW[1])
    return user


def customer_url(job):
    return reverse("customer:job_status", args=[job.pk])


def helper_url(job):
    return reverse("helper:job_status", args=[job.pk])


# --- The fragment --------------------------------------------------------------------------------


def test_customer_status_fragment_is_only_the_block_with_status_and_timeline(client, alice, job):
    client.force_login(alice)
    resp = client.get(customer_url(job))
    assert resp.status_code == 200
    assert "<html" not in resp.text and "<body" not in resp.text
    assert "status-offered" in resp.text
    assert "Request posted" in resp.text  # the timeline
    assert 'data-live-closed="false"' in resp.text
    assert resp["ETag"] and resp["Last-Modified"]
    assert "private" in resp["Cache-Control"] and "no-cache" in resp["Cache-Control"]
    assert resp["X-Job-Closed"] == "0"


def test_unchanged_poll_answers_304_without_a_body(client, alice, job):
    client.force_login(alice)
    first = client.get(customer_url(job))
    resp = client.get(customer_url(job), headers={"If-None-Match": first["ETag"]})
    assert resp.status_code == 304
    assert resp.content == b""
    assert resp["ETag"] == first["ETag"]


def test_a_new_event_changes_the_version_and_the_block(client, alice, bob, job):
    client.force_login(alice)
    first = client.get(customer_url(job))
    services.job_accept(job=job, helper=bob)
    resp = client.get(customer_url(job), headers={"If-None-Match": first["ETag"]})
    assert resp.status_code == 200
    assert resp["ETag"] != first["ETag"]
    assert "status-accepted" in resp.text
    assert "Helper assigned — Bob Helper" in resp.text
    profile_url = reverse("helper_public", args=[bob.helper_profile.pk])
    assert profile_url in resp.text


def test_the_announcement_sentence_names_the_new_status(client, alice, bob, job):
    services.job_accept(job=job, helper=bob)
    client.force_login(alice)
    resp = client.get(customer_url(job))
    assert 'data-live-summary="Status: Helper assigned. Helper assigned — Bob Helper."' in resp.text


def test_a_closed_job_tells_the_poller_to_stop(client, alice, job):
    services.job_cancel(job=job, actor=alice, reason="Fixed it myself")
    client.force_login(alice)
    resp = client.get(customer_url(job))
    assert 'data-live-closed="true"' in resp.text
    assert resp["X-Job-Closed"] == "1"


def test_assigned_helper_gets_the_block_with_the_timeline(client, bob, job):
    services.job_accept(job=job, helper=bob)
    client.force_login(bob)
    resp = client.get(helper_url(job))
    assert resp.status_code == 200
    assert "status-accepted" in resp.text
    assert "Timeline" in resp.text
    first = resp["ETag"]
    assert client.get(helper_url(job), headers={"If-None-Match": first}).status_code == 304


def test_offered_helper_sees_the_status_but_not_the_timeline(client, carol, job):
    client.force_login(carol)
    resp = client.get(helper_url(job))
    assert resp.status_code == 200
    assert "status-offered" in resp.text
    assert "Timeline" not in resp.text
    assert "Alice" not in resp.text


def test_customer_and_helper_versions_differ(client, alice, bob, job):
    services.job_accept(job=job, helper=bob)
    client.force_login(alice)
    customer_etag = client.get(customer_url(job))["ETag"]
    client.force_login(bob)
    assert client.get(helper_url(job))["ETag"] != customer_etag


# --- Who may poll ------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, job):
    for url in (customer_url(job), helper_url(job)):
        resp = client.get(url)
        assert resp.status_code == 302
        assert resp["Location"].startswith(reverse("login"))


def test_other_customer_gets_404(client, mallory, job):
    client.force_login(mallory)
    assert client.get(customer_url(job)).status_code == 404


def test_helper_on_the_customer_url_gets_403(client, bob, job):
    client.force_login(bob)
    assert client.get(customer_url(job)).status_code == 403


def test_customer_on_the_helper_url_gets_403(client, alice, job):
    client.force_login(alice)
    assert client.get(helper_url(job)).status_code == 403


def test_other_helper_out_of_range_gets_404(client, far_helper, job):
    client.force_login(far_helper)
    assert client.get(helper_url(job)).status_code == 404


def test_helper_whose_offer_ended_with_the_job_gets_404(client, alice, carol, job):
    services.job_cancel(job=job, actor=alice, reason="Fixed it myself")
    client.force_login(carol)
    assert client.get(helper_url(job)).status_code == 404


def test_operator_is_refused_on_both_urls(client, olga, job):
    client.force_login(olga)
    assert client.get(customer_url(job)).status_code == 403
    assert client.get(helper_url(job)).status_code == 403


def test_the_fragment_is_read_only(client, alice, job):
    client.force_login(alice)
    assert client.post(customer_url(job)).status_code == 405


# --- The pages that poll --------------------------------------------------------------------------


def test_customer_job_page_embeds_the_block_for_the_poller_with_a_refresh_link(
    client, alice, bob, job
):
    services.job_accept(job=job, helper=bob)
    client.force_login(alice)
    resp = client.get(reverse("customer:job", args=[job.pk]))
    assert f'data-live-url="{customer_url(job)}"' in resp.text
    assert 'data-live-interval="10"' in resp.text
    assert 'aria-live="polite"' in resp.text
    assert ">Refresh</a>" in resp.text
    assert "js/live.js" in resp.text
    assert reverse("helper_public", args=[bob.helper_profile.pk]) in resp.text
    assert resp.text.count('id="timeline-title"') == 1


def test_helper_job_page_embeds_the_block_for_the_poller(client, bob, job):
    services.job_accept(job=job, helper=bob)
    client.force_login(bob)
    resp = client.get(reverse("helper:job", args=[job.pk]))
    assert f'data-live-url="{helper_url(job)}"' in resp.text
    assert resp.text.count('id="timeline-title"') == 1


def test_the_poller_script_is_plain_and_polls_politely():
    from django.conf import settings

    script = (settings.BASE_DIR / "static" / "js" / "live.js").read_text()
    assert "If-None-Match" in script and "visibilityState" in script
    assert "http://" not in script and "https://" not in script  # no CDN, no third party
