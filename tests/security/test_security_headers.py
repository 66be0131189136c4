"""Production hardening (issue 7): HTTPS, cookies, browser security headers and a
Content-Security-Policy on pages and API responses, and settings that refuse to start in
production without a proper secret. Production values are applied with override_settings (the
suite itself runs with the development defaults); the environment-driven parts run
`marketplace.settings` in a subprocess."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = dict(
    DEBUG=False,
    SECURE_SSL_REDIRECT=True,
    SECURE_HSTS_SECONDS=31_536_000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_HSTS_PRELOAD=True,
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
)


@pytest.fixture
def production(db):
    with override_settings(**PRODUCTION):
        yield Client()  # created inside, so its middleware reads the production settings


def assert_security_headers(resp):
    assert resp.status_code == 200, resp.status_code
    assert resp["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert resp["Referrer-Policy"] == "same-origin"
    assert resp["X-Frame-Options"] == "DENY"
    assert resp["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = dict(
        (part.split()[0], part.split()[1:]) for part in resp["Content-Security-Policy"].split("; ")
    )
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in csp[directive]
        assert "'unsafe-eval'" not in csp[directive]
    # Card mode is off in the suite: no third-party script at all.
    assert not any("stripe" in source for sources in csp.values() for source in sources)


def test_a_page_has_the_security_headers(production):
    assert_security_headers(production.get("/", secure=True))


def test_an_api_response_has_the_security_headers(production):
    resp = production.get("/api/categories", secure=True)
    assert resp["Content-Type"].startswith("application/json")
    assert_security_headers(resp)


def test_an_api_error_has_the_security_headers_too(production):
    resp = production.get("/api/jobs", secure=True)
    assert resp.status_code == 401
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in resp["Content-Security-Policy"]


def test_plain_http_is_redirected_to_https(production):
    resp = production.get("/api/categories")
    assert resp.status_code == 301
    assert resp["Location"] == "https://testserver/api/categories"


@override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"), **PRODUCTION)
def test_behind_a_proxy_the_forwarded_scheme_counts(db):
    resp = Client().get("/", headers={"X-Forwarded-Proto": "https"})
    assert resp.status_code == 200


def test_cookies_are_secure_httponly_and_samesite(production, alice):
    resp = production.get("/login/", secure=True)
    csrf = resp.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    resp = production.post(
        "/login/",
        {"username": alice.email, "password": "correct-horse-battery"},
        secure=True,
    )
    assert resp.status_code == 302, resp.content
    session = resp.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def test_templates_have_no_inline_scripts_or_event_handlers():
    """The policy forbids inline script: every <script> has a src (or is inert JSON data) and no
    element has an on…= handler attribute."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and "application/json" not in tag:
                offenders.append(f"{path.relative_to(ROOT)}: {tag}")
        for handler in re.findall(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", text):
            offenders.append(f"{path.relative_to(ROOT)}: {handler}")
    assert offenders == []


# --- Settings loaded from the environment, in a fresh interpreter -------------------------------


def _settings(env: dict, expr: str = "'ok'") -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "DJANGO_SECRET_KEY",
            "FIELDFRIENDS_TESTING",
            "PAYMENTS_PROVIDER",
        }
    }
    code = f"import marketplace.settings as s; print(({expr},))"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"DEBUG": "0"},
        {"DJANGO_SECRET_KEY": ""},
        {"DJANGO_SECRET_KEY": "short"},
        {"DJANGO_SECRET_KEY": "django-insecure-" + secrets.token_urlsafe(50)},
        {"SECRET_KEY": "dev-insecure-key-change-me"},
        {"SECRET_KEY": "a" * 60},
    ],
    ids=["unset", "debug-0", "empty", "short", "django-insecure", "dev-default", "one-letter"],
)
def test_production_refuses_to_start_without_a_proper_secret(env):
    result = _settings(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_starts_with_a_random_secret_and_is_hardened():
    expr = (
        "s.SECRET_KEY == __import__('os').environ['DJANGO_SECRET_KEY'], s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "hasattr(s, 'SECURE_PROXY_SSL_HEADER')"
    )
    result = _settings({"DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}, expr)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(True, True, 31536000, True, True, False)"
    result = _settings(
        {
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "SECURE_HSTS_SECONDS": "3600",
            "BEHIND_TLS_PROXY": "1",
        },
        "s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER",
    )
    assert result.stdout.strip() == "(3600, ('HTTP_X_FORWARDED_PROTO', 'https'))", result.stderr


def test_development_needs_no_secret_and_no_https():
    result = _settings({"DEBUG": "1"}, "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(False, 0)"


def test_stripe_is_allowed_by_the_policy_only_in_card_mode():
    stripe = {
        "DEBUG": "1",
        "PAYMENTS_PROVIDER": "stripe",
        "STRIPE_SECRET_KEY": "sk_test_x",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_x",
        "STRIPE_WEBHOOK_SECRET": "whsec_x",
    }
    expr = "s.SECURE_CSP['script-src'], s.SECURE_CSP['frame-src'], s.SECURE_CSP['connect-src']"
    card = _settings(stripe, expr)
    assert card.returncode == 0, card.stderr
    assert "https://js.stripe.com" in card.stdout
    assert "https://api.stripe.com" in card.stdout
    invoice = _settings({"DEBUG": "1"}, expr)
    assert invoice.returncode == 0, invoice.stderr
    assert "stripe" not in invoice.stdout


def test_check_deploy_passes_with_production_settings(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "FIELDFRIENDS_TESTING", "PAYMENTS_PROVIDER"}
    }
    env.update(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="fieldfriends.example",
        DATABASE_URL=f"sqlite:///{tmp_path}/deploy.sqlite3",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
