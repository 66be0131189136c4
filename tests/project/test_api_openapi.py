"""The OpenAPI document: served, and honest about every error an operation can answer."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

# Errors every operation of a kind can answer, whatever its handler does:
#   401 when it needs a login; 403 when it changes something (failed CSRF check on a session);
#   422 when it takes parameters or a body (wrong type, missing); 400 when a body cannot be parsed;
#   404 when the path names an object.
UNSAFE = {"post", "put", "patch", "delete"}
# Errors specific handlers raise, found by the other API tests.
RAISED = {
    ("post", "/api/auth/signup"): {403, 422},
    ("post", "/api/auth/tokens"): {401},
    ("get", "/api/jobs/{job_id}/events"): {403},
    ("get", "/api/jobs/{job_id}/cancellation"): {403},
    ("post", "/api/jobs"): {403, 404, 422},
    ("post", "/api/jobs/{job_id}/accept"): {403, 409},
    ("post", "/api/jobs/{job_id}/decline"): {409},
    ("post", "/api/jobs/{job_id}/check-in"): {403, 409},
    ("post", "/api/jobs/{job_id}/complete"): {403, 409},
    ("post", "/api/jobs/{job_id}/confirm"): {403, 409},
    ("post", "/api/jobs/{job_id}/cancel"): {403, 409},
    ("post", "/api/jobs/{job_id}/release"): {403, 409},
    ("post", "/api/jobs/{job_id}/reviews"): {403, 409},
    ("get", "/api/quote"): {404},
    ("get", "/api/operator/helpers"): {403},
    ("post", "/api/operator/helpers/{helper_id}/vet"): {403, 409},
    ("post", "/api/operator/helpers/{helper_id}/suspend"): {403, 409},
    ("post", "/api/operator/helpers/{helper_id}/reject"): {403, 409},
    ("post", "/api/helpers/apply"): {403, 404, 409},
    ("get", "/api/helpers/me"): {404},
    ("get", "/api/helpers/me/feed"): {404},
    ("get", "/api/helpers/me/offers"): {404},
}


@pytest.fixture
def schema(db):
    resp = Client().get("/api/openapi.json")
    assert resp.status_code == 200
    return resp.json()


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield method, path, operation


def _expected_errors(method: str, path: str, operation: dict) -> set[int]:
    expected = set(RAISED.get((method, path), ()))
    if operation.get("security"):
        expected.add(401)
        if method in UNSAFE:
            expected.add(403)
    if operation.get("parameters") or operation.get("requestBody"):
        expected.add(422)
    if operation.get("requestBody"):
        expected.add(400)
    if re.search(r"\{\w+_id\}", path):
        expected.add(404)
    return expected


def test_the_openapi_document_is_served(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Fieldfriends API"
    assert {"TokenAuth", "SessionAuth"} <= set(schema["components"]["securitySchemes"])
    assert len(list(_operations(schema))) >= 30


def test_every_operation_documents_the_errors_it_can_answer(schema):
    missing = {}
    for method, path, operation in _operations(schema):
        documented = {int(code) for code in operation["responses"] if int(code) >= 400}
        gap = _expected_errors(method, path, operation) - documented
        if gap:
            missing[f"{method.upper()} {path}"] = sorted(gap)
    assert missing == {}


def test_every_documented_error_is_detail_and_code(schema):
    error_schema = schema["components"]["schemas"]["ErrorOut"]
    assert set(error_schema["required"]) == {"detail", "code"}
    for method, path, operation in _operations(schema):
        for code, response in operation["responses"].items():
            if int(code) >= 400:
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorOut"), (method, path, code)


def test_every_operation_has_a_success_response(schema):
    for method, path, operation in _operations(schema):
        assert any(200 <= int(code) < 300 for code in operation["responses"]), (method, path)


def test_the_known_error_table_names_real_operations(schema):
    real = {(method, path) for method, path, _ in _operations(schema)}
    assert set(RAISED) <= real


def test_the_catch_all_is_not_in_the_document(schema):
    assert not any("{path}" in path for path in schema["paths"])


def test_the_interactive_docs_are_served(db):
    resp = Client().get("/api/docs")
    assert resp.status_code == 200
    assert b"openapi.json" in resp.content


def test_the_docs_page_loads_everything_from_this_site_without_inline_script(db):
    """Swagger UI from our static files (ninja in INSTALLED_APPS), not a CDN: the site's CSP
    (script-src 'self', no inline) must not have to bend for it. tests/browser/test_api_docs.py
    checks the same in Chromium."""
    resp = Client().get("/api/docs")
    html = resp.content.decode()
    csp = resp["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "connect-src 'self'" in csp  # "Try it out" calls the API on this origin
    urls = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert urls and all(url.startswith("/static/") for url in urls), urls
    assert "/static/ninja/swagger-ui-bundle.js" in urls
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        # An external script, or a JSON data block (never executed, so no CSP applies).
        assert 'src="' in attrs or ('type="application/json"' in attrs), (
            f"inline script: {attrs} {body[:80]}"
        )
    # Session calls from "Try it out" carry the CSRF token (ninja's swagger-ui-init.js).
    assert re.search(r'data-csrf-token="\w+"', html)
    assert 'data-api-csrf="true"' in html


def test_the_docs_static_files_are_found(db):
    from django.contrib.staticfiles import finders

    for name in ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui-init.js", "ninja/swagger-ui.css"):
        assert finders.find(name), name


def test_the_document_has_a_title_version_and_explains_authentication(schema):
    info = schema["info"]
    assert info["title"] == "Fieldfriends API"
    assert re.fullmatch(r"\d+\.\d+\.\d+", info["version"])
    for needle in ("Bearer", "POST /api/auth/tokens", "X-CSRFToken", "session"):
        assert needle in info["description"], needle


def test_both_security_schemes_are_described(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["TokenAuth"]["type"] == "http"
    assert schemes["TokenAuth"]["scheme"] == "bearer"
    assert "POST /api/auth/tokens" in schemes["TokenAuth"]["description"]
    assert schemes["SessionAuth"]["type"] == "apiKey"
    assert schemes["SessionAuth"]["in"] == "cookie"
    assert "X-CSRFToken" in schemes["SessionAuth"]["description"]


def test_every_operation_has_a_tag_and_every_tag_is_described(schema):
    described = {tag["name"]: tag.get("description", "") for tag in schema["tags"]}
    assert all(text.strip() for text in described.values()), described
    used = set()
    for method, path, operation in _operations(schema):
        assert operation.get("tags"), f"{method.upper()} {path} has no tag"
        used.update(operation["tags"])
    assert used - set(described) == set(), "tags used but not described"
    assert set(described) - used == set(), "tags described but used by no operation"


def test_tags_are_named_after_the_apps(schema):
    """One tag per app, so that generated clients get one API class per app."""
    tags = {tag for _, _, operation in _operations(schema) for tag in operation["tags"]}
    assert tags == {
        "accounts",
        "security",
        "pricing",
        "helpers",
        "jobs",
        "payments",
        "messaging",
        "photos",
        "notifications",
        "privacy",
        "supply",
        "economics",
        "tasks",
    }
    by_path = {(method, path): operation["tags"] for method, path, operation in _operations(schema)}
    assert by_path[("post", "/api/auth/tokens")] == ["accounts"]
    assert by_path[("post", "/api/jobs")] == ["jobs"]
    assert by_path[("get", "/api/operator/tasks")] == ["tasks"]
    assert by_path[("get", "/api/operator/helpers")] == ["helpers"]
