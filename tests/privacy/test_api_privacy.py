"""Location privacy (DESIGN §4): before acceptance helpers see a stable approximate point and the
city only; the exact address, coordinates and phone go to the assigned helper, and only until the
job closes. Checked on the raw response text, so a new field cannot leak them unnoticed."""

import pytest

from marketplace.core import geo
from marketplace.jobs.models import JobRequest

pytestmark = pytest.mark.django_db

STREET = "Bahnhofstrasse"
ADDRESS = f"{STREET} 1, 8001 Zürich"
PHONE = "+41 79 555 12 34"
HELPER_VIEWS = ("/api/jobs/{job}", "/api/helpers/me/feed", "/api/helpers/me/offers", "/api/jobs")


def _post(client, **extra) -> dict:
    body = {"category": "router-wifi", "description": "Router does not see the fibre box"}
    resp = client.post("/api/jobs", {**body, "address": ADDRESS, "contact_phone": PHONE, **extra})
    assert resp.status_code == 201, resp.content
    return resp.json()


def _numbers(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value


def _assert_private(resp, job: JobRequest, *, secrets=(STREET, PHONE, "555 12 34")) -> None:
    """Nothing in the response gives away where exactly the customer is or how to call them."""
    assert resp.status_code in (200, 404), resp.content
    text = resp.content.decode()
    for secret in secrets:
        assert secret not in text, (secret, text)
    numbers = set(_numbers(resp.json()))
    assert job.lat not in numbers
    assert job.lng not in numbers


@pytest.fixture
def customer(api_as, alice):
    return api_as(alice)


@pytest.fixture
def posted(customer, bob, carol) -> JobRequest:
    job = _post(customer)
    return JobRequest.objects.get(pk=job["id"])


def test_the_customer_sees_her_own_exact_location(customer, posted):
    body = customer.get(f"/api/jobs/{posted.pk}").json()
    assert body["address"] == ADDRESS
    assert body["contact_phone"] == PHONE
    assert (body["lat"], body["lng"]) == (posted.lat, posted.lng)
    assert body["exact_location_visible"] is True


@pytest.mark.parametrize("helper", ["bob", "carol"])
@pytest.mark.parametrize("view", HELPER_VIEWS)
def test_before_acceptance_helpers_see_only_the_approximate_point(
    request, api_as, posted, helper, view
):
    """carol holds an offer for the job, bob sees it in his nearby feed."""
    client = api_as(request.getfixturevalue(helper))
    resp = client.get(view.format(job=posted.pk))
    assert resp.status_code == 200, resp.content
    _assert_private(resp, posted)


@pytest.mark.parametrize("helper", ["bob", "carol"])
def test_helpers_see_the_job_with_city_and_approximate_point(request, api_as, posted, helper):
    client = api_as(request.getfixturevalue(helper))
    body = client.get(f"/api/jobs/{posted.pk}").json()
    assert body["exact_location_visible"] is False
    assert body["address"] is body["lat"] is body["lng"] is body["contact_phone"] is None
    assert body["city"] == "Zürich"
    assert (body["approx_lat"], body["approx_lng"]) == (posted.approx_lat, posted.approx_lng)
    assert body["customer"] is None
    assert "Alice" not in client.get(f"/api/jobs/{posted.pk}").content.decode()
    feed = client.get("/api/helpers/me/feed").json()
    assert [item["job_id"] for item in feed] == [posted.pk]
    assert {"address", "lat", "lng", "contact_phone"}.isdisjoint(feed[0])


def test_the_offer_shows_only_the_approximate_point(api_as, carol, posted):
    offers = api_as(carol).get("/api/helpers/me/offers").json()
    assert [o["job_id"] for o in offers] == [posted.pk]
    assert (offers[0]["approx_lat"], offers[0]["approx_lng"]) == (
        posted.approx_lat,
        posted.approx_lng,
    )
    assert {"address", "lat", "lng", "contact_phone"}.isdisjoint(offers[0])


def test_the_customers_profile_phone_is_private_too(api_as, alice, bob):
    """Without a contact phone on the request, the customer's own phone is used; same rules."""
    job = JobRequest.objects.get(pk=_post(api_as(alice), contact_phone="")["id"])
    assert job.contact_phone == "+41 79 111"
    for view in HELPER_VIEWS:
        _assert_private(api_as(bob).get(view.format(job=job.pk)), job, secrets=("+41 79 111",))


def test_the_approximate_point_is_stable_and_not_the_exact_one(api_as, alice, mallory):
    first = _post(api_as(alice))
    again = _post(api_as(alice), description="Same flat, a second router problem")
    other_customer = _post(api_as(mallory))
    points = {(job["approx_lat"], job["approx_lng"]) for job in (first, again, other_customer)}
    assert len(points) == 1
    (approx_lat, approx_lng), exact = points.pop(), (first["lat"], first["lng"])
    assert (approx_lat, approx_lng) != exact
    assert approx_lat != exact[0] and approx_lng != exact[1]
    # Within the ~1 km cell: at most half its diagonal away.
    assert geo.haversine_km(approx_lat, approx_lng, *exact) <= 0.75


def test_the_approximate_point_hides_which_house_in_the_cell(api_as, alice):
    """Two exact points in the same grid cell share one approximate point."""
    centre = geo.approx_point(47.37689, 8.54169)
    here = (centre[0] + 0.001, centre[1] + 0.001)
    next_door = (centre[0] - 0.001, centre[1] - 0.002)
    a = _post(api_as(alice), address="", lat=here[0], lng=here[1])
    b = _post(api_as(alice), address="", lat=next_door[0], lng=next_door[1])
    assert (a["approx_lat"], a["approx_lng"]) == (b["approx_lat"], b["approx_lng"]) == centre
    assert (a["lat"], a["lng"]) == here
    assert (b["lat"], b["lng"]) == next_door


def test_after_acceptance_only_the_assigned_helper_sees_the_address(
    api_as, bob, carol, dave, mallory, posted
):
    assert api_as(bob).post(f"/api/jobs/{posted.pk}/accept").status_code == 200
    body = api_as(bob).get(f"/api/jobs/{posted.pk}").json()
    assert body["exact_location_visible"] is True
    assert body["address"] == ADDRESS
    assert body["contact_phone"] == PHONE
    assert (body["lat"], body["lng"]) == (posted.lat, posted.lng)
    for outsider in (carol, dave, mallory):
        client = api_as(outsider)
        for view in HELPER_VIEWS:
            _assert_private(client.get(view.format(job=posted.pk)), posted)


@pytest.mark.parametrize("how", ["confirmed", "cancelled"])
def test_once_the_job_closes_the_helper_no_longer_sees_the_address(
    api_as, bob, olga, customer, posted, how
):
    helper = api_as(bob)
    assert helper.post(f"/api/jobs/{posted.pk}/accept").status_code == 200
    if how == "confirmed":
        assert helper.post(f"/api/jobs/{posted.pk}/check-in").status_code == 200
        assert helper.post(f"/api/jobs/{posted.pk}/complete", {"note": "ok"}).status_code == 200
        assert customer.post(f"/api/jobs/{posted.pk}/confirm").status_code == 200
    else:
        resp = api_as(olga).post(f"/api/jobs/{posted.pk}/cancel", {"reason": "Duplicate"})
        assert resp.status_code == 200
    resp = helper.get(f"/api/jobs/{posted.pk}")
    assert resp.status_code == 200
    assert resp.json()["status"] == how
    assert resp.json()["exact_location_visible"] is False
    for view in HELPER_VIEWS:
        _assert_private(helper.get(view.format(job=posted.pk)), posted)
    # The customer and operators still see it.
    assert customer.get(f"/api/jobs/{posted.pk}").json()["address"] == ADDRESS
    assert api_as(olga).get(f"/api/jobs/{posted.pk}").json()["address"] == ADDRESS


def test_helpers_see_the_same_money_split_as_the_customer(api_as, bob, customer, posted):
    mine = customer.get(f"/api/jobs/{posted.pk}").json()["quote"]
    theirs = api_as(bob).get(f"/api/jobs/{posted.pk}").json()["quote"]
    assert theirs == mine
    assert theirs["platform_fee"] + theirs["helper_payout"] == theirs["helper_price"]
