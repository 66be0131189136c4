"""Permission matrix for every page and every API operation (issue 7, DESIGN §8).

Every URL pattern of the site (marketplace.urls minus the admin, the API and i18n, which have
their own rules) and every operation of the OpenAPI document has a row in a declared table: what
each of six roles gets — anonymous, the customer who owns the objects, another customer, the
helper assigned to them, another helper, an operator. A new page or operation without a row fails
`test_every_page_has_a_row` / `test_every_operation_has_a_row`, so no endpoint is forgotten.

The world: alice's job accepted by bob (paid by bill-to-account, with a photo, a notification
and a message), a second job of alice's offered to bob; carol, mallory and dave have nothing to do
with them. URL parameters name those objects.

Outcomes: LOGIN (302 to the login page), 401, 403, 404, and OK — the request got past every
access check (2xx/3xx, or a business answer such as 409/422/400 for an empty form; never 5xx).
Refusals (LOGIN/401/403/404) are exact. Beyond the table: properties a helper or customer must
never set through the API, and addresses/phones that never leak to another customer.
"""

import json
import re
import uuid
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from marketplace.accounts.services import api_token_create
from marketplace.api import api
from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.jobs import services as job_services
from marketplace.jobs.models import JobOffer, JobRequest, JobStatus
from marketplace.notifications.models import Notification
from marketplace.photos.services import photo_add
from marketplace.pricing.models import PriceBookEntry
from tests.factories import ZURICH
from tests.photos.test_photos import image_bytes

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "customer", "other_customer", "helper", "other_helper", "operator")
ADDRESS = "Limmatquai 88, 8001 Zürich"
PHONE = "+41 79 424 42 42"
PASSWORD = "correct-horse-battery"

LOGIN, OK = "login", "ok"
UNAUTH, FORBIDDEN, HIDDEN = 401, 403, 404

# --- Rows, by who may pass -----------------------------------------------------------------------
#                anonymous  customer   other_cust  helper     other_helper operator
PUBLIC = (OK, OK, OK, OK, OK, OK)
ANY_USER = (LOGIN, OK, OK, OK, OK, OK)
CUSTOMER = (LOGIN, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN)
CUSTOMER_JOB = (LOGIN, OK, HIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)
HELPER = (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, FORBIDDEN)
HELPER_JOB = (LOGIN, FORBIDDEN, FORBIDDEN, OK, HIDDEN, FORBIDDEN)
OPERATOR = (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK)
OWN_NOTIFICATION = (LOGIN, OK, HIDDEN, HIDDEN, HIDDEN, HIDDEN)

API_PUBLIC = (OK, OK, OK, OK, OK, OK)
API_ANY_USER = (UNAUTH, OK, OK, OK, OK, OK)
API_CUSTOMER = (UNAUTH, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN)
API_HELPER = (UNAUTH, FORBIDDEN, FORBIDDEN, OK, OK, FORBIDDEN)
API_OPERATOR = (UNAUTH, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK)
API_PARTIES = (UNAUTH, OK, HIDDEN, OK, HIDDEN, OK)  # the job's customer, helper and operators


# --- The world -----------------------------------------------------------------------------------


@pytest.fixture
def world(settings, tmp_path, ch, router_wifi, alice, mallory, bob, carol, dave, olga):
    settings.PHOTO_ROOT = tmp_path / "photos"
    settings.MEDIA_ROOT = tmp_path / "media"
    ch.dispatch_k = 1  # only the nearest helper (bob) is offered alice's jobs
    ch.save()
    alice.phone = PHONE
    alice.save(update_fields=["phone"])

    def post(description):
        return job_services.job_post(
            customer=alice,
            category=router_wifi,
            description=description,
            address=ADDRESS,
            lat=ZURICH[0],
            lng=ZURICH[1],
            contact_phone=PHONE,
        )

    offered = post("The TV box shows no picture")
    offer = JobOffer.objects.get(job=offered, helper=bob)
    job = post("The router keeps dropping the Wi-Fi")
    job = job_services.job_accept(job=job, helper=bob)
    photo = photo_add(
        job=job,
        user=alice,
        kind="request",
        upload=SimpleUploadedFile("p.jpg", image_bytes(), content_type="image/jpeg"),
    )
    notification = Notification.objects.create(user=alice, kind="job_accepted", title="Accepted")
    token, _raw = api_token_create(user=alice, name="alice-phone")
    users = {
        "anonymous": None,
        "customer": alice,
        "other_customer": mallory,
        "helper": bob,
        "other_helper": carol,
        "operator": olga,
    }
    params = {
        "job_id": job.pk,
        "offer_id": offer.pk,
        "photo_id": photo.pk,
        "profile_id": bob.helper_profile.pk,
        "helper_id": bob.helper_profile.pk,
        "notification_id": notification.pk,
        "entry_id": PriceBookEntry.objects.filter(market=ch).first().pk,
        "market_id": ch.pk,
        "token_id": token.pk,
        "user_id": mallory.pk,
        "result_id": str(uuid.uuid4()),
        "call_id": 999_999,  # no such payment call: operators pass the check and hear 404
    }
    return SimpleNamespace(users=users, params=params, job=job, offered=offered, dave=dave)


