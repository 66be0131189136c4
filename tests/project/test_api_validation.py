"""Bad input never answers 5xx: wrong types, missing fields, out-of-range values, huge strings,
odd ids and bodies that are not JSON get a 4xx with an error body `{detail, code}`."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from marketplace.jobs.models import JobRequest

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"
VALID = {
    "category": "router-wifi",
    "description": "The router restarts every ten minutes",
    "address": ADDRESS,
}


def _error(resp, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status, resp.content
    assert resp["Content-Type"].startswith("application/json")
    body = resp.json()
    assert isinstance(body["detail"], str) and body["detail"], body
    assert isinstance(body["code"], str) and body["code"], body
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def customer(api_as, alice, router_wifi):
    return api_as(alice)


NOW = datetime.now(UTC).replace(microsecond=0)


def _at(**delta) -> str:
    return (NOW + timedelta(**delta)).isoformat()


def test_a_valid_request_is_accepted(customer):
    assert customer.post("/api/jobs", VALID).status_code == 201


@pytest.mark.parametrize(
    ("change", "mentions"),
    [
        ({"description": 12345}, "description"),
        ({"description": None}, "description"),
        ({"description": ["a list"]}, "description"),
        ({"category": 7}, "category"),
        ({"lat": "north", "lng": 8.5}, "lat"),
        ({"lat": 47.3, "lng": {"x": 1}}, "lng"),
        ({"window_start": "tomorrow morning"}, "window_start"),
        ({"window_end": [12]}, "window_end"),
        ({"contact_phone": 41791234567}, "contact_phone"),
        ({"address": ["Bahnhofstrasse 1"]}, "address"),
    ],
)
def test_wrong_types_are_422(customer, change, mentions):
    body = _error(customer.post("/api/jobs", {**VALID, **change}), 422, "invalid")
    assert mentions in body["detail"]
    assert not JobRequest.objects.exists()


@pytest.mark.parametrize("missing", ["category", "description"])
def test_missing_fields_are_422(customer, missing):
    data = {k: v for k, v in VALID.items() if k != missing}
    body = _error(customer.post("/api/jobs", data), 422, "invalid")
    assert missing in body["detail"]


def test_an_empty_body_is_422(customer):
    _error(customer.post("/api/jobs", {}), 422, "invalid")


@pytest.mark.parametrize("category", ["plumbing", "ROUTER-WIFI", "", "router-wifi ", "x" * 5000])
def test_an_unknown_category_is_404(customer, category):
    _error(customer.post("/api/jobs", {**VALID, "category": category}), 404, "not_found")


@pytest.mark.parametrize(
    ("lat", "lng"),
    [(91, 8.5), (-90.5, 8.5), (47.3, 181), (47.3, -180.01), (1e308, 8.5), (47.3, -1e308)],
)
def test_coordinates_out_of_range_are_422(customer, lat, lng):
    resp = customer.post("/api/jobs", {**VALID, "address": "", "lat": lat, "lng": lng})
    _error(resp, 422, "invalid")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_coordinates_are_422(customer, literal):
    raw = (
        '{"category": "router-wifi", "description": "Router broken again", '
        f'"lat": {literal}, "lng": 8.5}}'
    )
    resp = Client().post(
        "/api/jobs", raw, content_type="application/json", headers=customer.headers
    )
    _error(resp, 422, "invalid")


def test_latitude_without_longitude_is_422(customer):
    body = _error(customer.post("/api/jobs", {**VALID, "address": "", "lat": 47.37}), 422)
    assert "longitude" in body["detail"]


@pytest.mark.parametrize("description", ["", "   ", "Broken", "too short", " " * 20 + "short"])
def test_a_description_that_is_too_short_is_422(customer, description):
    body = _error(customer.post("/api/jobs", {**VALID, "description": description}), 422)
    assert body["code"] == "invalid"
    assert not JobRequest.objects.exists()


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [
        (_at(hours=5), _at(hours=2), "end after it starts"),
        (_at(hours=2), _at(hours=2), "end after it starts"),
        (_at(days=-3), _at(days=-2), "in the past"),
        (_at(hours=1), _at(days=20), "at most 14 days"),
        (_at(days=90), _at(days=91), "60 days ahead"),
        ("2030-01-01T10:00:00", "2030-01-01T12:00:00", "time zone"),
    ],
    # Stable ids (the times move with the clock; pytest-xdist workers must collect the same).
    ids=["end-before-start", "empty", "past", "too-long", "too-far-ahead", "naive"],
)
def test_a_bad_time_window_is_422_with_a_message(customer, start, end, says):
    resp = customer.post("/api/jobs", {**VALID, "window_start": start, "window_end": end})
    body = _error(resp, 422, "invalid")
    assert says in body["detail"]


@pytest.mark.parametrize("address", ["Atlantis 12", "Nowhere Street 5, 99999 Utopia", "!!!"])
def test_an_address_that_cannot_be_found_is_422_with_a_message(customer, address):
    body = _error(customer.post("/api/jobs", {**VALID, "address": address}), 422)
    assert body["code"] == "geocoding_failed"
    assert "could not find that address" in body["detail"]


def test_no_address_and_no_location_is_422(customer):
    body = _error(customer.post("/api/jobs", {**VALID, "address": ""}), 422, "invalid")
    assert "address" in body["detail"]


def test_an_address_outside_our_markets_is_422(customer):
    resp = customer.post("/api/jobs", {**VALID, "address": "", "lat": 48.8566, "lng": 2.3522})
    body = _error(resp, 422, "no_market")
    assert "does not operate" in body["detail"]


@pytest.mark.parametrize(
    "change",
    [
        {"description": "x" * 100_000},
        {"address": "Bahnhofstrasse " * 5_000},
        {"contact_phone": "1" * 10_000},
        {"category": "c" * 100_000},
    ],
    ids=["description", "address", "phone", "category"],
)
def test_huge_strings_are_refused_without_a_crash(customer, change):
    resp = customer.post("/api/jobs", {**VALID, **change})
    _error(resp, 404 if "category" in change else 422)
    assert not JobRequest.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/api/jobs/-1",
        "/api/jobs/0",
        "/api/jobs/99999999999999999999999999",
        "/api/jobs/-1/events",
        "/api/helpers/-5",
        "/api/helpers/0",
        "/api/helpers/99999999999999999999999999",
    ],
)
def test_negative_zero_and_enormous_ids_are_404(customer, path):
    _error(customer.get(path), 404, "not_found")


@pytest.mark.parametrize(
    "path", ["/api/jobs/-1/accept", "/api/jobs/99999999999999999999999999/cancel"]
)
def test_actions_on_impossible_ids_are_404(customer, path):
    _error(customer.post(path, {"reason": "test"}), 404, "not_found")


def test_revoking_an_impossible_token_id_is_404(customer):
    _error(customer.delete("/api/auth/tokens/-3"), 404, "not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/api/jobs/abc",
        "/api/jobs/1.5",
        "/api/jobs/1e3/events",
        "/api/helpers/me%00",
        "/api/jobs/%20",
    ],
)
def test_ids_that_are_not_integers_are_422(customer, path):
    _error(customer.get(path), 422, "invalid")


@pytest.mark.parametrize(
    "path", ["/api/nothing-here", "/api/jobs/1/explode", "/api/v2/jobs", "/api/helpers/me/x"]
)
def test_unknown_api_paths_answer_json_404(customer, path):
    _error(customer.get(path), 404, "not_found")
    _error(customer.post(path, {}), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("this is not json", "application/json"),
        ('{"category": "router-wifi",', "application/json"),
        ("category=router-wifi&description=hello", "application/x-www-form-urlencoded"),
        ("<xml/>", "text/xml"),
        ("\x00\xff\xfe", "application/json"),
    ],
    ids=["text", "truncated", "form", "xml", "binary"],
)
def test_a_body_that_is_not_json_is_400(customer, body, content_type):
    resp = Client().post("/api/jobs", body, content_type=content_type, headers=customer.headers)
    _error(resp, 400, "bad_request")


@pytest.mark.parametrize("body", ["[]", '"a string"', "42", "null", "true"])
def test_a_json_body_that_is_not_an_object_is_refused(customer, body):
    resp = Client().post(
        "/api/jobs", body, content_type="application/json", headers=customer.headers
    )
    assert resp.status_code in (400, 422), resp.content
    _error(resp, resp.status_code)


@pytest.mark.parametrize("query", ["status=bogus", "limit=abc", "offset=--1", "limit="])
def test_bad_list_parameters_are_422(customer, query):
    _error(customer.client.get(f"/api/jobs?{query}", headers=customer.headers), 422, "invalid")


@pytest.mark.parametrize(
    "query", ["limit=-5", "limit=0", "limit=99999999999999999999", "offset=-9"]
)
def test_out_of_range_paging_is_clamped(customer, query):
    assert customer.post("/api/jobs", VALID).status_code == 201
    resp = customer.client.get(f"/api/jobs?{query}", headers=customer.headers)
    assert resp.status_code == 200, resp.content
    assert len(resp.json()) == 1


def test_bad_helper_application_input_is_422(api_as, mallory, router_wifi):
    client = api_as(mallory)
    base = {
        "market": "ch",
        "lat": 47.37,
        "lng": 8.54,
        "accept_code_of_conduct": True,
        "confirm_role_change": True,  # mallory is a customer: one account, one role
    }
    cases = [
        {**base, "lat": 120},
        {**base, "service_radius_km": 0},
        {**base, "service_radius_km": 10_000},
        {**base, "skills": ["no-such-skill"]},
        {**base, "availability": [{"weekday": 9, "start_hour": 8, "end_hour": 12}]},
        {**base, "availability": [{"weekday": 1, "start_hour": 12, "end_hour": 8}]},
        {**base, "accept_code_of_conduct": False},
        {k: v for k, v in base.items() if k != "accept_code_of_conduct"},
        {**base, "bio": "b" * 10_000},
    ]
    for data in cases:
        _error(client.post("/api/helpers/apply", data), 422, "invalid")
    _error(client.post("/api/helpers/apply", {**base, "market": "xx"}), 404, "not_found")
    assert client.post("/api/helpers/apply", base).status_code == 201


def test_bad_profile_updates_are_422(api_as, bob):
    client = api_as(bob)
    for data in (
        {"lat": 47.0},
        {"lat": 95, "lng": 8},
        {"service_radius_km": 0},
        {"is_available": "perhaps"},
    ):
        _error(client.patch("/api/helpers/me", data), 422, "invalid")
    assert client.patch("/api/helpers/me", {"service_radius_km": 15}).status_code == 200
