"""The periodic supply/demand refresh (DESIGN §9). `run_scheduler` enqueues every periodic task
each round; this one does its work at most every SUPPLY_REFRESH_MINUTES and otherwise returns at
once, so that the scheduler's short interval stays right for offer expiry."""

import logging
from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from marketplace.supply.selectors import last_refresh
from marketplace.supply.services import supply_refresh

logger = logging.getLogger(__name__)


def refresh_if_due(*, now=None) -> int | None:
    """Run an incremental refresh when the last one is older than SUPPLY_REFRESH_MINUTES;
    return the number of rows written, or None when it was not due."""
    now = now or timezone.now()
    last = last_refresh()
    if last is not None and now - last.ran_at < timedelta(minutes=settings.SUPPLY_REFRESH_MINUTES):
        return None
    run = supply_refresh(now=now)
    logger.info(
        "supply refresh: %s day(s), %s row(s) in %s ms",
        run.days_recomputed,
        run.rows_written,
        run.duration_ms,
    )
    return run.rows_written


@task
def refresh_supply_stats() -> int | None:
    """Refresh the supply/demand figures (incremental) when due."""
    return refresh_if_due()
