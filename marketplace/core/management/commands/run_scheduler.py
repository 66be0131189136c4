"""Enqueue the periodic background tasks every --interval seconds (one scheduler per site;
any number of `db_worker` processes execute them)."""

import time

from django.core.management.base import BaseCommand

from marketplace.core.periodic import PERIODIC_TASKS


class Command(BaseCommand):
    help = "Enqueue the periodic tasks (marketplace/core/periodic.py) at a fixed interval."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=30.0, help="Seconds between rounds")
        parser.add_argument("--once", action="store_true", help="Enqueue one round and exit")

    def handle(self, *args, interval: float, once: bool, **options):
        while True:
            for periodic in PERIODIC_TASKS:
                periodic.enqueue()
            if once:
                self.stdout.write(f"enqueued {len(PERIODIC_TASKS)} periodic task(s)")
                return
            time.sleep(interval)
