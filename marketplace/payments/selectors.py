"""Reads on payments: the ledger's invariants, per-job and per-period views, invoice export."""

from django.db.models import Q, QuerySet, Sum

from marketplace.payments.models import InvoiceLine, LedgerEntry, Payment, PaymentStatus


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
