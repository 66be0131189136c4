"""`manage.py seed_demo`: load the demo data (idempotent). The logic is in marketplace.seed.demo."""

from django.core.management.base import BaseCommand

from marketplace.notifications.services import emails_muted
from marketplace.seed.demo import seed_demo


class Command(BaseCommand):
    help = "Create demo users, helpers and jobs (safe to run again: creates nothing twice)."

    def handle(self, *args, **options):
        with emails_muted():  # demo accounts at example addresses: in-app only
            seed_demo(stdout=self.stdout)