def _web_client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _api_client(user) -> Client:
    if user is None:
        return Client()
    _token, raw = api_token_create(user=user)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def _outcome_web(resp) -> object:
    assert resp.status_code < 500, resp.content[:500]
    if resp.status_code == 302 and resp["Location"].startswith(reverse("login") + "?next="):
        return LOGIN
    if resp.status_code in (401, 403, 404):
        return resp.status_code
    return OK


def _outcome_api(resp) -> object:
    assert resp.status_code < 500, resp.content[:500]
    if resp.status_code in (401, 403, 404):
        body = resp.json()
        assert body["detail"] and body["code"], body
        return resp.status_code
    return OK


# --- Web pages -----------------------------------------------------------------------------------

# URL name: (method, row). POST-only views are requested with POST (an empty form), others GET.
# fmt: off
WEB = {
    "home":                      ("GET", PUBLIC),
    "quote":                     ("GET", PUBLIC),
    "signup":                    ("GET", PUBLIC),
    "login":                     ("GET", PUBLIC),
    "logout":                    ("POST", PUBLIC),
    "account":                   ("GET", ANY_USER),
    "account_security":          ("GET", ANY_USER),
    "logout_all":                ("POST", ANY_USER),
    "job_photo":                 ("GET", (LOGIN, OK, HIDDEN, OK, HIDDEN, OK)),
    # Customers see vetted helpers; a helper only their own card (selectors.helper_public_visible).
    "helper_public":             ("GET", (LOGIN, OK, OK, OK, HIDDEN, OK)),
    "customer:request":          ("GET", CUSTOMER),
    "customer:jobs":             ("GET", CUSTOMER),
    "customer:job":              ("GET", CUSTOMER_JOB),
    "customer:job_status":       ("GET", CUSTOMER_JOB),
    "customer:confirm":          ("POST", CUSTOMER_JOB),
    "customer:cancel":           ("GET", CUSTOMER_JOB),
    "customer:review":           ("POST", CUSTOMER_JOB),
    "customer:messages":         ("POST", CUSTOMER_JOB),
    "customer:photos":           ("POST", CUSTOMER_JOB),
    "customer:dispute":          ("POST", CUSTOMER_JOB),
    "customer:book_professional": ("POST", CUSTOMER_JOB),
    "customer:pay":              ("POST", CUSTOMER_JOB),
    # One account, one role: a customer may apply (and must confirm the role change).
    "helper:apply":              ("GET", (LOGIN, OK, OK, OK, OK, FORBIDDEN)),
    "helper:profile":            ("GET", HELPER),
    "helper:pause":              ("POST", HELPER),
    "helper:offers":             ("GET", HELPER),
    "helper:decline":            ("POST", HELPER_JOB),
    "helper:nearby":             ("GET", HELPER),
    "helper:jobs":               ("GET", HELPER),
    "helper:job":                ("GET", HELPER_JOB),
    "helper:job_status":         ("GET", HELPER_JOB),
    # The other helper could see the job in the feed: "someone was faster", not a 404 (issue 21).
    "helper:accept":             ("POST", (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, FORBIDDEN)),
    "helper:on_the_way":         ("POST", HELPER_JOB),
    "helper:check_in":           ("POST", HELPER_JOB),
    "helper:complete":           ("POST", HELPER_JOB),
    "helper:release":            ("POST", HELPER_JOB),
    "helper:review":             ("POST", HELPER_JOB),
    "helper:messages":           ("POST", HELPER_JOB),
    "helper:photos":             ("POST", HELPER_JOB),
    "helper:payouts":            ("GET", HELPER),
    "helper:earnings":           ("GET", HELPER),
    "operator:vetting":          ("GET", OPERATOR),
    "operator:helpers":          ("GET", OPERATOR),
    "operator:vet":              ("POST", OPERATOR),
    "operator:reject":           ("POST", OPERATOR),
    "operator:suspend":          ("POST", OPERATOR),
    "operator:jobs":             ("GET", OPERATOR),
    "operator:job":              ("GET", OPERATOR),
    "operator:cancel":           ("POST", OPERATOR),
    "operator:refund":           ("POST", OPERATOR),
    "operator:messages":         ("POST", OPERATOR),
    "operator:resolve_dispute":  ("POST", OPERATOR),
    "operator:invoices":         ("GET", OPERATOR),
    "operator:prices":           ("GET", OPERATOR),
    "operator:price_edit":       ("GET", OPERATOR),
    "operator:market_edit":      ("GET", OPERATOR),
    "operator:price_history":    ("GET", OPERATOR),
    "operator:supply":           ("GET", OPERATOR),
    "operator:supply_apply":     ("POST", OPERATOR),
    "operator:supply_refresh":   ("POST", OPERATOR),
    "operator:economics":        ("GET", OPERATOR),
    "operator:economics_whatif": ("GET", OPERATOR),
    "operator:economics_csv":    ("GET", OPERATOR),
    "operator:economics_report": ("GET", OPERATOR),
    "operator:tasks":            ("GET", OPERATOR),
    "operator:task_retry":       ("POST", OPERATOR),
    "operator:payment_call_retry": ("POST", OPERATOR),
    "operator:market_open":      ("GET", OPERATOR),
    "notifications:list":        ("GET", ANY_USER),
    "notifications:open":        ("POST", OWN_NOTIFICATION),
    "notifications:read_all":    ("POST", ANY_USER),
    "notifications:preferences": ("GET", ANY_USER),
    "privacy":                   ("GET", ANY_USER),
    "privacy_export":            ("GET", ANY_USER),
    "privacy_erase":             ("POST", ANY_USER),
    "stripe_webhook":            ("POST", PUBLIC),
}
# fmt: on
# Outside the site's own pages: the admin, the API (the table below) and Django's i18n views.
WEB_EXCLUDED_PREFIXES = ("admin/", "api/", "i18n/")


