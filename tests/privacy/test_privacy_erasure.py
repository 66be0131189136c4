"""Right to erasure: personal data is anonymised (not deleted) so money and audit rows keep
pointing at the user id while nothing leads back to the person. Refused while a job is open or a
payment unsettled, since that would lose what the job or payment still needs."""

from pathlib import Path

import pytest
from django.urls import reverse

from marketplace.accounts.models import ApiToken, User
from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.jobs import services as jobs
from marketplace.jobs.models import JobEvent, JobRequest, Review
from marketplace.messaging.models import Message
from marketplace.notifications.models import Notification
from marketplace.payments.models import InvoiceLine, LedgerEntry, Payment, PaymentStatus
from marketplace.payments.selectors import unbalanced_jobs
from marketplace.photos.models import JobPhoto
from marketplace.pricing.models import PriceChange
from marketplace.privacy.models import ErasureRecord
from tests.privacy.test_privacy_export import ALICE_ADDRESS, ALICE_PHONE, build_world

pytestmark = pytest.mark.django_db
ERASED = "[erased]"


@pytest.fixture
def world(
    alice, mallory, bob, carol, router_wifi, settings, tmp_path, django_capture_on_commit_callbacks
):
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


def money_snapshot():
    """Every money and audit row, by user id: what erasure must leave exactly as it was."""
    return {
        "ledger": list(
            LedgerEntry.objects.order_by("id").values_list("job_id", "account", "amount")
        ),
        "payments": list(
            Payment.objects.order_by("id").values_list(
                "job_id", "status", "amount", "amount_captured", "platform_fee", "fee_captured"
            )
        ),
        "invoice_lines": list(
            InvoiceLine.objects.order_by("id").values_list("customer_id", "job_id", "amount")
        ),
        "jobs": list(
            JobRequest.objects.order_by("id").values_list(
                "customer_id", "assigned_helper_id", "status", "price", "platform_fee"
            )
        ),
        "events": list(JobEvent.objects.order_by("id").values_list("job_id", "actor_id", "kind")),
        "price_changes": PriceChange.objects.count(),
    }


def economics(api_as, olga):
    resp = api_as(olga).get("/api/operator/economics/metrics", market="ch")
    assert resp.status_code == 200, resp.content
    return resp.json()


def test_erasure_anonymises_the_customer_and_keeps_the_money(
    api_as, alice, olga, world, django_capture_on_commit_callbacks
):
    client = api_as(alice)
    photo_files = [Path(p.image.path) for p in JobPhoto.objects.filter(job__customer=alice)]
    assert photo_files and all(f.exists() for f in photo_files)
    before, metrics_before = money_snapshot(), economics(api_as, olga)

    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post("/api/me/erase", {"confirm": True})
    assert resp.status_code == 200, resp.content
    assert resp.json()["erased"] is True and resp.json()["user_id"] == alice.pk

    user = User.objects.get(pk=alice.pk)
    assert user.email == f"erased-{alice.pk}@invalid"
    assert (user.full_name, user.phone, user.is_active) == ("", "", False)
    assert not user.has_usable_password()
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert client.get("/api/auth/me").status_code == 401  # the token no longer works

    for job in JobRequest.objects.filter(customer=alice):
        assert (job.address, job.contact_phone) == ("", "")
        assert (job.lat, job.lng) == (job.approx_lat, job.approx_lng)
        assert job.description == ERASED
        assert job.cancel_reason in ("", ERASED)
        assert job.completion_note in ("", ERASED)
    assert JobRequest.objects.get(pk=world.cancelled.pk).cancel_reason == ERASED
    assert set(Message.objects.filter(job__customer=alice).values_list("body", flat=True)) == {
        ERASED
    }
    assert set(Review.objects.filter(job__customer=alice).values_list("comment", flat=True)) == {
        ERASED
    }
    assert not JobPhoto.objects.filter(job__customer=alice).exists()
    assert not any(f.exists() for f in photo_files)
    assert not Notification.objects.filter(user=alice).exists()
    for event in JobEvent.objects.filter(job__customer=alice):
        assert event.data.get("reason") in (None, ERASED)

    # Nothing that identifies her is left anywhere in her rows.
    text = str(list(JobRequest.objects.filter(customer=alice).values())) + str(
        list(JobEvent.objects.filter(job__customer=alice).values())
    )
    for secret in ("Bahnhofstrasse", ALICE_ADDRESS, ALICE_PHONE, "Alice", "alice@example.com"):
        assert secret not in text, secret

    # Money and audit rows are untouched (by id), the ledger balances, the figures agree.
    assert money_snapshot() == before
    assert not unbalanced_jobs().exists()
    assert economics(api_as, olga) == metrics_before

    record = ErasureRecord.objects.get(user_id=alice.pk)
    assert record.via == "api"
    assert record.counts["messages"] == 2 and record.counts["photos"] == 1
    # Other people's data is not touched.
    mallory_job = JobRequest.objects.get(pk=world.theirs.pk)
    assert mallory_job.address and mallory_job.description != ERASED
    assert Message.objects.filter(job=mallory_job).exclude(body=ERASED).exists()


