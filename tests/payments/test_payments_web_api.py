"""Payments through the pages and the JSON API, for every role."""

import pytest
from django.urls import reverse

from marketplace.jobs.models import JobStatus
from marketplace.jobs.services import (
    job_accept,
    job_post,
)
from marketplace.payments.models import Payment, PaymentStatus
from tests.factories import job_at

pytestmark = pytest.mark.django_db

ZURICH = "Bahnhofstrasse 1, 8001 Zürich"


@pytest.fixture
def captured(alice, bob, router_wifi, django_capture_on_commit_callbacks):
    return job_at(
        JobStatus.CONFIRMED,
        customer=alice,
        helper=bob,
        category=router_wifi,
        description="Set up my router",
        address=ZURICH,
        commit_hooks=django_capture_on_commit_callbacks,
    )


# --- API -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("alice", 200), ("bob", 200), ("olga", 200), ("mallory", 404), ("carol", 404)],
)
def test_who_sees_a_jobs_payment(request, api_as, captured, who, status):
    resp = api_as(request.getfixturevalue(who)).get(f"/api/jobs/{captured.pk}/payment")
    assert resp.status_code == status, resp.content
    if status == 200:
        body = resp.json()
        assert (body["status"], body["amount_captured"]) == ("captured", 6_000)


def test_anonymous_gets_401_for_a_payment(api_as, captured):
    assert api_as().get(f"/api/jobs/{captured.pk}/payment").status_code == 401


def test_paying_a_bill_to_account_job_twice_is_harmless(api_as, alice, bob, router_wifi):
    job = job_post(
        customer=alice, category=router_wifi, description="Router setup please", address=ZURICH
    )
    job_accept(job=job, helper=bob)
    resp = api_as(alice).post(f"/api/jobs/{job.pk}/pay", {"payment_method": "pm_card_visa"})
    assert resp.status_code == 200
    assert resp.json()["status"] == "authorised"
    assert Payment.objects.filter(job=job).count() == 1


@pytest.mark.parametrize(("who", "status"), [("alice", 403), ("bob", 403), ("olga", 200)])
def test_only_operators_refund_through_the_api(request, api_as, captured, who, status):
    resp = api_as(request.getfixturevalue(who)).post(
        f"/api/operator/payments/{captured.pk}/refund", {"amount": 1_000, "reason": "Late"}
    )
    assert resp.status_code == status, resp.content
    payment = Payment.objects.get(job=captured)
    assert payment.amount_refunded == (1_000 if status == 200 else 0)


def test_an_over_refund_is_a_422_with_a_message(api_as, olga, captured):
    resp = api_as(olga).post(
        f"/api/operator/payments/{captured.pk}/refund", {"amount": 999_999, "reason": "x"}
    )
    assert resp.status_code == 422
    assert "between 1 and 6000" in resp.json()["detail"]


def test_the_ledger_and_the_invoice_export_for_operators(api_as, olga, alice, captured):
    ledger = api_as(olga).get(f"/api/operator/payments/{captured.pk}/ledger").json()
    assert sum(row["amount"] for row in ledger) == 0
    assert {row["kind"] for row in ledger} >= {"authorised", "captured_fee", "captured_payout"}
    period = Payment.objects.get(job=captured).captured_at.astimezone().strftime("%Y-%m")
    lines = api_as(olga).get("/api/operator/invoices", period=period).json()
    assert [(line["customer_email"], line["amount"]) for line in lines] == [(alice.email, 6_000)]
    csv = api_as(olga).get("/api/operator/invoices", period=period, format="csv")
    assert csv["Content-Type"].startswith("text/csv")
    assert alice.email in csv.content.decode()
    assert api_as(alice).get("/api/operator/invoices", period=period).status_code == 403
    assert api_as(olga).get("/api/operator/invoices", period="2026-13").status_code == 422


def test_payout_onboarding_is_refused_in_invoice_mode_and_for_customers(api_as, alice, bob):
    assert api_as(bob).post("/api/helpers/me/payout-account").status_code == 409
    assert api_as(alice).post("/api/helpers/me/payout-account").status_code == 403


# --- Web -------------------------------------------------------------------------------------


def test_the_customer_sees_the_invoice_note(client, alice, captured):
    client.force_login(alice)
    page = client.get(reverse("customer:job", args=[captured.pk]))
    assert "is on your next telecom invoice" in page.text
    assert "js.stripe.com" not in page.text  # Elements only in card mode


def test_operators_see_the_ledger_and_can_refund_on_the_web(client, olga, captured):
    client.force_login(olga)
    page = client.get(reverse("operator:job", args=[captured.pk]))
    assert "Ledger" in page.text and "captured_fee" in page.text
    resp = client.post(
        reverse("operator:refund", args=[captured.pk]), {"amount": "12.50", "reason": "Late"}
    )
    assert resp.status_code == 302
    assert Payment.objects.get(job=captured).amount_refunded == 1_250


def test_a_bad_refund_amount_is_a_message_not_a_500(client, olga, captured):
    client.force_login(olga)
    resp = client.post(
        reverse("operator:refund", args=[captured.pk]),
        {"amount": "12.505", "reason": "x"},
        follow=True,
    )
    assert resp.status_code == 200
    assert Payment.objects.get(job=captured).amount_refunded == 0


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_customers_and_helpers_cannot_refund_or_export(request, client, captured, who):
    client.force_login(request.getfixturevalue(who))
    resp = client.post(
        reverse("operator:refund", args=[captured.pk]), {"amount": "1", "reason": "x"}
    )
    assert resp.status_code == 403
    assert client.get(reverse("operator:invoices")).status_code == 403
    assert Payment.objects.get(job=captured).amount_refunded == 0


def test_the_invoice_page_and_csv(client, olga, alice, captured):
    client.force_login(olga)
    period = Payment.objects.get(job=captured).captured_at.astimezone().strftime("%Y-%m")
    page = client.get(reverse("operator:invoices"), {"period": period})
    assert alice.email in page.text
    csv = client.get(reverse("operator:invoices"), {"period": period, "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")


def test_another_customer_cannot_pay_for_a_job(client, mallory, alice, bob, router_wifi):
    job = job_post(
        customer=alice, category=router_wifi, description="Router setup please", address=ZURICH
    )
    job_accept(job=job, helper=bob)
    client.force_login(mallory)
    resp = client.post(reverse("customer:pay", args=[job.pk]), {"payment_method": "pm_x"})
    assert resp.status_code == 404
    assert Payment.objects.get(job=job).status == PaymentStatus.AUTHORISED


def test_the_helper_payouts_page_in_invoice_mode(client, bob):
    client.force_login(bob)
    page = client.get(reverse("helper:payouts"))
    assert "nothing to set up" in page.text


def test_ledger_totals_per_period_for_operators(api_as, olga, alice, captured):
    params = {"start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}
    rows = api_as(olga).get("/api/operator/ledger", **params).json()
    totals = {(r["kind"], r["account"]): r["total"] for r in rows}
    assert totals[("captured_fee", "platform")] == 1_200
    assert sum(r["total"] for r in rows) == 0
    assert api_as(alice).get("/api/operator/ledger", **params).status_code == 403
    bad = {"start": "2100-01-01T00:00:00Z", "end": "2000-01-01T00:00:00Z"}
    assert api_as(olga).get("/api/operator/ledger", **bad).status_code == 422
