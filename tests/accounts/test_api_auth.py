"""Sign-up, personal API tokens, browser sessions with CSRF, and anonymous access."""

import re

import pytest
from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.test import Client

from marketplace.accounts.models import ApiToken, User
from marketplace.accounts.services import api_token_create
from marketplace.api import api

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # the factories' password
STRONG = "Sturdy-Lantern-1987"


def _protected_operations() -> list:
    schema = api.get_openapi_schema()
    return [
        pytest.param(method, path, id=f"{method.upper()} {path}")
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if operation.get("security")
    ]


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _error(resp, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status, resp.content
    body = resp.json()
    assert body["detail"], body
    if code is not None:
        assert body["code"] == code, body
    return body


def _sign_up(client, **fields):
    data = {"email": "new@example.com", "password": STRONG, "full_name": "New Person"}
    return client.post("/api/auth/signup", {**data, **fields})


def _token(api_as, email: str, password: str):
    return api_as().post("/api/auth/tokens", {"email": email, "password": password})


# --- sign-up ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["customer", "helper"])
def test_sign_up_creates_customer_and_helper_accounts(api_as, reference, role):
    resp = _sign_up(api_as(), role=role, email=f"New.{role}@Example.com")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["email"] == f"new.{role}@example.com"
    assert body["role"] == role
    assert body["is_operator"] is False
    assert "password" not in body
    user = User.objects.get(email=f"new.{role}@example.com")
    assert user.check_password(STRONG)
    assert not user.is_staff


def test_sign_up_defaults_to_customer(api_as, reference):
    resp = api_as().post("/api/auth/signup", {"email": "plain@example.com", "password": STRONG})
    assert resp.status_code == 201
    assert resp.json()["role"] == "customer"


def test_sign_up_refuses_the_operator_role(api_as, reference):
    _error(_sign_up(api_as(), role="operator"), 403, "forbidden")
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize("role", ["admin", "superuser", "", None, 1])
def test_sign_up_refuses_unknown_roles(api_as, reference, role):
    _error(_sign_up(api_as(), role=role), 422, "invalid")
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize(
    "email", ["alice@example.com", "ALICE@Example.COM", "  alice@example.com "]
)
def test_sign_up_refuses_an_email_that_is_taken(api_as, alice, email):
    body = _error(_sign_up(api_as(), email=email), 422, "email_taken")
    assert "already exists" in body["detail"]
    assert User.objects.filter(email="alice@example.com").count() == 1


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("Ab1!", "too short"),
        ("password", "too common"),
        ("84736251904", "entirely numeric"),
        ("new@example.com", "too similar"),
    ],
)
def test_sign_up_refuses_a_weak_password_and_says_why(api_as, reference, password, says):
    body = _error(_sign_up(api_as(), password=password), 422, "invalid")
    assert says in body["detail"]
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize(
    "email", ["not-an-email", "a@", "@example.com", "two@@example.com", "", "x" * 250 + "@a.ch"]
)
def test_sign_up_refuses_a_bad_email(api_as, reference, email):
    _error(_sign_up(api_as(), email=email), 422, "invalid")
    assert User.objects.count() == 0


@pytest.mark.parametrize("missing", ["email", "password"])
def test_sign_up_requires_email_and_password(api_as, reference, missing):
    data = {"email": "new@example.com", "password": STRONG}
    del data[missing]
    body = _error(api_as().post("/api/auth/signup", data), 422, "invalid")
    assert missing in body["detail"]


def test_a_new_account_can_get_a_token_and_use_it(api_as, reference):
    assert _sign_up(api_as()).status_code == 201
    resp = _token(api_as, "new@example.com", STRONG)
    assert resp.status_code == 201
    raw = resp.json()["token"]
    me = Client().get("/api/auth/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.status_code == 200
    assert me.json()["email"] == "new@example.com"


# --- tokens -----------------------------------------------------------------------------------


def test_token_creation_returns_the_raw_token_once_and_stores_only_a_hash(api_as, alice):
    resp = _token(api_as, "alice@example.com", PASSWORD)
    assert resp.status_code == 201
    body = resp.json()
    assert body["token"].startswith("ff_")
    assert body["token"].startswith(body["prefix"])
    stored = ApiToken.objects.get(pk=body["id"])
    assert stored.user == alice
    assert body["token"] not in {stored.token_hash, stored.prefix}


def test_token_creation_ignores_the_case_of_the_email(api_as, alice):
    assert _token(api_as, "Alice@Example.com", PASSWORD).status_code == 201


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("alice@example.com", "wrong-password"),
        ("alice@example.com", PASSWORD.upper()),
        ("nobody@example.com", PASSWORD),
    ],
)
def test_token_creation_with_bad_credentials_is_401(api_as, alice, email, password):
    _error(_token(api_as, email, password), 401, "bad_credentials")
    assert not ApiToken.objects.exists()


