"""The job lifecycle through the API (DESIGN §3): legal steps work, illegal ones answer 409 with
a message and leave the job as it was."""

import pytest

from marketplace.jobs.models import JobRequest

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"


@pytest.fixture
def customer(api_as, alice):
    return api_as(alice)


@pytest.fixture
def helper(api_as, bob):
    return api_as(bob)


@pytest.fixture
def job(customer, carol) -> int:
    resp = customer.post(
        "/api/jobs",
        {"category": "router-wifi", "description": "Router blinks red all day", "address": ADDRESS},
    )
    assert resp.status_code == 201, resp.content
    return resp.json()["id"]


def _steps(customer, helper, job: int, until: str) -> None:
    """Walk the happy path up to (and including) `until`."""
    steps = [
        ("accepted", helper, "accept", None),
        ("in_progress", helper, "check-in", None),
        ("completed", helper, "complete", {"note": "Replaced the cable"}),
        ("confirmed", customer, "confirm", None),
    ]
    for status, client, action, body in steps:
        resp = client.post(f"/api/jobs/{job}/{action}", body)
        assert resp.status_code == 200, resp.content
        assert resp.json()["status"] == status
        if status == until:
            return
    raise AssertionError(f"unknown step {until}")


def _conflict(resp, *, says: str, job: int, status: str) -> None:
    assert resp.status_code == 409, resp.content
    body = resp.json()
    assert body["code"] == "conflict"
    assert says.lower() in body["detail"].lower(), body["detail"]
    assert JobRequest.objects.get(pk=job).status == status


def test_the_whole_loop_records_every_step(customer, helper, job):
    _steps(customer, helper, job, until="confirmed")
    events = customer.get(f"/api/jobs/{job}/events").json()
    assert [e["kind"] for e in events] == [
        "posted",
        "offered",
        "accepted",
        "checked_in",
        "completed",
        "confirmed",
    ]
    assert events[2]["by"] == "Bob Helper"
    assert events[-1]["from_status"] == "completed"
    assert events[-1]["to_status"] == "confirmed"


def test_confirm_before_complete_is_409(customer, helper, job):
    _steps(customer, helper, job, until="in_progress")
    _conflict(
        customer.post(f"/api/jobs/{job}/confirm"), says="in progress", job=job, status="in_progress"
    )


def test_confirm_before_anyone_accepted_is_409(customer, job):
    _conflict(customer.post(f"/api/jobs/{job}/confirm"), says="offered", job=job, status="offered")


def test_check_in_twice_is_409(customer, helper, job):
    _steps(customer, helper, job, until="in_progress")
    _conflict(
        helper.post(f"/api/jobs/{job}/check-in"), says="in progress", job=job, status="in_progress"
    )


def test_complete_before_check_in_is_409(customer, helper, job):
    _steps(customer, helper, job, until="accepted")
    resp = helper.post(f"/api/jobs/{job}/complete", {"note": "done"})
    _conflict(resp, says="accepted", job=job, status="accepted")


def test_accept_after_someone_accepted_is_409(customer, helper, job):
    _steps(customer, helper, job, until="accepted")
    _conflict(
        helper.post(f"/api/jobs/{job}/accept"), says="already accepted", job=job, status="accepted"
    )


def test_a_second_helper_cannot_take_an_accepted_job(api_as, carol, customer, helper, job):
    """carol was offered the job; once bob has it she gets 409 (or 404: it is no longer hers to
    see). Either way bob keeps it."""
    _steps(customer, helper, job, until="accepted")
    resp = api_as(carol).post(f"/api/jobs/{job}/accept")
    assert resp.status_code in (404, 409), resp.content
    assert resp.json()["detail"]
    assert JobRequest.objects.get(pk=job).assigned_helper.email == "bob@example.com"


def test_cancel_after_confirmation_is_409(customer, helper, job):
    _steps(customer, helper, job, until="confirmed")
    resp = customer.post(f"/api/jobs/{job}/cancel", {"reason": "Too late"})
    _conflict(resp, says="confirmed", job=job, status="confirmed")


def test_a_customer_cannot_cancel_once_the_helper_is_on_site(customer, helper, job):
    _steps(customer, helper, job, until="in_progress")
    resp = customer.post(f"/api/jobs/{job}/cancel", {"reason": "Changed my mind"})
    _conflict(resp, says="in progress", job=job, status="in_progress")


