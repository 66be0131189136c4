"""Settle or fail every payment provider call left pending (the repair for calls stuck before
refunds were reserved, and for any call out of automatic attempts).

Each call is checked against the ledger under the payment's row lock: one that no longer fits
(say, a refund beyond what is left) is failed with the ledger's reason and never reaches the
provider; the others are sent again with their original idempotency key, so the provider acts
at most once. Safe to run while the worker runs, and to run twice.

    manage.py payments_settle_stuck_calls [--older-than-minutes 1] [--dry-run]
"""

from datetime import timedelta

from django.core.management.base import BaseCommand

from marketplace.payments.models import CallStatus, ProviderCall
from marketplace.payments.reconcile import stuck_calls_settle


class Command(BaseCommand):
    help = "Settle or fail, with a reason, every payment provider call left pending."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-minutes",
            type=int,
            default=1,
            help="Only calls pending for longer than this (default 1: leave calls in flight)",
        )
        parser.add_argument("--dry-run", action="store_true", help="List the calls; change nothing")

    def handle(self, *args, older_than_minutes: int, dry_run: bool, **options):
        older_than = timedelta(minutes=max(0, older_than_minutes))
        if dry_run:
            from django.utils import timezone

            pending = ProviderCall.objects.filter(
                status=CallStatus.PENDING, created_at__lte=timezone.now() - older_than
            ).order_by("created_at", "id")
            for call in pending:
                self.stdout.write(f"pending   {call.idempotency_key}  {call.last_error}")
            self.stdout.write(f"{len(pending)} pending call(s); nothing changed (--dry-run)")
            return
        calls = stuck_calls_settle(older_than=older_than)
        counts = {CallStatus.SUCCEEDED: 0, CallStatus.FAILED: 0, CallStatus.PENDING: 0}
        for call in calls:
            counts[call.status] += 1
            detail = f"  {call.last_error}" if call.last_error else ""
            self.stdout.write(f"{call.status:<9} {call.idempotency_key}{detail}")
        self.stdout.write(
            f"{counts['succeeded']} settled, {counts['failed']} failed with a reason, "
            f"{counts['pending']} still waiting for the provider"
        )
