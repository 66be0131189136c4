"""Operators vet, reject and suspend helpers through /api/operator (DESIGN §1)."""

import pytest

from marketplace.helpers.models import HelperProfile, HelperStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(api_as, olga):
    return api_as(olga)


def _queue(client, **params) -> dict:
    resp = client.get("/api/operator/helpers", **params)
    assert resp.status_code == 200, resp.content
    return {item["email"]: item for item in resp.json()}


def test_the_vetting_queue_lists_applicants_only(operator, bob, carol, dave):
    queue = _queue(operator)
    assert list(queue) == ["dave@example.com"]
    entry = queue["dave@example.com"]
    assert entry["status"] == "applied"
    assert entry["id_checked"] is False
    assert entry["code_of_conduct_accepted"] is True
    assert entry["id"] == dave.helper_profile.pk


def test_operators_can_list_helpers_by_status(operator, bob, carol, dave):
    assert set(_queue(operator, status="vetted")) == {"bob@example.com", "carol@example.com"}
    assert _queue(operator, status="suspended") == {}


def test_vetting_with_the_id_checked_makes_the_helper_vetted(api_as, operator, dave, olga):
    helper_id = dave.helper_profile.pk
    resp = operator.post(f"/api/operator/helpers/{helper_id}/vet", {"id_checked": True})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["status"] == "vetted"
    assert body["id_checked"] is True
    profile = HelperProfile.objects.get(pk=helper_id)
    assert profile.vetted_by == olga
    assert profile.id_checked_at is not None
    assert _queue(operator) == {}
    # dave now shows up in public and may look at his feed.
    assert api_as(dave).get(f"/api/helpers/{helper_id}").status_code == 200
    assert api_as(dave).get("/api/helpers/me").json()["status"] == "vetted"


def test_vetting_without_the_id_check_is_422(operator, dave):
    resp = operator.post(
        f"/api/operator/helpers/{dave.helper_profile.pk}/vet", {"id_checked": False}
    )
    assert resp.status_code == 422
    assert "ID" in resp.json()["detail"]
    assert HelperProfile.objects.get(user=dave).status == HelperStatus.APPLIED


def test_vetting_needs_the_id_checked_field(operator, dave):
    resp = operator.post(f"/api/operator/helpers/{dave.helper_profile.pk}/vet", {})
    assert resp.status_code == 422
    assert "id_checked" in resp.json()["detail"]


def test_a_suspended_helper_whose_id_was_checked_can_be_reinstated(operator, bob):
    helper_id = bob.helper_profile.pk
    resp = operator.post(f"/api/operator/helpers/{helper_id}/suspend", {"reason": "No-show twice"})
    assert resp.status_code == 200
    resp = operator.post(f"/api/operator/helpers/{helper_id}/vet", {"id_checked": False})
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "vetted"


def test_vetting_an_already_vetted_helper_is_409(operator, bob):
    resp = operator.post(f"/api/operator/helpers/{bob.helper_profile.pk}/vet", {"id_checked": True})
    assert resp.status_code == 409
    assert resp.json()["code"] == "conflict"


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "dave"])
def test_only_operators_can_vet(request, api_as, dave, who):
    client = api_as(request.getfixturevalue(who))
    resp = client.post(f"/api/operator/helpers/{dave.helper_profile.pk}/vet", {"id_checked": True})
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"
    assert HelperProfile.objects.get(user=dave).status == HelperStatus.APPLIED


def test_a_helper_cannot_vet_himself(api_as, dave):
    resp = api_as(dave).post(
        f"/api/operator/helpers/{dave.helper_profile.pk}/vet", {"id_checked": True}
    )
    assert resp.status_code == 403


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 301}])
def test_suspending_needs_a_reason(operator, bob, body):
    resp = operator.post(f"/api/operator/helpers/{bob.helper_profile.pk}/suspend", body)
    assert resp.status_code == 422, resp.content
    assert resp.json()["code"] == "invalid"
    assert HelperProfile.objects.get(user=bob).status == HelperStatus.VETTED


def test_suspending_records_the_reason_and_stops_the_helper(api_as, operator, alice, bob):
    resp = operator.post(
        f"/api/operator/helpers/{bob.helper_profile.pk}/suspend", {"reason": "Customer complaint"}
    )
    assert resp.status_code == 200
    assert resp.json()["status"] == "suspended"
    assert resp.json()["status_reason"] == "Customer complaint"
    job = api_as(alice).post(
        "/api/jobs",
        {
            "category": "router-wifi",
            "description": "Router needs a firmware update",
            "address": "Bahnhofstrasse 1, 8001 Zürich",
        },
    )
    assert job.status_code == 201
    helper = api_as(bob)
    assert helper.get("/api/helpers/me/feed").json() == []
    assert helper.post(f"/api/jobs/{job.json()['id']}/accept").status_code in (403, 404)


def test_rejecting_an_application_needs_a_reason_and_closes_it(operator, dave):
    helper_id = dave.helper_profile.pk
    assert operator.post(f"/api/operator/helpers/{helper_id}/reject", {}).status_code == 422
    resp = operator.post(f"/api/operator/helpers/{helper_id}/reject", {"reason": "ID expired"})
    assert resp.status_code == 200
    assert resp.json()["status"] == "rejected"
    again = operator.post(f"/api/operator/helpers/{helper_id}/reject", {"reason": "Again"})
    assert again.status_code == 409


def test_a_new_applicant_appears_in_the_queue(api_as, operator, mallory, router_wifi):
    resp = api_as(mallory).post(
        "/api/helpers/apply",
        {
            "market": "ch",
            "lat": 47.37,
            "lng": 8.54,
            "city": "Zürich",
            "skills": ["router-wifi"],
            "availability": [{"weekday": 0, "start_hour": 8, "end_hour": 18}],
            "accept_code_of_conduct": True,
            "confirm_role_change": True,  # mallory is a customer: one account, one role
        },
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["status"] == "applied"
    entry = _queue(operator)["mallory@example.com"]
    assert entry["skills"] == ["router-wifi"]
    assert entry["availability"] == [{"weekday": 0, "start_hour": 8, "end_hour": 18}]
    again = api_as(mallory).post(
        "/api/helpers/apply",
        {"market": "ch", "lat": 47.37, "lng": 8.54, "accept_code_of_conduct": True},
    )
    assert again.status_code == 409


def test_operators_cannot_apply_as_helpers(operator, router_wifi):
    resp = operator.post(
        "/api/helpers/apply",
        {"market": "ch", "lat": 47.37, "lng": 8.54, "accept_code_of_conduct": True},
    )
    assert resp.status_code == 403


def test_an_applicant_cannot_vet_himself_through_his_profile(api_as, dave):
    resp = api_as(dave).patch(
        "/api/helpers/me",
        {"status": "vetted", "id_checked": True, "rating": 5.0, "bio": "Happy to help"},
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "applied"
    assert resp.json()["bio"] == "Happy to help"
    profile = HelperProfile.objects.get(user=dave)
    assert (profile.status, profile.id_checked_at, profile.rating) == ("applied", None, 4.0)