def test_an_operator_can_cancel_while_the_helper_is_on_site(api_as, olga, customer, helper, job):
    _steps(customer, helper, job, until="in_progress")
    resp = api_as(olga).post(f"/api/jobs/{job}/cancel", {"reason": "Safety concern"})
    assert resp.status_code == 200, resp.content
    assert resp.json()["cancelled_by"] == "operator"


def test_cancel_twice_is_409(customer, job):
    assert (
        customer.post(f"/api/jobs/{job}/cancel", {"reason": "No longer needed"}).status_code == 200
    )
    resp = customer.post(f"/api/jobs/{job}/cancel", {"reason": "Again"})
    _conflict(resp, says="cancelled", job=job, status="cancelled")


def test_nothing_happens_to_a_cancelled_job(customer, helper, job):
    assert (
        customer.post(f"/api/jobs/{job}/cancel", {"reason": "Fixed it myself"}).status_code == 200
    )
    resp = helper.post(f"/api/jobs/{job}/accept")
    assert resp.status_code in (404, 409), resp.content  # closed: gone from bob's feed
    assert JobRequest.objects.get(pk=job).status == "cancelled"


def test_release_after_check_in_is_409(customer, helper, job):
    _steps(customer, helper, job, until="in_progress")
    resp = helper.post(f"/api/jobs/{job}/release", {"reason": "Cannot fix it"})
    _conflict(resp, says="in progress", job=job, status="in_progress")


def test_release_puts_the_job_back_to_matching(customer, helper, job):
    _steps(customer, helper, job, until="accepted")
    resp = helper.post(f"/api/jobs/{job}/release", {"reason": "Car broke down"})
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] in ("open", "offered")
    assert resp.json()["helper"] is None


def test_review_before_confirmation_is_409(customer, helper, job):
    _steps(customer, helper, job, until="completed")
    resp = customer.post(f"/api/jobs/{job}/reviews", {"rating": 5})
    _conflict(resp, says="confirmed", job=job, status="completed")


@pytest.mark.parametrize("who", ["customer", "helper"])
def test_a_second_review_from_the_same_side_is_409(request, customer, helper, job, who):
    _steps(customer, helper, job, until="confirmed")
    client = request.getfixturevalue(who)
    first = client.post(f"/api/jobs/{job}/reviews", {"rating": 4, "comment": "Fine"})
    assert first.status_code == 201, first.content
    _conflict(
        client.post(f"/api/jobs/{job}/reviews", {"rating": 1}),
        says="already reviewed",
        job=job,
        status="confirmed",
    )


def test_both_sides_review_once_and_the_helper_rating_moves(api_as, bob, customer, helper, job):
    _steps(customer, helper, job, until="confirmed")
    mine = customer.post(f"/api/jobs/{job}/reviews", {"rating": 5, "nps": 10, "comment": "Top"})
    assert mine.status_code == 201
    assert mine.json()["direction"] == "of_helper"
    theirs = helper.post(f"/api/jobs/{job}/reviews", {"rating": 4})
    assert theirs.status_code == 201
    assert theirs.json()["direction"] == "of_customer"
    profile = api_as(bob).get(f"/api/helpers/{bob.helper_profile.pk}").json()
    assert profile["rating_count"] == 1
    assert profile["rating"] > 4.0


def test_only_customers_answer_the_recommendation_question(customer, helper, job):
    _steps(customer, helper, job, until="confirmed")
    resp = helper.post(f"/api/jobs/{job}/reviews", {"rating": 4, "nps": 9})
    assert resp.status_code == 422
    assert "recommendation" in resp.json()["detail"]


@pytest.mark.parametrize("body", [{"rating": 0}, {"rating": 6}, {"rating": 5, "nps": 11}, {}])
def test_review_values_out_of_range_are_422(customer, helper, job, body):
    _steps(customer, helper, job, until="confirmed")
    resp = customer.post(f"/api/jobs/{job}/reviews", body)
    assert resp.status_code == 422, resp.content
    assert resp.json()["code"] == "invalid"


def test_declining_an_offer_twice_is_409(api_as, carol, job):
    client = api_as(carol)
    assert client.post(f"/api/jobs/{job}/decline").status_code == 204
    resp = client.post(f"/api/jobs/{job}/decline")
    assert resp.status_code == 409
    assert "no longer open" in resp.json()["detail"]


def test_cancellation_is_free_before_anyone_accepts(customer, job):
    resp = customer.get(f"/api/jobs/{job}/cancellation")
    assert resp.status_code == 200
    assert resp.json() == {"currency": "CHF", "fee": 0, "free": True}
