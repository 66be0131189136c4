"""Issue 21: the OpenAPI document says exactly what the server does.

- Every schema class has its own component name (two `ApplyIn` classes once documented
  POST /api/helpers/apply with the operator's fee-suggestion body).
- For the main input schemas, the limits in /api/openapi.json (minLength, maxLength, minimum,
  maximum) are where the server starts refusing: a value at the limit is accepted, one past it
  is 422. The limits are read from the document, not repeated here, so a change on either side
  fails this test.
- Numbers and booleans are JSON numbers and booleans ("52.2" is refused), bodies are objects
  (`[null, null]` is refused), and "an address or a location" is in the schema.
"""

import re
from collections import defaultdict
from enum import Enum
from typing import get_args

import pytest
from pydantic import BaseModel

from marketplace.api import api
from marketplace.core.schemas import ADDRESS_OR_LOCATION, BOTH_COORDINATES
from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.jobs import services as jobs
from marketplace.jobs.models import JobRequest, JobStatus
from tests.factories import posted_job

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"


@pytest.fixture(scope="module")
def document():
    return api.get_openapi_schema()


@pytest.fixture(autouse=True)
def no_rate_limits(settings):
    settings.RATE_LIMITS = {name: "0" for name in settings.RATE_LIMITS}


# --- One class per component name ------------------------------------------------------------


def _operations():
    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            yield from path_view.operations


def _classes_used() -> dict[str, set[type]]:
    """Every pydantic model and enum the operations use, by the name pydantic gives its
    component (the class name), found from each operation's parameter and response models.
    Those top-level models are django-ninja's own wrappers (BodyParams, NinjaResponseSchema,
    ...), named alike on purpose and never components: only their fields are followed."""
    found: dict[str, set[type]] = defaultdict(set)
    seen: set[type] = set()

    def walk(tp, *, wrapper=False):
        for arg in get_args(tp):
            walk(arg)
        if not isinstance(tp, type) or tp in seen:
            return
        seen.add(tp)
        if issubclass(tp, BaseModel):
            if not wrapper:
                found[tp.__name__].add(tp)
            for field in tp.model_fields.values():
                walk(field.annotation)
        elif issubclass(tp, Enum):
            found[tp.__name__].add(tp)

    for operation in _operations():
        for model in operation.models:
            walk(model, wrapper=True)
        for model in operation.response_models.values():
            walk(model, wrapper=True)
    return found


def test_no_two_schema_classes_share_a_component_name(document):
    shared = {
        name: sorted(f"{c.__module__}.{c.__qualname__}" for c in classes)
        for name, classes in _classes_used().items()
        if len(classes) > 1
    }
    assert shared == {}


def test_every_component_is_a_class_the_check_above_saw(document):
    """Keeps the check above honest: if a component came from somewhere the walk does not
    look (a new kind of parameter, a generic model), this fails instead of passing blindly."""
    names = set(_classes_used())
    components = {
        name.removesuffix("-Input").removesuffix("-Output")
        for name in document["components"]["schemas"]
    }
    assert components - names == set()
    assert len(components) > 50


