"""Payments in the JSON API: a job's payment, paying by card, helper payout onboarding, and the
operator's refunds, ledger and invoice export."""

import csv
import io
import re
from datetime import datetime
from typing import Literal

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema
from pydantic import StrictInt

from marketplace.core.errors import NotAllowed, NotFound, ValidationFailed
from marketplace.core.schemas import MAX_OFFSET, InputSchema, as_utc, errors, require_operator
from marketplace.jobs.selectors import job_for_user
from marketplace.payments import onboarding, reconcile, selectors, services
from marketplace.payments.models import Payment

router = Router(tags=["payments"])  # mounted under /jobs
helper_router = Router(tags=["payments"])  # mounted under /helpers
operator_router = Router(tags=["payments"])

ACTION_ERRORS = errors(400, 401, 403, 404, 409, 422)


class PaymentOut(Schema):
    job_id: int
    provider: str
    status: str
    status_label: str
    currency: str
    amount: int
    platform_fee: int
    amount_captured: int
    amount_refunded: int
    client_secret: str | None = Field(
        None, description="For Stripe.js when the bank asks the customer to confirm (3-D Secure)"
    )
    failure_message: str
    capture_before: datetime | None


class PayIn(InputSchema):
    payment_method: str = Field(
        min_length=1, max_length=64, description="A Stripe PaymentMethod id (pm_…)"
    )


class RefundIn(InputSchema):
    amount: StrictInt = Field(gt=0, le=MAX_OFFSET, description="Minor units")
    reason: str = Field(min_length=1, max_length=200)


class LedgerOut(Schema):
    movement: str
    kind: str
    account: str
    amount: int
    currency: str
    created_at: datetime


class OnboardingOut(Schema):
    url: str
    ready: bool


def payment_out(payment: Payment, user) -> dict:
    is_customer = user.pk == payment.job.customer_id
    return {
        "job_id": payment.job_id,
        "provider": payment.provider,
        "status": payment.status,
        "status_label": payment.get_status_display(),
        "currency": payment.currency,
        "amount": payment.amount,
        "platform_fee": payment.platform_fee,
        "amount_captured": payment.amount_captured,
        "amount_refunded": payment.amount_refunded,
        "client_secret": payment.client_secret if is_customer else None,
        "failure_message": payment.failure_message if (is_customer or user.is_operator) else "",
        "capture_before": payment.capture_before,
    }


def _payment(request, job_id: int) -> Payment:
    job = job_for_user(user=request.auth, job_id=job_id)
    payment = services.payment_for_job(job)
    if payment is None:
        raise NotFound("This job has no payment yet (no helper has accepted it)")
    user = request.auth
    if not (user.is_operator or user.pk in (job.customer_id, job.assigned_helper_id)):
        raise NotFound("Job not found")
    return payment


@router.get("/{job_id}/payment", response={200: PaymentOut, **errors(401, 404, 422)})
def get_payment(request, job_id: int):
    """The job's payment: the customer, the assigned helper and operators."""
    return payment_out(_payment(request, job_id), request.auth)


@router.post("/{job_id}/pay", response={200: PaymentOut, **ACTION_ERRORS})
def pay(request, job_id: int, payload: PayIn):
    """Authorise the card payment (Stripe). Clicking twice creates one payment intent. A
    declined card answers 200 with status `failed` and the bank's message; `requires_action`
    means the customer must confirm with their bank (use `client_secret` with Stripe.js)."""
    job = job_for_user(user=request.auth, job_id=job_id)
    payment = services.payment_pay(
        job=job,
        customer=request.auth,
        payment_method=payload.payment_method,
        return_url=f"{settings.SITE_URL}/customer/jobs/{job.pk}/",
    )
    return payment_out(payment, request.auth)


@helper_router.post("/me/payout-account", response={200: OnboardingOut, **ACTION_ERRORS})
def payout_onboarding(request):
    """Helpers: a link to set up (or finish) the payout account for card payments."""
    url, ready = onboarding.onboarding_link(helper=request.auth)
    return {"url": url, "ready": ready}


class EarningsFiguresOut(Schema):
    currency: str
    jobs_confirmed: int
    gross: int = Field(description="What customers were charged for your jobs (minor units)")
    platform_fees: int
    earned: int = Field(description="Your share: gross − platform fees")
    clawed_back: int = Field(description="Your share of refunds")
    net: int = Field(description="earned − clawed_back")
    paid_out: int = Field(description="Card payments: transferred to your payout account")
    pending: int = Field(description="Bill-to-account: paid by the operator")


class EarningsMonthOut(EarningsFiguresOut):
    month: str = Field(description="YYYY-MM in the market's time zone")


class EarningsOut(Schema):
    time_zone: str
    months: list[EarningsMonthOut] = Field(description="Newest first")
    totals: list[EarningsFiguresOut] = Field(description="One row per currency")


@helper_router.get("/me/earnings", response={200: EarningsOut, **errors(401, 403, 404)})
def my_earnings(request):
    """Helpers: earnings per month from the ledger, with totals."""
    from marketplace.helpers.selectors import helper_profile_for

    user = request.auth
    if not user.is_helper:
        raise NotAllowed("Helpers only")
    profile = helper_profile_for(user)
    if profile is None:
        raise NotFound("You have not applied as a helper")
    time_zone = profile.market.time_zone
    months = selectors.helper_earnings_by_month(helper=user, time_zone=time_zone)
    return {
        "time_zone": time_zone,
        "months": [{**row, "month": row["month"].strftime("%Y-%m")} for row in months],
        "totals": selectors.helper_earnings_totals(helper=user),
    }


