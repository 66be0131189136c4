"""The periodic economics rollup refresh. `run_scheduler` enqueues every periodic task each
round; this one works at most every ECONOMICS_ROLLUP_MINUTES and otherwise returns at once."""

import logging
from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from marketplace.economics.rollup import latest_run, rollup_refresh

logger = logging.getLogger(__name__)


def rollup_if_due(*, now=None) -> int | None:
    """Bring the rollup up to date when the last refresh is older than
    ECONOMICS_ROLLUP_MINUTES; return the rows written, or None when it was not due."""
    now = now or timezone.now()
    last = latest_run()
    interval = timedelta(minutes=settings.ECONOMICS_ROLLUP_MINUTES)
    if last is not None and now - last.ran_at < interval:
        return None
    run = rollup_refresh(now=now)
    logger.info(
        "economics rollup: %s day(s), %s row(s) in %s ms%s",
        run.days_recomputed,
        run.rows_written,
        run.duration_ms,
        " (full)" if run.full else "",
    )
    return run.rows_written


@task
def refresh_economics_rollup() -> int | None:
    """Refresh the economics rollup (incremental) when due."""
    return rollup_if_due()
