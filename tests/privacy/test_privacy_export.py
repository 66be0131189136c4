"""Right of access: a person downloads everything we store about them as JSON (web and API), and
nothing about anyone else. Also: once a job closes, the helper no longer sees the customer's
exact address anywhere (API, job page, live status fragment, their own export)."""

import json
from dataclasses import dataclass
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from marketplace.jobs import services as jobs
from marketplace.jobs.models import JobRequest
from marketplace.messaging.services import message_post
from marketplace.notifications.services import email_preferences_set
from marketplace.photos.services import photo_add

pytestmark = pytest.mark.django_db

ALICE_ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"
ALICE_PHONE = "+41 79 111"
MALLORY_ADDRESS = "Limmatquai 2, 8001 Zürich"
MALLORY_PHONE = "+41 79 999 88 77"


def png() -> SimpleUploadedFile:
    buf = BytesIO()
    Image.new("RGB", (32, 24), (30, 120, 200)).save(buf, "PNG")
    return SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png")


@dataclass
class World:
    done: JobRequest  # alice's, done by bob, confirmed, reviewed both ways
    cancelled: JobRequest  # alice's, cancelled after carol accepted
    theirs: JobRequest  # mallory's, accepted by bob (still open)


def build_world(*, alice, mallory, bob, carol, router_wifi, settings, tmp_path) -> World:
    settings.PHOTO_ROOT = tmp_path / "photos"

    def post(customer, address, phone, description):
        return jobs.job_post(
            customer=customer,
            category=router_wifi,
            description=description,
            address=address,
            contact_phone=phone,
        )

    done = post(alice, ALICE_ADDRESS, ALICE_PHONE, "Alice's router keeps dropping out")
    done = jobs.job_accept(job=done, helper=bob)
    message_post(job=done, author=alice, body="Alice says: the box is in the hall")
    message_post(job=done, author=bob, body="Bob says: on my way")
    photo_add(job=done, user=alice, kind="request", upload=png())
    done = jobs.job_check_in(job=done, helper=bob)
    done = jobs.job_complete(job=done, helper=bob, note="Bob replaced the cable")
    done = jobs.job_confirm(job=done, actor=alice)
    jobs.review_create(job=done, author=alice, rating=5, comment="Alice: great help", nps=9)
    jobs.review_create(job=done, author=bob, rating=4, comment="Bob: friendly customer")

    cancelled = post(alice, ALICE_ADDRESS, ALICE_PHONE, "Alice's TV decoder shows no signal")
    cancelled = jobs.job_accept(job=cancelled, helper=carol)
    cancelled = jobs.job_cancel(job=cancelled, actor=alice, reason="Alice fixed it herself")

    theirs = post(mallory, MALLORY_ADDRESS, MALLORY_PHONE, "Mallory's printer is offline")
    theirs = jobs.job_accept(job=theirs, helper=bob)
    message_post(job=theirs, author=mallory, body="Mallory says: ring twice")
    email_preferences_set(user=alice, email={"review_request": False})
    return World(done=done, cancelled=cancelled, theirs=theirs)


@pytest.fixture
def world(
    alice, mallory, bob, carol, router_wifi, settings, tmp_path, django_capture_on_commit_callbacks
) -> World:
    # Payments follow their job right after commit: run those callbacks as they come.
    with django_capture_on_commit_callbacks(execute=True):
        return build_world(
            alice=alice,
            mallory=mallory,
            bob=bob,
            carol=carol,
            router_wifi=router_wifi,
            settings=settings,
            tmp_path=tmp_path,
        )


def test_a_customer_exports_her_own_data(api_as, alice, world):
    resp = api_as(alice).get("/api/me/export")
    assert resp.status_code == 200, resp.content
    data = resp.json()
    assert data["format"] == "fieldfriends-export/1"
    assert data["profile"]["email"] == "alice@example.com"
    assert data["profile"]["phone"] == ALICE_PHONE
    posted = {job["id"]: job for job in data["jobs_as_customer"]}
    assert set(posted) == {world.done.pk, world.cancelled.pk}
    assert posted[world.done.pk]["address"] == ALICE_ADDRESS
    assert posted[world.done.pk]["contact_phone"] == ALICE_PHONE
    assert posted[world.cancelled.pk]["cancel_reason"] == "Alice fixed it herself"
    assert data["jobs_as_helper"] == []
    assert [m["body"] for m in data["messages_written"]] == ["Alice says: the box is in the hall"]
    assert [p["job_id"] for p in data["photos_uploaded"]] == [world.done.pk]
    assert [r["comment"] for r in data["reviews_written"]] == ["Alice: great help"]
    assert [r["comment"] for r in data["reviews_received"]] == ["Bob: friendly customer"]
    assert {p["job_id"] for p in data["payments"]} == {world.done.pk, world.cancelled.pk}
    captured = next(p for p in data["payments"] if p["job_id"] == world.done.pk)
    assert captured["amount_captured"] == world.done.price
    # Her side of the ledger: she paid the price of the confirmed job (and nothing for the free
    # cancellation: authorised, then released).
    assert sum(e["amount"] for e in data["ledger"]) == -world.done.price
    assert {e["account"] for e in data["ledger"]} == {"customer"}
    assert data["notifications"], "job notifications are part of the export"
    assert data["preferences"]["email"]["review_request"] is False
    assert data["helper_profile"] is None