def _web_patterns(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver("marketplace.urls")
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(WEB_EXCLUDED_PREFIXES) or route.startswith("^"):
            continue
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _web_patterns(pattern, route, ns)
        elif isinstance(pattern, URLPattern):
            yield namespace + (pattern.name or f"<unnamed {route}>"), route


def _web_url(name: str, route: str, params: dict) -> str:
    names = re.findall(r"<(?:\w+:)?(\w+)>", route)
    return reverse(name, kwargs={n: params[n] for n in names})


def test_every_page_has_a_row():
    found = dict(_web_patterns())
    assert set(found) - set(WEB) == set(), "new pages: add them to WEB with who may open them"
    assert set(WEB) - set(found) == set(), "rows for pages that no longer exist"


# Refusals first, then the roles that may act (an action by one may close the job for the next;
# OK covers the 409 that follows).
RUN_ORDER = ("anonymous", "other_customer", "other_helper", "operator", "helper", "customer")


def _compare(outcomes: dict, row: tuple) -> None:
    expected = dict(zip(ROLES, row, strict=True))
    wrong = {r: (outcomes[r], expected[r]) for r in ROLES if outcomes[r] != expected[r]}
    assert wrong == {}, "role: (got, declared)"


@pytest.mark.parametrize("name", WEB)
def test_page_answers_each_role_as_declared(world, name):
    method, row = WEB[name]
    route = dict(_web_patterns())[name]
    url = _web_url(name, route, world.params)
    outcomes = {}
    for role in RUN_ORDER:
        client = _web_client(world.users[role])
        resp = client.get(url) if method == "GET" else client.post(url, {})
        outcomes[role] = _outcome_web(resp)
    _compare(outcomes, row)


# --- API operations ------------------------------------------------------------------------------

# "METHOD /path": row, with the body sent when the operation takes one (None: generated from the
# schema's required fields). Operations that serve someone's object: see the world above.
# Refused as "no helper profile" (404) rather than 403 for non-helpers: safe, it reveals nothing.
API_OWN_HELPER_PROFILE = (UNAUTH, HIDDEN, HIDDEN, OK, OK, HIDDEN)
API_HELPER_403 = (UNAUTH, FORBIDDEN, FORBIDDEN, OK, OK, FORBIDDEN)
API_JOB_CUSTOMER = (UNAUTH, OK, HIDDEN, FORBIDDEN, HIDDEN, FORBIDDEN)
API_JOB_HELPER = (UNAUTH, FORBIDDEN, HIDDEN, OK, HIDDEN, FORBIDDEN)
# The other helper could see the job in the feed: "someone was faster" (409), not 404 (issue 21).
API_JOB_ACCEPT = (UNAUTH, FORBIDDEN, HIDDEN, OK, OK, FORBIDDEN)
API_JOB_CUSTOMER_OR_OPERATOR = (UNAUTH, OK, HIDDEN, FORBIDDEN, HIDDEN, OK)
API_JOB_CHAT = (UNAUTH, OK, HIDDEN, OK, HIDDEN, FORBIDDEN)
API_OWN_OBJECT = (UNAUTH, OK, HIDDEN, HIDDEN, HIDDEN, HIDDEN)
JOB_BODY = {
    "category": "router-wifi",
    "description": "The router keeps dropping",
    "address": ADDRESS,
}
APPLY_BODY = {"market": "ch", "lat": ZURICH[0], "lng": ZURICH[1], "accept_code_of_conduct": True}
# Required query parameters, by name.
QUERY = {
    "market": "ch",
    "category": "router-wifi",
    "period": "2026-11",
    "start": "2026-01-01",
    "end": "2026-12-31",
}

# fmt: off
API = {
    "POST /api/auth/signup":                   (API_PUBLIC, None),
    "POST /api/auth/tokens":                   (API_PUBLIC, {"email": "alice@example.com",
                                                             "password": PASSWORD}),
    "GET /api/auth/tokens":                    (API_ANY_USER, None),
    "DELETE /api/auth/tokens/{token_id}":      (API_OWN_OBJECT, None),
    "GET /api/auth/me":                        (API_ANY_USER, None),
    "POST /api/auth/logout-all":               (API_ANY_USER, None),
    "GET /api/me/export":                      (API_ANY_USER, None),
    "POST /api/me/erase":                      ((UNAUTH, OK, OK, OK, OK, FORBIDDEN), None),
    "GET /api/categories":                     (API_PUBLIC, None),
    "GET /api/markets":                        (API_PUBLIC, None),
    "GET /api/quote":                          (API_PUBLIC, None),
    "POST /api/helpers/apply":                 ((UNAUTH, OK, OK, OK, OK, FORBIDDEN), APPLY_BODY),
    "GET /api/helpers/me":                     (API_OWN_HELPER_PROFILE, None),
    "PATCH /api/helpers/me":                   (API_OWN_HELPER_PROFILE, None),
    "PUT /api/helpers/me/skills":              (API_OWN_HELPER_PROFILE, None),
    "PUT /api/helpers/me/availability":        (API_OWN_HELPER_PROFILE, None),
    "GET /api/helpers/me/offers":              (API_OWN_HELPER_PROFILE, None),
    "GET /api/helpers/me/feed":                (API_OWN_HELPER_PROFILE, None),
    "GET /api/helpers/me/earnings":            (API_HELPER_403, None),
    "POST /api/helpers/me/payout-account":     (API_HELPER_403, None),
    "GET /api/helpers/{helper_id}":            (API_ANY_USER, None),
    "GET /api/helpers/{helper_id}/public":     ((UNAUTH, OK, OK, OK, HIDDEN, OK), None),
    "POST /api/jobs":                          (API_CUSTOMER, JOB_BODY),
    "GET /api/jobs":                           (API_ANY_USER, None),
    "GET /api/jobs/{job_id}":                  (API_PARTIES, None),
    "GET /api/jobs/{job_id}/events":           (API_PARTIES, None),
    "GET /api/jobs/{job_id}/payment":          (API_PARTIES, None),
    "GET /api/jobs/{job_id}/messages":         (API_PARTIES, None),
    "GET /api/jobs/{job_id}/photos":           (API_PARTIES, None),
    "GET /api/jobs/{job_id}/photos/{photo_id}": (API_PARTIES, None),
    "GET /api/jobs/{job_id}/cancellation":     ((UNAUTH, OK, HIDDEN, FORBIDDEN, HIDDEN, OK), None),
    "POST /api/jobs/{job_id}/book-professional": (API_JOB_CUSTOMER, None),
    "POST /api/jobs/{job_id}/confirm":         (API_JOB_CUSTOMER, None),
    "POST /api/jobs/{job_id}/dispute":         (API_JOB_CUSTOMER, None),
    "POST /api/jobs/{job_id}/pay":             (API_JOB_CUSTOMER, None),
    "POST /api/jobs/{job_id}/photos":          (API_JOB_CUSTOMER, None),
    "POST /api/jobs/{job_id}/cancel":          (API_JOB_CUSTOMER_OR_OPERATOR, None),
    "POST /api/jobs/{job_id}/accept":          (API_JOB_ACCEPT, None),
    "POST /api/jobs/{job_id}/on-the-way":      (API_JOB_HELPER, None),
    "POST /api/jobs/{job_id}/check-in":        (API_JOB_HELPER, None),
    "POST /api/jobs/{job_id}/complete":        (API_JOB_HELPER, None),
    "POST /api/jobs/{job_id}/release":         (API_JOB_HELPER, None),
    "POST /api/jobs/{job_id}/decline":         ((UNAUTH, HIDDEN, HIDDEN, OK, HIDDEN, HIDDEN), None),
    "POST /api/jobs/{job_id}/messages":        (API_JOB_CHAT, None),
    # Operators may not review; the closed-job case is in tests/project/test_permissions.py.
    "POST /api/jobs/{job_id}/reviews":         ((UNAUTH, OK, HIDDEN, OK, HIDDEN, OK), None),
    "GET /api/notifications":                  (API_ANY_USER, None),
    "POST /api/notifications/read-all":        (API_ANY_USER, None),
    "POST /api/notifications/{notification_id}/read": (API_OWN_OBJECT, None),
    "GET /api/notifications/preferences":      (API_ANY_USER, None),
    "PUT /api/notifications/preferences":      (API_ANY_USER, None),
    "GET /api/operator/helpers":               (API_OPERATOR, None),
    "POST /api/operator/helpers/{helper_id}/vet":     (API_OPERATOR, None),
    "POST /api/operator/helpers/{helper_id}/reject":  (API_OPERATOR, None),
    "POST /api/operator/helpers/{helper_id}/suspend": (API_OPERATOR, None),
    "POST /api/operator/users/{user_id}/deactivate":  (API_OPERATOR, None),
    "GET /api/operator/markets":               (API_OPERATOR, None),
    "PATCH /api/operator/markets/{market_id}": (API_OPERATOR, None),
    "GET /api/operator/prices":                (API_OPERATOR, None),
    "PATCH /api/operator/prices/{entry_id}":   (API_OPERATOR, None),
    "GET /api/operator/price-changes":         (API_OPERATOR, None),
    "POST /api/operator/payments/{job_id}/refund": (API_OPERATOR, None),
    "GET /api/operator/payments/{job_id}/ledger":  (API_OPERATOR, None),
    "GET /api/operator/ledger":                (API_OPERATOR, None),
    "GET /api/operator/invoices":              (API_OPERATOR, None),
    "POST /api/operator/jobs/{job_id}/resolve-dispute": (API_OPERATOR, None),
    "GET /api/operator/supply":                (API_OPERATOR, None),
    "GET /api/operator/supply/imbalances":     (API_OPERATOR, None),
    "GET /api/operator/supply/fee-suggestions": (API_OPERATOR, None),
    "POST /api/operator/supply/fee-suggestions/apply": (
        API_OPERATOR, lambda p: {"entry_id": p["entry_id"], "suggested_fee": 5000}),
    "GET /api/operator/economics/metrics":     (API_OPERATOR, None),
    "GET /api/operator/economics/weekly":      (API_OPERATOR, None),
    "GET /api/operator/economics/monthly":     (API_OPERATOR, None),
    "GET /api/operator/economics/areas":       (API_OPERATOR, None),
    "GET /api/operator/economics/choice":      (API_OPERATOR, None),
    "POST /api/operator/economics/whatif":     (API_OPERATOR, None),
    "GET /api/operator/tasks":                 (API_OPERATOR, None),
    # A random task id: operators pass the check and hear 404.
    "POST /api/operator/tasks/{result_id}/retry": ((UNAUTH, *(FORBIDDEN,) * 4, HIDDEN), None),
    "GET /api/operator/payment-calls":         (API_OPERATOR, None),
    "POST /api/operator/payment-calls/{call_id}/retry": ((UNAUTH, *(FORBIDDEN,) * 4, HIDDEN), None),
}
# fmt: on
SCHEMA = api.get_openapi_schema()


def _api_operations():
    for path, operations in SCHEMA["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = SCHEMA["components"]["schemas"][name]
    return schema


def _example(schema: dict):
    """A small valid value for a JSON schema: required fields only."""
    schema = _resolve(schema)
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if _resolve(o).get("type") != "null"]
            return _example(options[0])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: _example(props[name]) for name in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if schema.get("format") == "date-time":
        return "2030-01-01T10:00:00+00:00"
    if schema.get("format") == "date":
        return "2030-01-01"
    return "x" * max(1, schema.get("minLength", 0), 8)


def _api_request(client: Client, key: str, operation: dict, params: dict, body):
    method, path = key.split(" ", 1)
    url = path.format(**params)
    query = {
        p["name"]: QUERY[p["name"]]
        for p in operation.get("parameters", ())
        if p["in"] == "query" and p.get("required")
    }
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    content = operation.get("requestBody", {}).get("content", {})
    if callable(body):
        body = body(params)
    if "multipart/form-data" in content:
        upload = SimpleUploadedFile("p.jpg", image_bytes(), content_type="image/jpeg")
        return client.post(url, {"kind": "request", "image": upload, **(body or {})})
    if method == "GET":
        return client.get(url)
    if "application/json" in content:
        if body is None:
            body = _example(content["application/json"]["schema"])
        return client.generic(method, url, json.dumps(body), content_type="application/json")
    return client.generic(method, url, "", content_type="application/json")


def test_every_operation_has_a_row():
    found = {key for key, _op in _api_operations()}
    assert found - set(API) == set(), "new operations: add them to API with who may call them"
    assert set(API) - found == set(), "rows for operations that no longer exist"


OPERATIONS = dict(_api_operations())


@pytest.mark.parametrize("key", sorted(OPERATIONS))
def test_operation_answers_each_role_as_declared(world, key):
    row, body = API[key]
    outcomes = {}
    for role in RUN_ORDER:
        client = _api_client(world.users[role])
        resp = _api_request(client, key, OPERATIONS[key], world.params, body)
        outcomes[role] = _outcome_api(resp)
    _compare(outcomes, row)


# --- Properties nobody sets through the API ------------------------------------------------------

PROTECTED_HELPER_FIELDS = {
    "status": "vetted",
    "status_reason": "self-approved",
    "rating": 5.0,
    "rating_sum": 500,
    "rating_count": 100,
    "completed_jobs": 1000,
    "id_checked": True,
    "id_checked_at": "2020-01-01T00:00:00Z",
    "vetted_at": "2020-01-01T00:00:00Z",
    "market": "pl",
    "active_jobs": 0,
    "max_active_jobs": 50,
    "user": 1,
    "email": "evil@example.com",
}


def _helper_state(profile: HelperProfile) -> tuple:
    profile.refresh_from_db()
    return (
        profile.status,
        profile.status_reason,
        profile.rating,
        profile.rating_count,
        profile.completed_jobs,
        profile.id_checked_at,
        profile.vetted_at,
        profile.market_id,
        profile.max_active_jobs,
        profile.user.email,
    )


@pytest.mark.parametrize(
    "path", ["/api/helpers/me", "/api/helpers/me/skills", "/api/helpers/me/availability"]
)
@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_helper_cannot_set_vetting_rating_or_market_on_their_profile(world, method, path):
    dave = world.dave  # waiting for vetting: the status he would most like to change
    before = _helper_state(dave.helper_profile)
    client = _api_client(dave)
    body = {**PROTECTED_HELPER_FIELDS, "bio": "I fix routers", "skills": [], "slots": []}
    resp = client.generic(method.upper(), path, json.dumps(body), content_type="application/json")
    assert resp.status_code in (200, 405, 422), resp.content
    assert _helper_state(dave.helper_profile) == before
    assert dave.helper_profile.status == HelperStatus.APPLIED


def test_only_operators_and_a_helpers_own_profile_are_writable():
    writable = {key for key in OPERATIONS if key.split(" ")[0] in ("PUT", "PATCH")}
    assert writable == {
        "PATCH /api/helpers/me",
        "PUT /api/helpers/me/skills",
        "PUT /api/helpers/me/availability",
        "PUT /api/notifications/preferences",
        "PATCH /api/operator/markets/{market_id}",
        "PATCH /api/operator/prices/{entry_id}",
    }, "no operation edits a job: price, fee and status change only through actions"


def test_posting_a_job_ignores_price_fee_status_and_helper(world, alice, bob):
    body = {
        **JOB_BODY,
        "price": 1,
        "helper_fee": 1,
        "platform_fee": 0,
        "professional_price": 1,
        "status": "completed",
        "assigned_helper": bob.pk,
        "assigned_helper_id": bob.pk,
        "customer_id": bob.pk,
        "rating": 5,
    }
    resp = _api_client(alice).post("/api/jobs", body, content_type="application/json")
    assert resp.status_code in (201, 422), resp.content
    if resp.status_code == 201:
        job = JobRequest.objects.get(pk=resp.json()["id"])
        assert job.customer_id == alice.pk and job.assigned_helper_id is None
        assert job.status in (JobStatus.OPEN, JobStatus.OFFERED)
        assert job.price > 1 and job.price == world.job.price


@pytest.mark.parametrize(
    ("role", "action", "extra"),
    [
        ("helper", "complete", {"note": "Done"}),
        ("customer", "cancel", {"reason": "Changed my mind"}),
        ("helper", "release", {"reason": "Ill today"}),
    ],
)
def test_job_actions_ignore_price_fee_and_status_in_the_body(world, role, action, extra):
    job = world.job
    before = (job.price, job.helper_payout if hasattr(job, "helper_payout") else None)
    body = {**extra, "price": 1, "cancellation_fee": 0, "status": "confirmed", "rating": 1}
    resp = _api_client(world.users[role]).post(
        f"/api/jobs/{job.pk}/{action}", body, content_type="application/json"
    )
    assert resp.status_code in (200, 409, 422), resp.content
    job.refresh_from_db()
    assert (job.price, job.helper_payout if hasattr(job, "helper_payout") else None) == before
    assert job.status != JobStatus.CONFIRMED


# --- No other customer's address or phone, anywhere in the API -----------------------------------


@pytest.mark.parametrize("role", ["other_customer", "other_helper"])
def test_no_api_answer_shows_someone_elses_address_or_phone(world, role):
    """Every GET operation, with the world's ids: alice's address and phone never reach mallory
    (another customer) or carol (a helper not on the job)."""
    client = _api_client(world.users[role])
    secrets = (ADDRESS, "Limmatquai", PHONE, PHONE.replace(" ", ""), "alice@example.com")
    checked = 0
    for key, operation in OPERATIONS.items():
        if not key.startswith("GET "):
            continue
        resp = _api_request(client, key, operation, world.params, None)
        assert resp.status_code < 500, (key, resp.status_code)
        text = resp.content.decode(errors="replace")
        for secret in secrets:
            assert secret not in text, (key, secret)
        checked += 1
    assert checked >= 30


def test_the_assigned_helper_does_see_the_address(world):
    """The check above would pass vacuously if the address were never shown: it is, to bob."""
    resp = _api_client(world.users["helper"]).get(f"/api/jobs/{world.job.pk}")
    assert ADDRESS in resp.content.decode() or "Limmatquai" in resp.content.decode()
