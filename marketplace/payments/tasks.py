"""Periodic payment work, idempotent like every task here."""

import logging

from django.tasks import task

from marketplace.payments.services import (
    authorisations_expiring,
    payments_follow_jobs,
    provider_calls_retry_due,
)

logger = logging.getLogger(__name__)


@task
def reconcile_payments() -> dict:
    """Retry provider calls whose outcome is unknown (same idempotency keys), settle payments
    whose job moved on, and capture or release card authorisations before they lapse."""
    result = {
        "retried": provider_calls_retry_due(),
        "followed": payments_follow_jobs(),
        "expiring": authorisations_expiring(),
    }
    if any(result.values()):
        logger.info("payments reconciled: %s", result)
    return result