def test_erasure_withdraws_a_helper_from_matching(
    api_as, bob, mallory, world, django_capture_on_commit_callbacks
):
    # bob still has mallory's job: first it is refused, then allowed once it closes.
    client = api_as(bob)
    resp = client.post("/api/me/erase", {"confirm": True})
    assert resp.status_code == 409
    assert resp.json()["code"] == "erasure_refused"
    with django_capture_on_commit_callbacks(execute=True):  # the payment follows the job
        jobs.job_cancel(job=world.theirs, actor=mallory, reason="Changed my mind")
    assert client.post("/api/me/erase", {"confirm": True}).status_code == 200
    profile = HelperProfile.objects.get(user=bob)
    assert profile.status == HelperStatus.SUSPENDED and not profile.is_available
    assert profile.home_address == ""
    assert not profile.is_matchable
    assert JobRequest.objects.get(pk=world.done.pk).completion_note == ERASED
    assert set(Message.objects.filter(author=bob).values_list("body", flat=True)) == {ERASED}
    assert Review.objects.get(job=world.done, author=bob).comment == ERASED
    assert Review.objects.get(job=world.done, subject=bob).comment == ERASED  # about him
    # The customer's own messages stay (they are hers, not bob's).
    assert (
        Message.objects.filter(job=world.done, author__email="alice@example.com")
        .exclude(body=ERASED)
        .exists()
    )


def test_erasure_is_refused_while_a_job_is_open(api_as, alice, router_wifi, bob, carol):
    job = jobs.job_post(
        customer=alice, category=router_wifi, description="Wi-Fi is slow upstairs", address="Zürich"
    )
    resp = api_as(alice).post("/api/me/erase", {"confirm": True})
    assert resp.status_code == 409
    assert "open" in resp.json()["detail"]
    assert User.objects.get(pk=alice.pk).email == "alice@example.com"
    assert JobRequest.objects.get(pk=job.pk).description == "Wi-Fi is slow upstairs"
    assert not ErasureRecord.objects.exists()


def test_erasure_is_refused_while_a_payment_is_not_settled(api_as, alice, world):
    Payment.objects.filter(job=world.cancelled).update(status=PaymentStatus.AUTHORISED)
    resp = api_as(alice).post("/api/me/erase", {"confirm": True})
    assert resp.status_code == 409
    assert "payment" in resp.json()["detail"]


def test_erasure_needs_an_explicit_confirmation(api_as, alice):
    client = api_as(alice)
    assert client.post("/api/me/erase", {"confirm": False}).status_code == 422
    assert client.post("/api/me/erase", {}).status_code == 422
    assert api_as().post("/api/me/erase", {"confirm": True}).status_code == 401
    assert User.objects.get(pk=alice.pk).is_active


def test_operators_are_erased_in_the_admin_only(api_as, olga):
    assert api_as(olga).post("/api/me/erase", {"confirm": True}).status_code == 403


def test_web_erasure_asks_for_the_password_and_logs_out(client, alice, world):
    client.force_login(alice)
    url = reverse("privacy_erase")
    resp = client.post(url, {"password": "wrong", "confirm": "on"})
    assert resp.status_code == 400
    assert User.objects.get(pk=alice.pk).is_active
    resp = client.post(url, {"password": "correct-horse-battery"})
    assert resp.status_code == 400  # the box must be ticked
    resp = client.post(url, {"password": "correct-horse-battery", "confirm": "on"})
    assert resp.status_code == 200
    assert "erased" in resp.text
    assert not User.objects.get(pk=alice.pk).is_active
    assert ErasureRecord.objects.get(user_id=alice.pk).via == "web"
    resp = client.get(reverse("privacy"))
    assert resp.status_code == 302 and reverse("login") in resp["Location"]


def test_web_erasure_with_an_open_job_explains_why_not(client, alice, router_wifi, bob):
    jobs.job_post(
        customer=alice, category=router_wifi, description="Printer offline", address="Zürich"
    )
    client.force_login(alice)
    page = client.get(reverse("privacy"))
    assert page.status_code == 200
    assert "finish or cancel it first" in page.text
    resp = client.post(
        reverse("privacy_erase"), {"password": "correct-horse-battery", "confirm": "on"}
    )
    assert resp.status_code == 409
    assert User.objects.get(pk=alice.pk).is_active