def test_the_export_holds_nothing_of_other_people(api_as, alice, world):
    text = api_as(alice).get("/api/me/export").content.decode()
    for other in (
        "bob@example.com",
        "carol@example.com",
        "mallory@example.com",
        "Mallory",
        MALLORY_ADDRESS,
        MALLORY_PHONE,
        "Bob says",
        "Mallory says",
        "Bob Helper",
    ):
        assert other not in text, other
    assert "correct-horse" not in text and "pbkdf2" not in text and "md5$" not in text


def test_a_helper_export_shows_customer_addresses_only_while_the_job_is_open(api_as, bob, world):
    data = api_as(bob).get("/api/me/export").json()
    done = {job["id"]: job for job in data["jobs_as_helper"]}
    assert set(done) == {world.done.pk, world.theirs.pk}
    # Mallory's job is still assigned: the address is what bob needs to get there.
    assert done[world.theirs.pk]["address"] == MALLORY_ADDRESS
    assert done[world.theirs.pk]["contact_phone"] == MALLORY_PHONE
    # Alice's job is confirmed: only the town and the approximate point remain.
    closed = done[world.done.pk]
    assert closed["address"] is None and closed["contact_phone"] is None
    assert closed["lat"] is None and closed["lng"] is None
    assert closed["city"] and closed["approx_lat"] is not None
    text = json.dumps(data)
    for secret in ("Bahnhofstrasse", ALICE_PHONE, "alice@example.com", "Alice Customer"):
        assert secret not in text, secret
    assert data["helper_profile"]["status"] == "vetted"
    assert [r["comment"] for r in data["reviews_received"]] == ["Alice: great help"]
    assert {e["account"] for e in data["ledger"]} == {"helper"}
    assert sum(e["amount"] for e in data["ledger"]) == world.done.helper_payout
    assert [o["job_id"] for o in data["offers"]] == [] or all(
        set(o) == {"job_id", "status", "distance_km", "sent_at", "responded_at"}
        for o in data["offers"]
    )


def test_the_export_needs_a_login(api_as, client, world):
    assert api_as().get("/api/me/export").status_code == 401
    resp = client.get(reverse("privacy_export"))
    assert resp.status_code == 302 and reverse("login") in resp["Location"]


def test_the_privacy_page_offers_the_download(client, alice, world):
    client.force_login(alice)
    resp = client.get(reverse("privacy"))
    assert resp.status_code == 200
    assert reverse("privacy_export") in resp.text
    assert reverse("privacy_erase") not in resp.text or "password" in resp.text
    resp = client.get(reverse("privacy_export"))
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/json")
    assert resp["Content-Disposition"].startswith('attachment; filename="fieldfriends-data-')
    data = json.loads(resp.content)
    assert data["profile"]["email"] == "alice@example.com"
    assert {job["id"] for job in data["jobs_as_customer"]} == {world.done.pk, world.cancelled.pk}


def test_the_footer_links_to_the_privacy_page(client, alice):
    client.force_login(alice)
    assert reverse("privacy") in client.get(reverse("home")).text


# --- Closed jobs: the exact address leaves the helper's view everywhere ---------------------------


def test_a_closed_job_hides_the_address_from_its_helper_on_every_surface(
    api_as, client, bob, world
):
    api = api_as(bob)
    closed = api.get(f"/api/jobs/{world.done.pk}").json()
    assert closed["status"] == "confirmed"
    assert closed["address"] is None and closed["contact_phone"] is None
    assert closed["exact_location_visible"] is False
    listed = {job["id"]: job for job in api.get("/api/jobs").json()}
    assert listed[world.done.pk]["address"] is None
    # The still-open job keeps its address for the helper.
    assert api.get(f"/api/jobs/{world.theirs.pk}").json()["address"] == MALLORY_ADDRESS

    client.force_login(bob)
    for name in ("helper:job", "helper:job_status"):
        resp = client.get(reverse(name, args=[world.done.pk]))
        assert resp.status_code == 200, name
        for secret in ("Bahnhofstrasse", ALICE_PHONE, str(world.done.lat)):
            assert secret not in resp.text, (name, secret)
    assert MALLORY_ADDRESS in client.get(reverse("helper:job", args=[world.theirs.pk])).text
