"""Abuse limits (issue 7): fixed-window counters in the database, 429 + Retry-After on the web
and the API, windows that reset, limits that can be turned off, the client IP behind proxies."""

import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from marketplace.periodic import PERIODIC_TASKS
from marketplace.security import ratelimit
from marketplace.security.models import RateLimitCounter
from marketplace.security.ratelimit import (
    Limit,
    RateLimited,
    client_ip,
    hit,
    parse_limit,
    purge_expired,
)
from marketplace.security.tasks import purge_rate_limits

PASSWORD = "correct-horse-battery"
ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"
LOOSE = {
    "login_ip": "1000/15m",
    "login_email": "1000/15m",
    "signup_ip": "1000/1h",
    "token_create": "1000/1h",
    "job_post": "1000/1h",
    "job_accept": "1000/1h",
}


@pytest.fixture
def limits(settings):
    """Set some limits (the others stay loose): limits(login_email="3/15m")."""

    def set_limits(**specs):
        settings.RATE_LIMITS = {**LOOSE, **specs}

    set_limits()
    return set_limits


# --- Parsing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("10/15m", (10, 900)),
        ("50/15m", (50, 900)),
        ("20/1h", (20, 3600)),
        ("20/h", (20, 3600)),
        ("5/30s", (5, 30)),
        ("100/1d", (100, 86400)),
        (" 7 / 2h ", (7, 7200)),
    ],
)
def test_limits_are_count_per_window(spec, expected):
    limit = parse_limit("x", spec)
    assert (limit.count, limit.seconds) == expected


@pytest.mark.parametrize("spec", ["0", "", "0/1h", "  "])
def test_zero_or_empty_turns_a_limit_off(spec):
    assert parse_limit("x", spec) is None


@pytest.mark.parametrize("spec", ["ten", "10", "10/15", "10/0m", "-1/1h", "10/1w"])
def test_a_malformed_limit_is_a_configuration_error(spec):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        parse_limit("x", spec)


def test_the_defaults_are_sane():
    from django.conf import settings

    defaults = {name: parse_limit(name, spec) for name, spec in settings.RATE_LIMITS.items()}
    assert set(defaults) == set(LOOSE)
    assert all(limit is not None for limit in defaults.values())
    assert defaults["login_email"].count <= defaults["login_ip"].count