@operator_router.post("/payments/{job_id}/refund", response={200: PaymentOut, **ACTION_ERRORS})
def refund(request, job_id: int, payload: RefundIn):
    """Refund a captured payment fully or partly (disputes). Amount in minor units. The amount
    is reserved before the provider is called: while another refund of the same payment is
    still being processed, one that would not fit answers 409 (`refund_in_progress`); one
    larger than what is left answers 422. Neither reaches the provider."""
    require_operator(request)
    payment = get_object_or_404(Payment.objects.select_related("job"), job__pk=job_id)
    payment = services.payment_refund(
        payment=payment, amount=payload.amount, actor=request.auth, reason=payload.reason
    )
    return payment_out(payment, request.auth)


@operator_router.get(
    "/payments/{job_id}/ledger", response={200: list[LedgerOut], **errors(401, 403, 404, 422)}
)
def job_ledger(request, job_id: int):
    """Every money movement of one job (two legs each, summing to zero)."""
    require_operator(request)
    get_object_or_404(Payment, job__pk=job_id)
    return list(selectors.ledger_for_job(job_id=job_id))


class LedgerTotalOut(Schema):
    currency: str
    kind: str
    account: str
    total: int


@operator_router.get("/ledger", response={200: list[LedgerTotalOut], **errors(401, 403, 422)})
def ledger_totals(request, start: datetime, end: datetime, currency: str | None = None):
    """Money movements between two moments, totalled per currency, kind and account."""
    require_operator(request)
    start, end = as_utc(start), as_utc(end)
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValidationFailed("Times need a time zone offset")
    if end <= start:
        raise ValidationFailed("end must be after start")
    return selectors.ledger_by_period(start=start, end=end, currency=currency)


PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@operator_router.get("/invoices", response={200: list[dict], **errors(401, 403, 422)})
def invoices(request, period: str, format: str = "json"):
    """Bill-to-account export for one billing month (`YYYY-MM`): one line per charge,
    cancellation fee or refund, for the telecom's billing system. `format=csv` for a file."""
    require_operator(request)
    if not PERIOD.match(period):
        raise ValidationFailed("period must look like 2026-11")
    if format not in ("json", "csv"):
        raise ValidationFailed("format must be json or csv")
    rows = [
        {
            "reference": line.reference,
            "customer_id": line.customer_id,
            "customer_email": line.customer.email,
            "job_id": line.job_id,
            "kind": line.kind,
            "amount": line.amount,
            "currency": line.currency,
            "period": line.period,
            "created_at": line.created_at.isoformat(),
        }
        for line in selectors.invoice_lines(period=period)
    ]
    if format == "json":
        return rows
    out = io.StringIO()
    writer = csv.DictWriter(
        out,
        fieldnames=[
            "reference",
            "customer_id",
            "customer_email",
            "job_id",
            "kind",
            "amount",
            "currency",
            "period",
            "created_at",
        ],
    )
    writer.writeheader()
    writer.writerows(rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="invoice-lines-{period}.csv"'
    return response


class ProviderCallOut(Schema):
    id: int
    job_id: int
    action: str = Field(description="authorise, capture, cancel, reauthorise-release or refund")
    idempotency_key: str
    amount: int | None = Field(None, description="Minor units, where the call moves money")
    currency: str
    status: str = Field(description="pending (waiting for the provider's answer) or failed")
    attempts: int
    gave_up: bool = Field(description="Out of automatic attempts: waits for a retry by hand")
    last_error: str = Field(description="The provider's or the ledger's reason")
    created_at: datetime
    done_at: datetime | None


def provider_call_out(call) -> dict:
    return {
        "id": call.pk,
        "job_id": call.payment.job_id,
        "action": call.action,
        "idempotency_key": call.idempotency_key,
        "amount": call.params.get("amount"),
        "currency": call.payment.currency,
        "status": call.status,
        "attempts": call.attempts,
        "gave_up": call.status == "pending" and call.attempts >= reconcile.MAX_ATTEMPTS,
        "last_error": call.last_error,
        "created_at": call.created_at,
        "done_at": call.done_at,
    }


@operator_router.get(
    "/payment-calls", response={200: list[ProviderCallOut], **errors(401, 403, 422)}
)
def payment_calls(request, status: Literal["failed", "pending"] = "failed", limit: int = 50):
    """Payment provider calls that need an operator's eye: `failed` ones (refused by the
    provider or the ledger, newest first, with the reason) or `pending` ones still waiting for
    the provider's answer past the first retry delay (oldest first)."""
    require_operator(request)
    calls = selectors.provider_calls(status=status, limit=max(1, min(limit, 200)))
    return [provider_call_out(call) for call in calls]


@operator_router.post(
    "/payment-calls/{call_id}/retry", response={200: ProviderCallOut, **ACTION_ERRORS}
)
def payment_call_retry(request, call_id: int):
    """Retry a pending call now, also one out of automatic attempts. The same idempotency key
    is used, so the provider acts at most once; a refusal fails the call with its reason."""
    require_operator(request)
    call = reconcile.provider_call_retry_now(call_id=call_id, actor=request.auth)
    call = type(call).objects.select_related("payment").get(pk=call.pk)
    return provider_call_out(call)
