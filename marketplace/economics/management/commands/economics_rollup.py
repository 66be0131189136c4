"""`manage.py economics_rollup [--rebuild]`: bring the economics rollup up to date now (what
the periodic task does), or rebuild every day from the rows (after restoring a backup, deleting
jobs by hand, or to check that nothing drifted)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from marketplace.economics.models import RollupRun
from marketplace.economics.rollup import rollup_refresh


class Command(BaseCommand):
    help = "Refresh the economics rollup (incremental), or rebuild it with --rebuild."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild", action="store_true", help="recompute every day, not only changed ones"
        )

    def handle(self, *args, rebuild: bool = False, **options):
        with transaction.atomic():
            if rebuild:
                RollupRun.objects.all().delete()  # no trusted run: the refresh does every day
            run = rollup_refresh()
        self.stdout.write(
            f"economics rollup ({'full' if run.full else 'incremental'}): "
            f"{run.days_recomputed} day(s), {run.rows_written} row(s) in {run.duration_ms} ms"
        )