# --- Counting ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_counter_is_exact_and_refuses_past_the_limit(limits):
    limits(job_post="3/1h")
    now = datetime(2026, 5, 4, 10, 20, 30, tzinfo=UTC)
    assert [hit("job_post", "u1", now=now) for _ in range(3)] == [1, 2, 3]
    with pytest.raises(RateLimited) as err:
        hit("job_post", "u1", now=now)
    # The window is 10:00–11:00: 39 min 30 s left.
    assert err.value.retry_after == 39 * 60 + 30
    assert err.value.status_code == 429 and err.value.code == "rate_limited"
    assert "Try again in 40 minutes" in err.value.message
    row = RateLimitCounter.objects.get()
    assert row.count == 4 and row.key == "job_post:u1"
    assert row.window_start == datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    assert row.expires_at == datetime(2026, 5, 4, 11, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_subjects_and_limits_count_separately(limits):
    limits(job_post="1/1h", job_accept="1/1h")
    now = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    assert hit("job_post", "u1", now=now) == 1
    assert hit("job_post", "u2", now=now) == 1
    assert hit("job_accept", "u1", now=now) == 1
    with pytest.raises(RateLimited):
        hit("job_post", "u1", now=now)


@pytest.mark.django_db
def test_the_window_resets(limits):
    limits(job_post="2/15m")
    start = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    hit("job_post", "u1", now=start)
    hit("job_post", "u1", now=start + timedelta(minutes=14, seconds=59))
    with pytest.raises(RateLimited) as err:
        hit("job_post", "u1", now=start + timedelta(minutes=14, seconds=59))
    assert err.value.retry_after == 1
    assert hit("job_post", "u1", now=start + timedelta(minutes=15)) == 1
    assert RateLimitCounter.objects.count() == 2


@pytest.mark.django_db
def test_a_disabled_limit_counts_nothing(limits):
    limits(job_post="0")
    for _ in range(50):
        assert hit("job_post", "u1") is None
    assert not RateLimitCounter.objects.exists()


@pytest.mark.django_db
def test_old_windows_are_purged_by_a_periodic_task(limits):
    limits(job_post="5/1h")
    current = timezone.now()
    old = current - timedelta(hours=2)
    hit("job_post", "u1", now=old)
    hit("job_post", "u1", now=current)
    assert purge_expired(now=current) == 1
    assert list(RateLimitCounter.objects.values_list("count", flat=True)) == [1]
    assert purge_rate_limits in PERIODIC_TASKS
    assert purge_rate_limits.call() == 0  # the current window is still open


@pytest.mark.django_db
def test_a_very_long_subject_gets_a_hashed_key(limits):
    limits(login_email="5/15m")
    hit("login_email", "x" * 500)
    assert len(RateLimitCounter.objects.get().key) <= 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_the_counter_is_exact_under_concurrency(limits):
    """12 threads, own connections, 25 hits each on one key: every count from 1 to 300 is
    handed out exactly once, and the row says 300."""
    limits(job_post="1000/1h")
    now = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    threads_n, per_thread = 12, 25
    barrier = threading.Barrier(threads_n)
    seen: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait(timeout=30)
            mine = [hit("job_post", "shared", now=now) for _ in range(per_thread)]
            with lock:
                seen.extend(mine)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sorted(seen) == list(range(1, threads_n * per_thread + 1))
    assert RateLimitCounter.objects.get(key="job_post:shared").count == threads_n * per_thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_concurrent_requests_past_the_limit_are_all_refused(limits):
    """20 simultaneous attempts against a limit of 5: exactly 5 pass."""
    limits(login_email="5/15m")
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait(timeout=30)
            try:
                hit("login_email", "victim")
                result = "ok"
            except RateLimited:
                result = "limited"
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes.count("ok") == 5 and outcomes.count("limited") == 15


# --- The client IP -------------------------------------------------------------------------------


def _request(remote="203.0.113.9", xff=None):
    meta = {"REMOTE_ADDR": remote}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return SimpleNamespace(META=meta)


def test_without_trusted_proxies_the_client_is_remote_addr(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(_request("203.0.113.9", xff="1.2.3.4")) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_first_untrusted_hop_from_the_right_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.7"]
    # The client forged "6.6.6.6"; our proxies (192.0.2.7, then 10.0.0.5) appended the rest.
    req = _request("10.0.0.5", xff="6.6.6.6, 198.51.100.23, 192.0.2.7")
    assert client_ip(req) == "198.51.100.23"
    assert client_ip(_request("10.0.0.5", xff="198.51.100.23")) == "198.51.100.23"
    assert client_ip(_request("10.0.0.5", xff="[2001:db8::1]:443")) == "2001:db8::1"


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(_request("203.0.113.9", xff="198.51.100.23")) == "203.0.113.9"


def test_a_trusted_proxy_without_the_header_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(_request("10.0.0.5")) == "10.0.0.5"
    assert client_ip(_request("10.0.0.5", xff="garbage")) == "10.0.0.5"


def test_a_bad_trusted_proxy_setting_fails_loudly(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.TRUSTED_PROXIES = ["not-an-ip"]
    with pytest.raises(ImproperlyConfigured):
        client_ip(_request("10.0.0.5", xff="1.2.3.4"))


@pytest.mark.django_db
def test_ip_limits_count_the_forwarded_client_behind_a_proxy(settings, limits):
    limits(signup_ip="1/1h")
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    client = Client(REMOTE_ADDR="10.0.0.5")
    url = reverse("signup")
    first = client.post(url, {}, headers={"x-forwarded-for": "198.51.100.1"})
    other = client.post(url, {}, headers={"x-forwarded-for": "198.51.100.2"})
    again = client.post(url, {}, headers={"x-forwarded-for": "198.51.100.1"})
    assert (first.status_code, other.status_code, again.status_code) == (200, 200, 429)


# --- The web -------------------------------------------------------------------------------------


def _assert_web_429(resp):
    assert resp.status_code == 429
    assert 1 <= int(resp["Retry-After"]) <= 3600
    html = resp.content.decode()
    assert "Too many attempts" in html and "Try again in" in html


@pytest.mark.django_db
def test_web_login_attempts_per_email_get_429_with_retry_after(limits, alice):
    limits(login_email="3/15m")
    client = Client()
    for _ in range(3):
        resp = client.post(reverse("login"), {"username": alice.email, "password": "wrong"})
        assert resp.status_code == 200
    resp = client.post(reverse("login"), {"username": alice.email, "password": PASSWORD})
    _assert_web_429(resp)
    assert "_auth_user_id" not in client.session  # the right password does not get through
    # Another account from the same place is not affected; the page itself still opens.
    other = client.post(reverse("login"), {"username": "mallory@example.com", "password": "x"})
    assert other.status_code == 200
    assert client.get(reverse("login")).status_code == 200


@pytest.mark.django_db
def test_web_login_attempts_per_ip(limits, alice):
    limits(login_ip="2/15m")
    client = Client()
    for email in ("a@example.com", "b@example.com"):
        assert (
            client.post(reverse("login"), {"username": email, "password": "x"}).status_code == 200
        )
    _assert_web_429(client.post(reverse("login"), {"username": alice.email, "password": "x"}))
    # A different address is a different client.
    elsewhere = Client(REMOTE_ADDR="198.51.100.77")
    resp = elsewhere.post(reverse("login"), {"username": alice.email, "password": PASSWORD})
    assert resp.status_code == 302


@pytest.mark.django_db
def test_web_signup_per_ip(limits):
    limits(signup_ip="2/1h")
    client = Client()
    for _ in range(2):
        assert client.post(reverse("signup"), {"email": "bad"}).status_code == 200
    _assert_web_429(client.post(reverse("signup"), {"email": "bad"}))


@pytest.mark.django_db
def test_web_job_posting_per_customer_counts_bookings_not_previews(limits, client, alice):
    limits(job_post="2/1h")
    client.force_login(alice)
    url = reverse("customer:request")
    for _ in range(5):  # previews (no choice made yet) are free
        assert client.post(url, {"description": "x"}).status_code == 200
    for _ in range(2):
        assert client.post(url, {"description": "x", "choice": "helper"}).status_code == 200
    _assert_web_429(client.post(url, {"description": "x", "choice": "helper"}))


@pytest.mark.django_db
def test_web_acceptance_attempts_per_helper(limits, client, bob):
    limits(job_accept="2/1h")
    client.force_login(bob)
    for _ in range(2):
        resp = client.post(reverse("helper:accept", args=[999_999]))
        assert resp.status_code == 404
    _assert_web_429(client.post(reverse("helper:accept", args=[999_999])))


# --- The API -------------------------------------------------------------------------------------


def _assert_api_429(resp):
    assert resp.status_code == 429, resp.content
    assert resp.json()["code"] == "rate_limited"
    assert "Too many attempts" in resp.json()["detail"]
    assert int(resp["Retry-After"]) >= 1


@pytest.mark.django_db
def test_api_token_creation_counts_as_a_login_attempt(limits, api_as, alice):
    limits(login_email="2/15m")
    api = api_as()
    body = {"email": alice.email, "password": "wrong"}
    assert [api.post("/api/auth/tokens", body).status_code for _ in range(2)] == [401, 401]
    _assert_api_429(api.post("/api/auth/tokens", {**body, "password": PASSWORD}))
    # The e-mail is normalised before counting: case does not get around it.
    _assert_api_429(api.post("/api/auth/tokens", {**body, "email": alice.email.upper()}))


@pytest.mark.django_db
def test_api_token_creation_per_account(limits, api_as, alice):
    limits(token_create="2/1h")
    api = api_as()
    body = {"email": alice.email, "password": PASSWORD}
    assert [api.post("/api/auth/tokens", body).status_code for _ in range(2)] == [201, 201]
    _assert_api_429(api.post("/api/auth/tokens", body))


@pytest.mark.django_db
def test_api_signup_per_ip(limits, api_as):
    limits(signup_ip="1/1h")
    api = api_as()
    assert api.post("/api/auth/signup", {"email": "x", "password": "y"}).status_code == 422
    _assert_api_429(api.post("/api/auth/signup", {"email": "x", "password": "y"}))


@pytest.mark.django_db
def test_api_job_posting_per_customer(limits, api_as, alice, mallory, bob):
    limits(job_post="2/1h")
    body = {"category": "router-wifi", "description": "My router drops Wi-Fi", "address": ADDRESS}
    api = api_as(alice)
    assert [api.post("/api/jobs", body).status_code for _ in range(2)] == [201, 201]
    _assert_api_429(api.post("/api/jobs", body))
    assert api_as(mallory).post("/api/jobs", body).status_code == 201
    # Role checks come first: a helper is refused, not counted against anyone.
    assert api_as(bob).post("/api/jobs", body).status_code == 403


@pytest.mark.django_db
def test_api_acceptance_attempts_per_helper(limits, api_as, bob, carol):
    limits(job_accept="3/1h")
    api = api_as(bob)
    assert [api.post("/api/jobs/999999/accept").status_code for _ in range(3)] == [404] * 3
    _assert_api_429(api.post("/api/jobs/999999/accept"))
    assert api_as(carol).post("/api/jobs/999999/accept").status_code == 404


@pytest.mark.django_db
def test_anonymous_api_calls_are_refused_before_they_are_counted(limits, api_as):
    limits(job_accept="1/1h")
    for _ in range(3):
        assert api_as().post("/api/jobs/1/accept").status_code == 401
    assert not RateLimitCounter.objects.exists()


@pytest.mark.django_db
def test_the_openapi_document_lists_429_where_limits_apply():
    schema = Client().get("/api/openapi.json").json()
    limited = {
        ("post", "/api/auth/signup"),
        ("post", "/api/auth/tokens"),
        ("post", "/api/jobs"),
        ("post", "/api/jobs/{job_id}/accept"),
    }
    for method, path in limited:
        response = schema["paths"][path][method]["responses"]["429"]
        assert response["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
    others = {
        (method, path)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if "429" in op["responses"]
    }
    assert others == limited


def test_every_limit_used_in_code_is_configured():
    from django.conf import settings

    assert set(settings.RATE_LIMITS) == set(LOOSE)
    with pytest.raises(Exception, match="Unknown rate limit"):
        ratelimit.get_limit("no_such_limit")
    assert Limit("x", 1, 1).count == 1
