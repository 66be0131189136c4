import pytest

pytestmark = pytest.mark.django_db


def test_core_loop_through_the_api(api_as, alice, bob, carol):
    customer = api_as(alice)
    resp = customer.post(
        "/api/jobs",
        {
            "category": "router-wifi",
            "description": "My new router does not connect",
            "address": "Bahnhofstrasse 1, 8001 Zürich",
        },
    )
    assert resp.status_code == 201, resp.content
    job = resp.json()
    assert job["status"] == "offered"
    assert job["quote"]["currency"] == "CHF"
    helper = api_as(bob)
    feed = helper.get("/api/helpers/me/feed").json()
    assert any(item["job_id"] == job["id"] for item in feed)
    before = helper.get(f"/api/jobs/{job['id']}").json()
    assert before["address"] is None
    assert helper.post(f"/api/jobs/{job['id']}/accept").status_code == 200
    assert api_as(carol).post(f"/api/jobs/{job['id']}/accept").status_code in (404, 409)
    after = helper.get(f"/api/jobs/{job['id']}").json()
    assert after["address"] == "Bahnhofstrasse 1, 8001 Zürich"
    assert helper.post(f"/api/jobs/{job['id']}/check-in").status_code == 200
    assert helper.post(f"/api/jobs/{job['id']}/complete", {"note": "done"}).status_code == 200
    assert customer.post(f"/api/jobs/{job['id']}/confirm").status_code == 200
    r = customer.post(f"/api/jobs/{job['id']}/reviews", {"rating": 5, "nps": 9})
    assert r.status_code == 201, r.content
