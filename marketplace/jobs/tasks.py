"""Background work (DESIGN §9) as django.tasks tasks. The database-backed worker
(`manage.py db_worker`, from django-tasks-db) runs them; `manage.py run_scheduler` enqueues the
periodic ones. Every task is idempotent: running it twice, or concurrently, changes nothing more
than running it once, because each state change is a conditional transition."""

import logging

from django.tasks import task

from marketplace.jobs.dispatch import offers_expire_due
from marketplace.jobs.services import jobs_auto_confirm_due

logger = logging.getLogger(__name__)


@task
def expire_due_offers() -> int:
    """Expire unanswered offers, widen the radius, expire jobs to the professional fallback."""
    count = offers_expire_due()
    if count:
        logger.info("expired offers on %s job(s)", count)
    return count


@task
def auto_confirm_completed_jobs() -> int:
    """Confirm jobs the customer left unconfirmed for AUTO_CONFIRM_HOURS."""
    count = jobs_auto_confirm_due()
    if count:
        logger.info("auto-confirmed %s job(s)", count)
    return count