def test_helper_applications_document_the_helper_body(document):
    body = document["paths"]["/api/helpers/apply"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"market", "lat", "lng", "accept_code_of_conduct"} <= set(schema["properties"])
    assert "suggested_fee" not in schema["properties"]
    body = document["paths"]["/api/operator/supply/fee-suggestions/apply"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(schema["required"]) == {"entry_id", "suggested_fee"}


# --- Limits: the document against the server ---------------------------------------------------


def _limits(document, component: str, field: str) -> dict:
    """minLength/maxLength/minimum/maximum of a field, also when it is nullable (anyOf)."""
    prop = document["components"]["schemas"][component]["properties"][field]
    keys = ("minLength", "maxLength", "minimum", "maximum")
    for variant in [prop, *prop.get("anyOf", [])]:
        found = {k: variant[k] for k in keys if k in variant}
        if found:
            return found
    return {}


def _ok(resp, *statuses):
    assert resp.status_code in (statuses or (200, 201)), resp.content[:300]
    return resp


def _refused(resp):
    assert resp.status_code == 422, resp.content[:300]
    assert resp.json()["code"] == "invalid"
    return resp


@pytest.fixture
def post_job(alice, router_wifi):
    def post(customer=alice, **extra):
        return posted_job(customer=customer, category=router_wifi, **extra)

    return post


def test_job_description_limits(document, api_as, alice, bob, router_wifi):
    limits = _limits(document, "JobIn", "description")
    low, high = limits["minLength"], limits["maxLength"]
    assert (low, high) == (10, 4000)
    api = api_as(alice)
    body = {"category": router_wifi.slug, "address": ADDRESS}
    _refused(api.post("/api/jobs", {**body, "description": "d" * (low - 1)}))
    _refused(api.post("/api/jobs", {**body, "description": "d" * (high + 1)}))
    # Surrounding whitespace is not counted, by the schema as by the service.
    _refused(api.post("/api/jobs", {**body, "description": " " * 5 + "d" * (low - 1) + " " * 5}))
    _ok(api.post("/api/jobs", {**body, "description": "d" * low}))
    _ok(api.post("/api/jobs", {**body, "description": "d" * high}))
    assert JobRequest.objects.count() == 2


def test_job_address_and_phone_limits(document, api_as, alice, bob, router_wifi):
    api = api_as(alice)
    body = {"category": router_wifi.slug, "description": "The router keeps dropping"}
    high = _limits(document, "JobIn", "address")["maxLength"]
    padded = ADDRESS + " " * (high - len(ADDRESS))
    _refused(api.post("/api/jobs", {**body, "address": padded + " "}))
    _ok(api.post("/api/jobs", {**body, "address": padded}))
    high = _limits(document, "JobIn", "contact_phone")["maxLength"]
    _refused(api.post("/api/jobs", {**body, "address": ADDRESS, "contact_phone": "1" * (high + 1)}))
    _ok(api.post("/api/jobs", {**body, "address": ADDRESS, "contact_phone": "1" * high}))


def test_job_coordinates_limits(document, api_as, alice, bob, router_wifi):
    api = api_as(alice)
    body = {"category": router_wifi.slug, "description": "The router keeps dropping"}
    for field, other in (("lat", ("lng", 8.54)), ("lng", ("lat", 47.37))):
        limits = _limits(document, "JobIn", field)
        for value in (limits["minimum"] - 0.001, limits["maximum"] + 0.001):
            _refused(api.post("/api/jobs", {**body, field: value, other[0]: other[1]}))
    _ok(api.post("/api/jobs", {**body, "lat": 47.37, "lng": 8.54}))


def test_an_address_or_a_location_is_in_the_schema_and_enforced(document, api_as, alice, bob):
    schema = document["components"]["schemas"]["JobIn"]
    assert ADDRESS_OR_LOCATION in schema["properties"]["address"]["description"]
    branches = schema["anyOf"]
    assert {"address"} in [set(b["required"]) for b in branches]
    assert {"lat", "lng"} in [set(b["required"]) for b in branches]
    api = api_as(alice)
    body = {"category": "router-wifi", "description": "The router keeps dropping"}
    for where, message in (
        ({}, ADDRESS_OR_LOCATION),
        ({"address": "   "}, ADDRESS_OR_LOCATION),
        ({"lat": None, "lng": None}, ADDRESS_OR_LOCATION),
        ({"lat": 47.37}, BOTH_COORDINATES),
        ({"address": ADDRESS, "lng": 8.54}, BOTH_COORDINATES),
    ):
        resp = _refused(api.post("/api/jobs", {**body, **where}))
        assert resp.json()["detail"] == message, where
    _ok(api.post("/api/jobs", {**body, "address": ADDRESS}))
    _ok(api.post("/api/jobs", {**body, "lat": 47.37, "lng": 8.54}))
    assert JobRequest.objects.count() == 2


def test_job_reason_limits(document, api_as, alice, bob, post_job):
    high = _limits(document, "JobReasonIn", "reason")["maxLength"]
    assert high == 500
    low = _limits(document, "JobReasonIn", "reason")["minLength"]
    api = api_as(alice)
    job = post_job()
    _refused(api.post(f"/api/jobs/{job.pk}/cancel", {"reason": "r" * (high + 1)}))
    _refused(api.post(f"/api/jobs/{job.pk}/cancel", {"reason": " " * low}))  # blank
    _ok(api.post(f"/api/jobs/{job.pk}/cancel", {"reason": "r" * high}))
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.cancel_reason == "r" * high
    # The helper's release takes the same body.
    taken = jobs.job_accept(job=post_job(), helper=bob)
    helper = api_as(bob)
    _refused(helper.post(f"/api/jobs/{taken.pk}/release", {"reason": "r" * (high + 1)}))
    _ok(helper.post(f"/api/jobs/{taken.pk}/release", {"reason": "r" * high}))


def test_helper_status_reason_limits(document, api_as, olga, dave):
    high = _limits(document, "HelperStatusReasonIn", "reason")["maxLength"]
    assert high == 300
    api = api_as(olga)
    profile = HelperProfile.objects.get(user=dave)
    path = f"/api/operator/helpers/{profile.pk}/reject"
    _refused(api.post(path, {"reason": "r" * (high + 1)}))
    _refused(api.post(path, {"reason": "   "}))
    _ok(api.post(path, {"reason": "r" * high}))
    profile.refresh_from_db()
    assert profile.status == HelperStatus.REJECTED and profile.status_reason == "r" * high


def test_completion_note_limits(document, api_as, bob, post_job):
    high = _limits(document, "NoteIn", "note")["maxLength"]
    job = jobs.job_check_in(job=jobs.job_accept(job=post_job(), helper=bob), helper=bob)
    api = api_as(bob)
    _refused(api.post(f"/api/jobs/{job.pk}/complete", {"note": "n" * (high + 1)}))
    _ok(api.post(f"/api/jobs/{job.pk}/complete", {"note": "n" * high}))


def test_review_limits(document, api_as, alice, bob, post_job):
    job = jobs.job_accept(job=post_job(), helper=bob)
    job = jobs.job_complete(job=jobs.job_check_in(job=job, helper=bob), helper=bob, note="")
    job = jobs.job_confirm(job=job, actor=alice)
    rating = _limits(document, "ReviewIn", "rating")
    nps = _limits(document, "ReviewIn", "nps")
    comment = _limits(document, "ReviewIn", "comment")["maxLength"]
    api = api_as(alice)
    path = f"/api/jobs/{job.pk}/reviews"
    for bad in (
        {"rating": rating["minimum"] - 1},
        {"rating": rating["maximum"] + 1},
        {"rating": 5, "nps": nps["minimum"] - 1},
        {"rating": 5, "nps": nps["maximum"] + 1},
        {"rating": 5, "comment": "c" * (comment + 1)},
        {"rating": 4.0},  # an integer field takes integers only
        {"rating": "5"},
    ):
        _refused(api.post(path, bad))
    _ok(
        api.post(
            path, {"rating": rating["maximum"], "nps": nps["maximum"], "comment": "c" * comment}
        )
    )
    _ok(api_as(bob).post(path, {"rating": rating["minimum"]}))


def test_helper_profile_limits(document, api_as, bob):
    api = api_as(bob)
    radius = _limits(document, "ProfileUpdateIn", "service_radius_km")
    for value in (radius["minimum"] - 1, radius["maximum"] + 1):
        _refused(api.patch("/api/helpers/me", {"service_radius_km": value}))
    for value in (radius["minimum"], radius["maximum"]):
        _ok(api.patch("/api/helpers/me", {"service_radius_km": value}))
    for field in ("bio", "city", "languages"):
        high = _limits(document, "ProfileUpdateIn", field)["maxLength"]
        _refused(api.patch("/api/helpers/me", {field: "x" * (high + 1)}))
        _ok(api.patch("/api/helpers/me", {field: "x" * high}))
    # The same limits on the application.
    for field in ("service_radius_km", "bio", "city", "languages", "lat", "lng"):
        assert _limits(document, "HelperApplyIn", field) == _limits(
            document, "ProfileUpdateIn", field
        ), field


def test_helper_application_limits(document, api_as, mallory):
    api = api_as(mallory)
    base = {"market": "ch", "lat": 47.37, "lng": 8.54, "accept_code_of_conduct": True}
    radius = _limits(document, "HelperApplyIn", "service_radius_km")
    slot = {k: _limits(document, "SlotIn", k) for k in ("weekday", "start_hour", "end_hour")}
    for bad in (
        {"service_radius_km": radius["minimum"] - 1},
        {"service_radius_km": radius["maximum"] + 1},
        {"lat": _limits(document, "HelperApplyIn", "lat")["maximum"] + 0.001},
        {
            "availability": [
                {"weekday": slot["weekday"]["maximum"] + 1, "start_hour": 8, "end_hour": 9}
            ]
        },
        {
            "availability": [
                {"weekday": 0, "start_hour": 8, "end_hour": slot["end_hour"]["maximum"] + 1}
            ]
        },
        {"bio": "b" * (_limits(document, "HelperApplyIn", "bio")["maxLength"] + 1)},
    ):
        resp = _refused(api.post("/api/helpers/apply", {**base, **bad}))
        assert resp.json()["code"] == "invalid", bad


def test_message_limits(document, api_as, alice, bob, post_job):
    high = _limits(document, "MessageIn", "body")["maxLength"]
    job = jobs.job_accept(job=post_job(), helper=bob)
    api = api_as(alice)
    path = f"/api/jobs/{job.pk}/messages"
    _refused(api.post(path, {"body": "m" * (high + 1)}))
    _refused(api.post(path, {"body": "   "}))
    _ok(api.post(path, {"body": "m" * high}))


def test_deactivation_reason_limits(document, api_as, olga, mallory):
    high = _limits(document, "DeactivateIn", "reason")["maxLength"]
    api = api_as(olga)
    path = f"/api/operator/users/{mallory.pk}/deactivate"
    _refused(api.post(path, {"reason": "r" * (high + 1)}))
    _refused(api.post(path, {"reason": " "}))
    _ok(api.post(path, {"reason": "r" * high}))


# --- Types: JSON numbers, booleans and objects ---------------------------------------------------


def test_numbers_in_strings_are_refused(api_as, alice, bob, router_wifi):
    body = {"category": router_wifi.slug, "description": "The router keeps dropping"}
    api = api_as(alice)
    _refused(api.post("/api/jobs", {**body, "lat": "52.2", "lng": "8.54"}))
    _refused(api.post("/api/jobs", {**body, "lat": True, "lng": 8.54}))
    _ok(api.post("/api/jobs", {**body, "lat": 47, "lng": 8.54}))  # an integer is a number
    helper = api_as(bob)
    _refused(helper.patch("/api/helpers/me", {"service_radius_km": "15"}))
    _refused(helper.patch("/api/helpers/me", {"service_radius_km": 15.0}))
    _refused(helper.patch("/api/helpers/me", {"is_available": "true"}))
    _refused(helper.patch("/api/helpers/me", {"is_available": 1}))
    _ok(helper.patch("/api/helpers/me", {"service_radius_km": 15, "is_available": False}))


def test_operator_numbers_in_strings_are_refused(api_as, olga, ch_router, ch):
    api = api_as(olga)
    entry = f"/api/operator/prices/{ch_router.pk}"
    _refused(api.patch(entry, {"reason": "r", "helper_fee": "6000"}))
    _refused(api.patch(entry, {"reason": "r", "pro_install_free": "false"}))
    _refused(api.patch(f"/api/operator/markets/{ch.pk}", {"reason": "r", "dispatch_k": "3"}))
    _refused(api.post("/api/operator/payments/1/refund", {"amount": "4000", "reason": "r"}))
    _ok(api.patch(entry, {"reason": "r", "helper_fee": 6000}))


def test_query_parameters_still_parse_from_strings(api_as, alice, olga, ch):
    assert api_as(alice).get("/api/jobs", limit="5", offset="0").status_code == 200
    resp = api_as(olga).get("/api/operator/supply/imbalances", market=ch.code, limit="5")
    assert resp.status_code == 200, resp.content[:300]


@pytest.mark.parametrize("body", [[None, None], [], "x", 5, None])
def test_a_body_that_is_not_an_object_is_422(api_as, bob, body):
    resp = api_as(bob).patch("/api/helpers/me", body)
    assert resp.status_code in (400, 422), resp.content[:300]
    assert resp.json()["code"] in ("bad_request", "invalid")


def test_every_json_body_refuses_a_list(document, api_as, olga):
    """Whatever the operation: `[null, null]` is never taken as an (empty) object."""
    client = api_as(olga)
    accepted, sent = [], 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            url = re.sub(r"\{\w+\}", "1", path)
            resp = getattr(client, method)(url, [None, None])
            sent += 1
            if resp.status_code < 400:
                accepted.append(f"{method.upper()} {path}")
    assert accepted == []
    assert sent > 20