def test_token_creation_for_a_deactivated_account_is_401(api_as, alice):
    User.objects.filter(pk=alice.pk).update(is_active=False)
    _error(_token(api_as, "alice@example.com", PASSWORD), 401, "bad_credentials")


def test_token_creation_needs_email_and_password(api_as, alice):
    _error(api_as().post("/api/auth/tokens", {"email": "alice@example.com"}), 422, "invalid")


def test_a_token_authenticates_as_its_owner(api_as, alice):
    resp = api_as(alice).get("/api/auth/me")
    assert resp.status_code == 200
    assert resp.json() == {
        "id": alice.pk,
        "email": "alice@example.com",
        "full_name": "Alice Customer",
        "role": "customer",
        "is_operator": False,
    }


def test_a_bearer_token_needs_no_csrf_token(alice, router_wifi):
    _token_row, raw = api_token_create(user=alice)
    client = Client(enforce_csrf_checks=True)
    resp = client.post(
        "/api/jobs",
        {"category": "router-wifi", "description": "Router lost its settings", "address": "Zürich"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert resp.status_code == 201, resp.content


@pytest.mark.parametrize("csrf_enforced", [False, True], ids=["test-client", "csrf-enforced"])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_a_revoked_token_is_401(alice, method, csrf_enforced):
    token, raw = api_token_create(user=alice)
    client = Client(enforce_csrf_checks=csrf_enforced)
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    assert client.delete(f"/api/auth/tokens/{token.pk}", headers=headers).status_code == 204
    path = {"get": "/api/auth/me", "post": "/api/jobs", "delete": f"/api/auth/tokens/{token.pk}"}
    resp = getattr(client, method)(
        path[method], data={}, content_type="application/json", headers=headers
    )
    _error(resp, 401, "unauthorized")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ",
        "Bearer ff_not-a-real-token",
        "Bearer not-even-the-prefix",
        "Token ff_whatever",
        "Basic YWxpY2U6cGFzc3dvcmQ=",
        "Bearer " + "ff_" + "x" * 10_000,
    ],
)
def test_a_malformed_or_unknown_token_is_401(alice, header):
    resp = Client().get("/api/auth/me", headers={"Authorization": header})
    _error(resp, 401, "unauthorized")


def test_a_deactivated_users_token_stops_working(api_as, alice):
    client = api_as(alice)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    _error(client.get("/api/auth/me"), 401, "unauthorized")


def test_token_list_shows_only_your_own_tokens_without_secrets(alice, bob):
    mine = {api_token_create(user=alice, name=name)[0].pk for name in ("phone", "tablet")}
    _theirs, bob_raw = api_token_create(user=bob, name="bob-phone")
    _token_row, raw = api_token_create(user=alice, name="cli")
    mine.add(_token_row.pk)
    resp = Client().get("/api/auth/tokens", headers={"Authorization": f"Bearer {raw}"})
    assert resp.status_code == 200
    listed = resp.json()
    assert {t["id"] for t in listed} == mine
    assert {t["name"] for t in listed} == {"phone", "tablet", "cli"}
    assert all(
        set(t) == {"id", "prefix", "name", "created_at", "last_used_at", "revoked"} for t in listed
    )
    text = resp.content.decode()
    assert raw not in text
    assert bob_raw[:10] not in text
    assert "bob-phone" not in text


def test_revoking_your_token_marks_it_revoked(alice):
    old, old_raw = api_token_create(user=alice, name="old")
    _current, raw = api_token_create(user=alice, name="current")
    headers = {"Authorization": f"Bearer {raw}"}
    assert Client().delete(f"/api/auth/tokens/{old.pk}", headers=headers).status_code == 204
    listed = {t["name"]: t for t in Client().get("/api/auth/tokens", headers=headers).json()}
    assert listed["old"]["revoked"] is True
    assert listed["current"]["revoked"] is False
    old_headers = {"Authorization": f"Bearer {old_raw}"}
    assert Client().get("/api/auth/me", headers=old_headers).status_code == 401
    # Revoking again changes nothing and is not an error.
    assert Client().delete(f"/api/auth/tokens/{old.pk}", headers=headers).status_code == 204


