"""Every periodic background task of the site, in one list: `manage.py run_scheduler` enqueues
them each round, the database-backed workers run them. Each app owns its tasks."""

from marketplace.economics.tasks import refresh_economics_rollup
from marketplace.jobs.tasks import auto_confirm_completed_jobs, expire_due_offers
from marketplace.payments.tasks import reconcile_payments
from marketplace.privacy.tasks import apply_retention
from marketplace.security.tasks import purge_rate_limits
from marketplace.supply.tasks import refresh_supply_stats

PERIODIC_TASKS = (
    expire_due_offers,
    auto_confirm_completed_jobs,
    reconcile_payments,
    refresh_supply_stats,
    refresh_economics_rollup,
    purge_rate_limits,
    apply_retention,
)
