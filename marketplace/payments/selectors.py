"""Reads on payments: the ledger's invariants, per-job and per-period views, invoice export."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import BigIntegerField, Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from marketplace.payments.models import (
    CallStatus,
    InvoiceLine,
    LedgerEntry,
    Payment,
    PaymentStatus,
    ProviderCall,
)

RETRY_AFTER_SECONDS = 30  # services.RETRY_AFTER: a call younger than this is still in flight


def unbalanced_jobs() -> QuerySet:
    """Jobs whose ledger does not balance, or whose money is still on hold although the payment
    is settled. Empty by construction; checked by tests and shown to operators."""
    by_job = LedgerEntry.objects.values("job_id").annotate(
        total=Sum("amount"), hold=Sum("amount", filter=Q(account="hold"))
    )
    settled = Payment.objects.filter(
        status__in=[PaymentStatus.CAPTURED, PaymentStatus.CANCELLED]
    ).values_list("job_id", flat=True)
    return by_job.filter(~Q(total=0) | (Q(job_id__in=settled) & ~Q(hold=0))).order_by()


def ledger_for_job(*, job_id: int) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(job_id=job_id).order_by("created_at", "id")


def ledger_by_period(*, start, end, currency: str | None = None) -> list[dict]:
    """Totals per kind and account between two moments (operator view per period)."""
    qs = LedgerEntry.objects.filter(created_at__gte=start, created_at__lt=end)
    if currency:
        qs = qs.filter(currency=currency)
    return list(
        qs.values("currency", "kind", "account")
        .annotate(total=Sum("amount"))
        .order_by("currency", "kind", "account")
    )


def invoice_lines(*, period: str) -> QuerySet[InvoiceLine]:
    return InvoiceLine.objects.filter(period=period).select_related("customer", "job")


# --- A helper's earnings, per month of the market's calendar ------------------------------------

# Paid out: card payments are destination charges, so the helper's share reaches their Stripe
# account when the payment is captured (and is reversed with a refund). Bill-to-account: the
# operator pays helpers outside the platform, so those earnings stay pending here.
PAID_OUT_PROVIDERS = ("stripe",)

_HELPER_LEG = Q(account="helper")


def _earnings_figures() -> dict:
    """Aggregates over a helper's ledger legs (platform and helper accounts of their jobs)."""
    earned = _HELPER_LEG & Q(kind="captured_payout")
    clawed = _HELPER_LEG & Q(kind="refund_payout")
    helper_net = _HELPER_LEG & Q(kind__in=["captured_payout", "refund_payout"])
    paid = Q(payment__provider__in=PAID_OUT_PROVIDERS)
    zero = Value(0, output_field=BigIntegerField())
    minus_one = Value(-1, output_field=BigIntegerField())
    return {
        # A full capture is a confirmed job; a partial one is a cancellation fee.
        "jobs_confirmed": Count(
            "job",
            distinct=True,
            filter=earned & Q(payment__amount_captured=F("payment__amount")),
        ),
        "gross": Coalesce(
            Sum(
                "amount",
                filter=Q(kind="captured_fee", account="platform") | earned,
            ),
            zero,
        ),
        "platform_fees": Coalesce(
            Sum("amount", filter=Q(kind="captured_fee", account="platform")), zero
        ),
        "earned": Coalesce(Sum("amount", filter=earned), zero),
        "clawed_back": Coalesce(Sum("amount", filter=clawed), zero) * minus_one,
        "net": Coalesce(Sum("amount", filter=helper_net), zero),
        "paid_out": Coalesce(Sum("amount", filter=helper_net & paid), zero),
        "pending": Coalesce(Sum("amount", filter=helper_net & ~paid), zero),
    }


def _helper_ledger(helper) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(
        job__assigned_helper=helper,
        account__in=["platform", "helper"],
        kind__in=["captured_fee", "captured_payout", "refund_payout"],
    )


def helper_earnings_by_month(*, helper, time_zone: str) -> list[dict]:
    """One row per month (in `time_zone`) and currency, newest first: jobs confirmed, gross job
    value, platform fees, payouts earned, refunds clawed back, net, paid out and pending. All
    amounts in minor units; gross − platform_fees == earned and earned − clawed_back == net."""
    month = TruncMonth("created_at", tzinfo=ZoneInfo(time_zone))
    rows = (
        _helper_ledger(helper)
        .annotate(month=month)
        .values("month", "currency")
        .annotate(**_earnings_figures())
        .order_by("-month", "currency")
    )
    return [{**row, "month": _as_date(row["month"])} for row in rows]


def helper_earnings_totals(*, helper) -> list[dict]:
    """The same figures over all time, one row per currency."""
    return list(
        _helper_ledger(helper)
        .values("currency")
        .annotate(**_earnings_figures())
        .order_by("currency")
    )


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


# --- Provider calls that need an operator's eye (the tasks page) --------------------------------


def provider_calls(*, status: str, limit: int = 50, now=None) -> QuerySet[ProviderCall]:
    """`failed`: calls refused for good, newest first, with their reason. `pending`: calls still
    waiting for the provider's answer past the first retry delay, oldest first; those out of
    automatic attempts (`attempts >= MAX_ATTEMPTS`) wait for an operator's "retry now"."""
    qs = ProviderCall.objects.select_related("payment").only(
        "id",
        "action",
        "idempotency_key",
        "params",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "done_at",
        "payment__job_id",
        "payment__currency",
        "payment__provider",
    )
    if status == CallStatus.FAILED:
        return qs.filter(status=CallStatus.FAILED).order_by("-done_at", "-id")[:limit]
    now = now or timezone.now()
    return qs.filter(
        status=CallStatus.PENDING, created_at__lte=now - timedelta(seconds=RETRY_AFTER_SECONDS)
    ).order_by("created_at", "id")[:limit]


def provider_call_counts(*, now=None) -> dict[str, int]:
    now = now or timezone.now()
    stuck = Q(
        status=CallStatus.PENDING, created_at__lte=now - timedelta(seconds=RETRY_AFTER_SECONDS)
    )
    return ProviderCall.objects.aggregate(
        failed=Count("id", filter=Q(status=CallStatus.FAILED)), pending=Count("id", filter=stuck)
    )