def test_revoking_another_users_token_is_404_and_leaves_it_working(api_as, alice, mallory):
    victim, victim_raw = api_token_create(user=alice)
    _error(api_as(mallory).delete(f"/api/auth/tokens/{victim.pk}"), 404, "not_found")
    victim.refresh_from_db()
    assert victim.revoked_at is None
    victim_headers = {"Authorization": f"Bearer {victim_raw}"}
    assert Client().get("/api/auth/me", headers=victim_headers).status_code == 200


@pytest.mark.parametrize("token_id", ["0", "-1", "999999", "99999999999999999999999"])
def test_revoking_a_token_that_does_not_exist_is_404(api_as, alice, token_id):
    _error(api_as(alice).delete(f"/api/auth/tokens/{token_id}"), 404, "not_found")


# --- browser sessions and CSRF ------------------------------------------------------------------


def _session(user, *, with_csrf_token: bool):
    """A logged-in browser: the session cookie, and (optionally) the CSRF cookie a page sets."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    headers = {}
    if with_csrf_token:
        request = HttpRequest()
        headers["X-CSRFToken"] = get_token(request)
        client.cookies[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
    return client, headers


JOB = {"category": "router-wifi", "description": "Wi-Fi drops every evening", "address": "Zürich"}


def test_a_logged_in_session_can_read(alice):
    client, _ = _session(alice, with_csrf_token=False)
    resp = client.get("/api/auth/me")
    assert resp.status_code == 200
    assert resp.json()["email"] == "alice@example.com"
    assert client.get("/api/jobs").status_code == 200


def test_a_session_post_without_the_csrf_token_is_refused(alice, router_wifi):
    client, _ = _session(alice, with_csrf_token=False)
    resp = client.post("/api/jobs", JOB, content_type="application/json")
    body = _error(resp, 403, "forbidden")
    assert "CSRF" in body["detail"]
    assert not alice.job_requests.exists()


def test_a_session_post_with_a_wrong_csrf_token_is_refused(alice, router_wifi):
    client, _ = _session(alice, with_csrf_token=True)
    resp = client.post(
        "/api/jobs", JOB, content_type="application/json", headers={"X-CSRFToken": "x" * 64}
    )
    _error(resp, 403, "forbidden")


def test_a_session_post_with_the_csrf_header_works(alice, router_wifi):
    client, headers = _session(alice, with_csrf_token=True)
    resp = client.post("/api/jobs", JOB, content_type="application/json", headers=headers)
    assert resp.status_code == 201, resp.content
    assert resp.json()["customer"]["id"] == alice.pk


def test_a_session_delete_needs_the_csrf_header_too(alice):
    token, _raw = api_token_create(user=alice)
    client, headers = _session(alice, with_csrf_token=True)
    _error(client.delete(f"/api/auth/tokens/{token.pk}"), 403, "forbidden")
    assert client.delete(f"/api/auth/tokens/{token.pk}", headers=headers).status_code == 204


def test_the_csrf_cookie_from_a_page_works_too(alice, router_wifi):
    client, _ = _session(alice, with_csrf_token=False)
    client.logout()
    assert client.get("/admin/login/").status_code == 200  # a page with a form sets the cookie
    client.force_login(alice)
    csrf = client.cookies[settings.CSRF_COOKIE_NAME].value
    resp = client.post(
        "/api/jobs", JOB, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert resp.status_code == 201, resp.content


# --- anonymous --------------------------------------------------------------------------------


@pytest.mark.parametrize("csrf_enforced", [False, True], ids=["test-client", "csrf-enforced"])
@pytest.mark.parametrize(("method", "path"), _protected_operations())
def test_anonymous_requests_to_protected_endpoints_are_401(reference, method, path, csrf_enforced):
    client = Client(enforce_csrf_checks=csrf_enforced)
    resp = getattr(client, method)(_fill(path), data={}, content_type="application/json")
    _error(resp, 401, "unauthorized")


def test_public_endpoints_need_no_login(reference):
    client = Client()
    for path in ("/api/categories", "/api/markets", "/api/quote?market=ch&category=router-wifi"):
        assert client.get(path).status_code == 200, path


def test_there_are_protected_endpoints_to_check():
    assert len(_protected_operations()) >= 25
