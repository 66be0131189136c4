"""Issue 21: the API answers in JSON, whatever goes wrong. Oversized bodies answer 413
`too_large` (web pages a 413 page), unexpected exceptions a JSON 500 `server_error` (logged
with the traceback), and a lost database still 503 (core/middleware_db.py)."""

import json
import logging
import random
from io import BytesIO

import pytest
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.test import Client, override_settings
from django.urls import reverse
from PIL import Image

from marketplace.jobs import selectors as job_selectors
from marketplace.photos.models import JobPhoto
from marketplace.pricing import api as pricing_api
from tests.factories import posted_job

pytestmark = pytest.mark.django_db

TEN_MB = 10 * 1024 * 1024


def _too_large(resp):
    assert resp.status_code == 413, resp.content[:300]
    assert resp["Content-Type"].startswith("application/json")
    body = resp.json()
    assert body["code"] == "too_large"
    assert body["detail"]
    return body


# --- 413 -------------------------------------------------------------------------------------


def test_a_ten_megabyte_job_body_is_413_json(api_as, alice, router_wifi):
    resp = api_as(alice).post(
        "/api/jobs",
        {"category": router_wifi.slug, "description": "x" * TEN_MB, "address": "Zürich"},
    )
    _too_large(resp)


def test_a_ten_megabyte_body_on_the_unauthenticated_token_endpoint_is_413_json(db):
    resp = Client().post(
        "/api/auth/tokens",
        data=json.dumps({"email": "a@example.com", "password": "x" * TEN_MB}),
        content_type="application/json",
    )
    _too_large(resp)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_every_oversized_body_under_api_is_413(api_as, alice, method):
    """Whatever the operation, known or not, and before authentication."""
    for path in ("/api/helpers/me", "/api/no-such-thing", "/api/jobs/1/cancel"):
        for client in (api_as(alice), api_as()):
            resp = getattr(client.client, method)(
                path,
                data=b"[" + b"1," * (TEN_MB // 2) + b"1]",
                content_type="application/json",
                headers=client.headers,
            )
            _too_large(resp)


def test_the_limit_is_data_upload_max_memory_size(api_as, alice, router_wifi, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    api = api_as(alice)
    body = {"category": router_wifi.slug, "description": "A router that drops the line"}
    padding = 2000 - len(json.dumps({**body, "address": ""}).encode())
    at_limit = {**body, "address": "Z" * padding}
    assert len(json.dumps(at_limit).encode()) == 2000
    assert api.post("/api/jobs", at_limit).status_code != 413  # judged on its content (422)
    _too_large(api.post("/api/jobs", {**body, "address": "Z" * (padding + 1)}))


def test_a_too_large_body_read_by_an_operation_is_413_json(api_as, alice, monkeypatch):
    """Django raises RequestDataTooBig lazily (e.g. the form fields of a multipart body within
    the Content-Length check); the API answers it in its format too."""

    def too_big(**kwargs):
        raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")

    monkeypatch.setattr(job_selectors, "jobs_listed_for", too_big)
    _too_large(api_as(alice).get("/api/jobs"))


def test_an_oversized_web_form_is_a_413_page(db):
    resp = Client().post("/login/", data={"email": "a" * TEN_MB, "password": "x"})
    assert resp.status_code == 413
    assert resp["Content-Type"].startswith("text/html")
    assert b"too large" in resp.content


# --- Photo uploads keep working --------------------------------------------------------------


@pytest.fixture
def job(alice, bob, router_wifi, settings, tmp_path):
    settings.PHOTO_ROOT = tmp_path / "photos"
    return posted_job(customer=alice, category=router_wifi)


def _noise_png(side: int) -> bytes:
    img = Image.frombytes("RGB", (side, side), random.Random(1).randbytes(3 * side * side))
    buf = BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _upload(api, job, data: bytes):
    image = SimpleUploadedFile("p.png", data, content_type="image/png")
    return api.client.post(
        f"/api/jobs/{job.pk}/photos", {"kind": "request", "image": image}, headers=api.headers
    )


def test_a_photo_larger_than_the_json_limit_still_uploads(job, alice, api_as, settings):
    data = _noise_png(1000)  # about 3 MB: over DATA_UPLOAD_MAX_MEMORY_SIZE, under the photo limit
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < len(data) < settings.PHOTO_MAX_BYTES
    resp = _upload(api_as(alice), job, data)
    assert resp.status_code == 201, resp.content[:300]
    assert JobPhoto.objects.count() == 1


def test_a_photo_just_over_its_limit_is_refused_with_the_photo_message(
    job, alice, api_as, settings
):
    settings.PHOTO_MAX_BYTES = 100_000
    resp = _upload(api_as(alice), job, _noise_png(200))  # 120 kB
    assert resp.status_code == 422
    assert resp.json()["code"] == "photo_too_large"


def test_a_multipart_body_over_both_limits_is_413(job, alice, api_as, settings):
    settings.PHOTO_MAX_BYTES = 10_000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    _too_large(_upload(api_as(alice), job, _noise_png(120)))  # 43 kB
    assert not JobPhoto.objects.exists()


# --- JSON 500s -------------------------------------------------------------------------------


def _boom(**kwargs):
    raise RuntimeError("secret internals: password=hunter2")


@override_settings(DEBUG=False)
def test_an_unexpected_error_is_a_json_500_and_logged_with_its_traceback(
    alice, api_as, monkeypatch, caplog
):
    monkeypatch.setattr(job_selectors, "jobs_listed_for", _boom)
    api = api_as(alice)
    api.client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        resp = api.get("/api/jobs")
    assert resp.status_code == 500
    assert resp["Content-Type"].startswith("application/json")
    assert resp.json() == {"detail": "Internal error", "code": "server_error"}
    assert b"hunter2" not in resp.content
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert logged, caplog.text
    assert "/api/jobs" in logged[0].getMessage()
    assert "hunter2" in caplog.text  # the traceback is logged, not hidden


@override_settings(DEBUG=False)
def test_an_unexpected_error_in_an_unauthenticated_operation_is_a_json_500(
    ch, router_wifi, monkeypatch
):
    monkeypatch.setattr(pricing_api, "quote", _boom)
    resp = Client(raise_request_exception=False).get(
        "/api/quote", {"market": ch.code, "category": router_wifi.slug}
    )
    assert resp.status_code == 500
    assert resp.json() == {"detail": "Internal error", "code": "server_error"}


@override_settings(DEBUG=False)
def test_the_test_client_still_sees_the_exception(alice, api_as, monkeypatch):
    """got_request_exception is sent, as for Django's own 500s (error reporters rely on it)."""
    monkeypatch.setattr(job_selectors, "jobs_listed_for", _boom)
    with pytest.raises(RuntimeError, match="secret internals"):
        api_as(alice).get("/api/jobs")


@override_settings(DEBUG=False)
def test_a_lost_database_is_still_503_not_500(alice, api_as, monkeypatch):
    def lost(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(job_selectors, "jobs_listed_for", lost)
    api = api_as(alice)
    api.client = Client(raise_request_exception=False)
    resp = api.get("/api/jobs")
    assert resp.status_code == 503
    assert resp.json()["code"] == "unavailable"
    assert resp["Retry-After"]


@override_settings(DEBUG=False)
def test_web_pages_keep_the_html_500(alice, monkeypatch):
    """Only the API answers JSON; a failing web page is still the 500 page."""
    from marketplace.jobs.views import customer as views_customer

    monkeypatch.setattr(views_customer.selectors, "jobs_for_customer", _boom)
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    resp = client.get(reverse("customer:jobs"))
    assert resp.status_code == 500
    assert resp["Content-Type"].startswith("text/html")
