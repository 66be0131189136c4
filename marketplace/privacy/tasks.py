"""Periodic retention (marketplace/periodic.py enqueues it every scheduler round)."""

import logging

from django.tasks import task

from marketplace.privacy.services import retention_apply

logger = logging.getLogger(__name__)


@task
def apply_retention() -> int:
    """Blank or delete personal data past its retention period (idempotent)."""
    done = retention_apply()
    total = sum(done.values())
    if total:
        logger.info("retention: %s", ", ".join(f"{k}={v}" for k, v in done.items() if v))
    return total
