import logging

from django.tasks import task

from marketplace.security.ratelimit import purge_expired

logger = logging.getLogger(__name__)


@task
def purge_rate_limits() -> int:
    """Delete rate-limit counters of finished windows (they are never read again)."""
    deleted = purge_expired()
    if deleted:
        logger.info("purged %s rate-limit counter(s)", deleted)
    return deleted
