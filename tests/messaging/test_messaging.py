"""Messages between a job's customer and its assigned helper (issue 6 part 3).

No thread before a helper accepts (no contact details before acceptance), participants only
(404 for everyone else), operators read, a released helper loses access, closed jobs are
read-only, unread counts per participant."""

import pytest
from django.urls import reverse

from marketplace.jobs import services
from marketplace.jobs.disputes import dispute_open
from marketplace.messaging import selectors
from marketplace.messaging.models import Message
from marketplace.messaging.services import message_post
from tests.factories import posted_job

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"


@pytest.fixture
def job(alice, bob, carol):
    """Alice's router job at ADDRESS, offered to the helpers in range (bob, carol)."""
    return posted_job(customer=alice)


@pytest.fixture
def accepted(job, bob):
    return services.job_accept(job=job, helper=bob)


def url(job):
    return f"/api/jobs/{job.pk}/messages"


def completed(job, bob):
    job = services.job_check_in(job=job, helper=bob)
    return services.job_complete(job=job, helper=bob, note="Done")


# --- Before acceptance --------------------------------------------------------------------------


def test_no_thread_before_a_helper_accepts_api(job, alice, bob, api_as):
    resp = api_as(alice).get(url(job))
    assert resp.status_code == 409
    assert "accepted" in resp.json()["detail"]
    resp = api_as(alice).post(url(job), {"body": "My number is +41 79 111"})
    assert resp.status_code == 409
    # Bob sees the job in his feed but is not a participant.
    assert api_as(bob).get(url(job)).status_code == 404
    assert api_as(bob).post(url(job), {"body": "Hi"}).status_code == 404
    assert not Message.objects.exists()


def test_no_thread_before_a_helper_accepts_web(job, alice, client):
    client.force_login(alice)
    page = client.get(reverse("customer:job", args=[job.pk]))
    assert page.status_code == 200
    assert "Messages open once a helper has accepted" in page.text
    assert reverse("customer:messages", args=[job.pk]) not in page.text
    resp = client.post(
        reverse("customer:messages", args=[job.pk]), {"body": "Call me"}, follow=True
    )
    assert "Messages open once a helper has accepted" in resp.text
    assert not Message.objects.exists()


def test_a_helper_who_is_not_assigned_sees_no_thread_on_the_job_page(job, bob, client):
    client.force_login(bob)
    page = client.get(reverse("helper:job", args=[job.pk]))
    assert page.status_code == 200
    assert 'id="messages"' not in page.text
    resp = client.post(reverse("helper:messages", args=[job.pk]), {"body": "Hello"})
    assert resp.status_code == 404


# --- Participants -------------------------------------------------------------------------------


def test_customer_and_assigned_helper_write_and_read_each_other(accepted, alice, bob, api_as):
    resp = api_as(alice).post(url(accepted), {"body": "  The door code is 1234  "})
    assert resp.status_code == 201
    assert resp.json()["body"] == "The door code is 1234"
    assert resp.json()["author_role"] == "customer"
    assert api_as(bob).post(url(accepted), {"body": "Thanks, see you at 3"}).status_code == 201

    thread = api_as(bob).get(url(accepted)).json()
    assert thread["can_post"] is True
    assert [(m["body"], m["mine"], m["author_role"]) for m in thread["messages"]] == [
        ("The door code is 1234", False, "customer"),
        ("Thanks, see you at 3", True, "helper"),
    ]


def test_messages_are_posted_with_a_plain_form_and_shown_escaped(accepted, alice, bob, client):
    client.force_login(alice)
    resp = client.post(
        reverse("customer:messages", args=[accepted.pk]), {"body": "<script>alert(1)</script>"}
    )
    assert resp.status_code == 302
    assert resp["Location"].endswith(reverse("customer:job", args=[accepted.pk]) + "#messages")
    client.force_login(bob)
    page = client.get(reverse("helper:job", args=[accepted.pk]))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert reverse("helper:messages", args=[accepted.pk]) in page.text  # the reply form


def test_empty_and_too_long_messages_are_refused_with_a_message(accepted, alice, api_as):
    api = api_as(alice)
    resp = api.post(url(accepted), {"body": "   "})
    assert resp.status_code == 422  # refused by the schema now, which documents min 1 (issue 21)
    assert resp.json()["detail"] == "String should have at least 1 character"
    resp = api.post(url(accepted), {"body": "x" * 2001})
    assert resp.status_code == 422
    assert "2000" in resp.json()["detail"]
    assert api.post(url(accepted), {"body": "x" * 2000}).status_code == 201
    assert Message.objects.count() == 1


def test_a_too_long_message_on_the_web_is_an_error_message_not_a_crash(accepted, alice, client):
    client.force_login(alice)
    resp = client.post(
        reverse("customer:messages", args=[accepted.pk]), {"body": "x" * 2001}, follow=True
    )
    assert resp.status_code == 200
    assert "at most 2000 characters" in resp.text
    assert not Message.objects.exists()


# --- Outsiders ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["mallory", "carol", "dave"])
def test_other_customers_and_helpers_get_404(accepted, alice, who, request, api_as, client):
    message_post(job=accepted, author=alice, body="Private")
    user = request.getfixturevalue(who)
    assert api_as(user).get(url(accepted)).status_code == 404
    assert api_as(user).post(url(accepted), {"body": "Let me in"}).status_code == 404
    client.force_login(user)
    namespace = "customer" if who == "mallory" else "helper"
    resp = client.post(reverse(f"{namespace}:messages", args=[accepted.pk]), {"body": "Hi"})
    assert resp.status_code == 404
    assert Message.objects.count() == 1


