"""Double-entry ledger. A movement moves `amount` from one account to another as two legs that
sum to zero; recording the same movement twice (a webhook and the synchronous answer, a retry)
writes nothing the second time.

Movements per payment (amount in minor units):
  authorised       customer → hold       the amount authorised
  captured_fee     hold → platform       the platform fee of what was captured
  captured_payout  hold → helper         the helper's share of what was captured
  released         hold → customer       what was authorised but not captured
  refund_fee       platform → customer   platform fee given back
  refund_payout    helper → customer     helper share given back (reverse transfer)
"""

from django.db import IntegrityError, transaction
from django.db.models import Sum

from marketplace.payments.models import Account, LedgerEntry, Payment


def record(
    *, payment: Payment, movement: str, kind: str, source: str, target: str, amount: int, now
) -> bool:
    """Move `amount` from `source` to `target`. False when the movement was already recorded."""
    if amount < 0:
        raise ValueError("amounts are moved in the positive direction")
    if amount == 0:
        return False
    name = f"{payment.pk}:{movement}"
    if LedgerEntry.objects.filter(movement=name).exists():
        return False
    common = {
        "job_id": payment.job_id,
        "payment": payment,
        "movement": name,
        "kind": kind,
        "currency": payment.currency,
        "created_at": now,
    }
    try:
        with transaction.atomic():
            LedgerEntry.objects.bulk_create(
                [
                    LedgerEntry(account=source, amount=-amount, **common),
                    LedgerEntry(account=target, amount=amount, **common),
                ]
            )
    except IntegrityError:  # a concurrent writer recorded it first
        return False
    return True


def balances(*, job_id: int) -> dict[str, int]:
    rows = (
        LedgerEntry.objects.filter(job_id=job_id)
        .values("account")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    result = {a.value: 0 for a in Account}
    result.update({r["account"]: r["total"] for r in rows})
    return result
