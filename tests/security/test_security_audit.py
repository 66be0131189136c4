"""The security audit log (issue 7): one structured record on `marketplace.security` per refused
request, failed login and rate-limit hit — and never a secret or personal detail in it."""

import json
import logging

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.accounts.services import api_token_create, api_token_revoke
from marketplace.security.audit import hash_email

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"
REQUEST_FIELDS = {"event", "user_id", "role", "method", "path", "view", "ip"}


@pytest.fixture
def audit_log(caplog):
    caplog.set_level(logging.INFO, logger="marketplace.security")

    def records(event=None):
        found = [r for r in caplog.records if r.name == "marketplace.security"]
        return [r.security for r in found if event is None or r.security["event"] == event]

    records.caplog = caplog
    return records


def _everything_logged(caplog) -> str:
    """Every record as any handler could see it: message, arguments and extra fields."""
    parts = []
    for r in caplog.records:
        parts.append(r.getMessage())
        parts.append(repr(r.args))
        parts.append(repr(r.__dict__))
    return "\n".join(parts)


def test_each_record_is_json_and_a_dict(audit_log, alice):
    Client().post(reverse("login"), {"username": alice.email, "password": "wrong"})
    [record] = [r for r in audit_log.caplog.records if r.name == "marketplace.security"]
    assert json.loads(record.getMessage()) == record.security
    assert record.levelno == logging.WARNING


def test_a_failed_web_login_is_logged_with_a_hashed_email(audit_log, alice):
    Client().post(reverse("login"), {"username": alice.email, "password": "wrong-password-1"})
    [record] = audit_log("login_failed")
    assert set(record) >= REQUEST_FIELDS
    assert record["email_hash"] == hash_email(alice.email) == hash_email(" ALICE@example.com ")
    assert record["reason"] == "bad_credentials"
    assert record["user_id"] is None and record["role"] == "anonymous"
    assert record["method"] == "POST" and record["path"] == reverse("login")
    assert record["view"] == "login" and record["ip"] == "127.0.0.1"
    text = _everything_logged(audit_log.caplog)
    assert alice.email not in text and "wrong-password-1" not in text


def test_a_successful_login_is_not_a_failure(audit_log, alice):
    Client().post(reverse("login"), {"username": alice.email, "password": PASSWORD})
    assert audit_log("login_failed") == []


def test_no_secret_reaches_the_log(audit_log, api_as, alice):
    """A failed token exchange and calls with a revoked bearer token: logged, but never the
    password, the token, the e-mail address, the cookie or the customer's address."""
    token, raw = api_token_create(user=alice)
    api_token_revoke(token=token)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    client.cookies["sessionid"] = "cookie-value-that-must-not-be-logged"
    secret_password = "s3cret-Pa55word-never-logged"
    resp = client.post(
        "/api/auth/tokens",
        {"email": alice.email, "password": secret_password},
        content_type="application/json",
    )
    assert resp.status_code == 401
    assert client.get("/api/auth/me").status_code == 401
    resp = client.post(
        "/api/jobs",
        {"category": "router-wifi", "description": "Help", "address": ADDRESS},
        content_type="application/json",
    )
    assert resp.status_code == 401
    # A web login attempt with the same password, too.
    Client().post(reverse("login"), {"username": alice.email, "password": secret_password})

    assert len(audit_log("login_failed")) == 2
    denied = audit_log("authz_denied")
    assert [(r["status"], r["path"]) for r in denied] == [
        (401, "/api/auth/tokens"),
        (401, "/api/auth/me"),
        (401, "/api/jobs"),
    ]
    text = _everything_logged(audit_log.caplog)
    for secret in (raw, raw[len("ff_") :], secret_password, alice.email, ADDRESS, "cookie-value"):
        assert secret not in text, secret


def test_api_401_and_403_are_logged(audit_log, api_as, bob):
    assert api_as().get("/api/jobs").status_code == 401
    resp = api_as(bob).post(
        "/api/jobs", {"category": "router-wifi", "description": "x" * 20, "address": ADDRESS}
    )
    assert resp.status_code == 403
    anonymous, wrong_role = audit_log("authz_denied")
    assert anonymous["status"] == 401 and anonymous["role"] == "anonymous"
    assert anonymous["reason"] == "unauthorized" and anonymous["method"] == "GET"
    assert wrong_role["status"] == 403 and wrong_role["role"] == "helper"
    assert wrong_role["user_id"] == bob.pk and wrong_role["path"] == "/api/jobs"
    assert wrong_role["reason"] == "forbidden" and wrong_role["view"].startswith("api")


def test_a_failed_csrf_check_on_the_api_is_logged(audit_log, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/api/auth/logout-all").status_code == 403
    [record] = audit_log("authz_denied")
    assert record["status"] == 403 and record["user_id"] == alice.pk


def test_web_wrong_role_403_is_logged(audit_log, client, bob):
    client.force_login(bob)
    assert client.get(reverse("customer:jobs")).status_code == 403
    [record] = audit_log("authz_denied")
    assert record == {
        "event": "authz_denied",
        "user_id": bob.pk,
        "role": "helper",
        "method": "GET",
        "path": reverse("customer:jobs"),
        "view": "customer:jobs",
        "ip": "127.0.0.1",
        "reason": "wrong_role",
        "status": 403,
    }


def test_web_someone_elses_job_404_is_logged(audit_log, api_as, client, alice, mallory):
    resp = api_as(alice).post(
        "/api/jobs", {"category": "router-wifi", "description": "Router down", "address": ADDRESS}
    )
    job_id = resp.json()["id"]
    client.force_login(mallory)
    assert client.get(reverse("customer:job", args=[job_id])).status_code == 404
    [record] = audit_log("authz_denied")
    assert record["status"] == 404 and record["reason"] == "job_not_visible"
    assert record["user_id"] == mallory.pk and record["job_id"] == job_id
    assert record["path"] == reverse("customer:job", args=[job_id])
    assert record["view"] == "customer:job"


def test_anonymous_web_visitors_sent_to_login_are_not_noise(audit_log, client):
    assert client.get(reverse("customer:jobs")).status_code == 302
    assert audit_log("authz_denied") == []


def test_rate_limit_hits_are_logged(audit_log, settings, alice):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_email": "1/15m"}
    client = Client()
    client.post(reverse("login"), {"username": alice.email, "password": "x"})
    assert (
        client.post(reverse("login"), {"username": alice.email, "password": "x"}).status_code == 429
    )
    [record] = audit_log("rate_limited")
    assert record["limit"] == "login_email" and record["count"] == 2
    assert record["retry_after"] >= 1 and record["path"] == reverse("login")
    assert alice.email not in _everything_logged(audit_log.caplog)


def test_deactivating_an_account_is_logged(audit_log, api_as, alice, olga):
    api_as(olga).post(f"/api/operator/users/{alice.pk}/deactivate", {"reason": "Fraud"})
    [record] = audit_log("user_deactivated")
    assert record["user_id"] == olga.pk and record["target_user_id"] == alice.pk