def test_anonymous_callers_are_refused(accepted):
    from django.test import Client

    assert Client().get(url(accepted)).status_code == 401
    resp = Client().post(reverse("customer:messages", args=[accepted.pk]), {"body": "Hi"})
    assert resp.status_code == 302 and "/login/" in resp["Location"]


# --- Operators ----------------------------------------------------------------------------------


def test_operators_read_the_thread_but_do_not_write_outside_a_dispute(
    accepted, alice, olga, api_as, client
):
    message_post(job=accepted, author=alice, body="Is 3 pm fine?")
    thread = api_as(olga).get(url(accepted)).json()
    assert [m["body"] for m in thread["messages"]] == ["Is 3 pm fine?"]
    assert thread["can_post"] is False
    assert "dispute" in thread["read_only_reason"]
    resp = api_as(olga).post(url(accepted), {"body": "Operator here"})
    assert resp.status_code == 403
    client.force_login(olga)
    page = client.get(reverse("operator:job", args=[accepted.pk]))
    assert "Is 3 pm fine?" in page.text
    assert reverse("operator:messages", args=[accepted.pk]) not in page.text


def test_operators_write_as_operator_inside_a_dispute(accepted, alice, bob, olga, api_as, client):
    job = completed(accepted, bob)
    dispute_open(job=job, customer=alice, reason="The Wi-Fi still drops")
    client.force_login(olga)
    page = client.get(reverse("operator:job", args=[job.pk]))
    assert reverse("operator:messages", args=[job.pk]) in page.text
    resp = client.post(reverse("operator:messages", args=[job.pk]), {"body": "Looking into it"})
    assert resp.status_code == 302
    messages = api_as(alice).get(url(job)).json()["messages"]
    assert [(m["author_role"], m["body"]) for m in messages] == [("operator", "Looking into it")]
    # Both parties can still write during the dispute.
    assert api_as(bob).post(url(job), {"body": "It worked when I left"}).status_code == 201


# --- Released helper, closed job ---------------------------------------------------------------


def test_a_released_helper_loses_access_and_the_next_helper_starts_a_new_thread(
    accepted, alice, bob, carol, olga, api_as
):
    message_post(job=accepted, author=alice, body="Flat 3, ring twice")
    message_post(job=accepted, author=bob, body="OK")
    job = services.job_release(job=accepted, helper=bob, reason="Ill")
    assert api_as(bob).get(url(job)).status_code == 404
    assert api_as(bob).post(url(job), {"body": "Still there?"}).status_code == 404
    assert api_as(alice).get(url(job)).status_code == 409  # back to matching: no thread

    job = services.job_accept(job=job, helper=carol)
    assert api_as(carol).get(url(job)).json()["messages"] == []
    assert api_as(alice).get(url(job)).json()["messages"] == []
    # Operators see everything that was said on the job.
    assert len(api_as(olga).get(url(job)).json()["messages"]) == 2


def test_a_closed_job_thread_is_read_only(accepted, alice, bob, api_as, client):
    message_post(job=accepted, author=alice, body="Thanks in advance")
    job = services.job_confirm(job=completed(accepted, bob), actor=alice)
    resp = api_as(bob).post(url(job), {"body": "One more thing"})
    assert resp.status_code == 409
    assert "read-only" in resp.json()["detail"]
    thread = api_as(alice).get(url(job)).json()
    assert thread["can_post"] is False
    assert [m["body"] for m in thread["messages"]] == ["Thanks in advance"]
    client.force_login(alice)
    page = client.get(reverse("customer:job", args=[job.pk]))
    assert "Thanks in advance" in page.text
    assert reverse("customer:messages", args=[job.pk]) not in page.text


def test_a_cancelled_job_thread_is_read_only(accepted, alice, api_as):
    message_post(job=accepted, author=alice, body="See you")
    job = services.job_cancel(job=accepted, actor=alice, reason="Fixed it myself")
    assert api_as(alice).post(url(job), {"body": "Sorry"}).status_code == 409
    assert api_as(alice).get(url(job)).status_code == 200


# --- Unread counts ------------------------------------------------------------------------------


def test_unread_counts_are_per_participant_and_reset_by_reading(accepted, alice, bob, api_as):
    message_post(job=accepted, author=alice, body="One")
    message_post(job=accepted, author=alice, body="Two")
    assert selectors.unread_count(user=bob, job=accepted) == 2
    assert selectors.unread_count(user=alice, job=accepted) == 0  # own messages are read
    assert selectors.unread_counts(user=bob, jobs=[accepted]) == {accepted.pk: 2}

    assert api_as(bob).get(url(accepted)).json()["unread"] == 2
    assert api_as(bob).get(url(accepted)).json()["unread"] == 0
    assert selectors.unread_counts(user=bob, jobs=[accepted]) == {}

    message_post(job=accepted, author=bob, body="Three")
    assert selectors.unread_count(user=alice, job=accepted) == 1
    assert selectors.unread_count(user=bob, job=accepted) == 0


def test_the_job_page_shows_the_unread_count_once(accepted, alice, bob, client):
    message_post(job=accepted, author=bob, body="On my way")
    message_post(job=accepted, author=bob, body="10 minutes")
    client.force_login(alice)
    page = client.get(reverse("customer:job", args=[accepted.pk]))
    assert "2 new" in page.text
    page = client.get(reverse("customer:job", args=[accepted.pk]))
    assert "2 new" not in page.text
    assert selectors.unread_count(user=alice, job=accepted) == 0
