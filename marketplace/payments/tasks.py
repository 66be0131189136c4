"""Periodic payment work, idempotent like every task here."""

import logging

from django.tasks import task

from marketplace.payments.reconcile import (
    ReconciliationIncomplete,
    authorisations_expiring,
    payments_follow_jobs,
    provider_calls_retry_due,
)

logger = logging.getLogger(__name__)

STEPS = (
    ("retried", provider_calls_retry_due),
    ("followed", payments_follow_jobs),
    ("expiring", authorisations_expiring),
)


@task
def reconcile_payments() -> dict:
    """Retry provider calls whose outcome is unknown (same idempotency keys), settle payments
    whose job moved on, and capture or release card authorisations before they lapse. Each step
    runs even when an earlier one raised; a step that raised fails the run afterwards."""
    result, errors = {}, []
    for name, step in STEPS:
        try:
            result[name] = step()
        except ReconciliationIncomplete as exc:  # the step went on past its failed items
            errors += exc.errors
        except Exception as exc:
            logger.exception("payment reconciliation step %s raised", name)
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
    if errors:
        raise ReconciliationIncomplete("payment reconciliation", errors)
    if any(result.values()):
        logger.info("payments reconciled: %s", result)
    return result
