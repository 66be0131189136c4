"""Enqueue the periodic background tasks every --interval seconds (one scheduler per site;
any number of `db_worker` processes execute them). The task table is the project's wiring,
`settings.PERIODIC_TASKS` (a dotted path, like ROOT_URLCONF), so core imports no app."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "Enqueue the periodic tasks (settings.PERIODIC_TASKS) at a fixed interval."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=30.0, help="Seconds between rounds")
        parser.add_argument("--once", action="store_true", help="Enqueue one round and exit")

    def handle(self, *args, interval: float, once: bool, **options):
        tasks = import_string(settings.PERIODIC_TASKS)
        while True:
            for periodic in tasks:
                periodic.enqueue()
            if once:
                self.stdout.write(f"enqueued {len(tasks)} periodic task(s)")
                return
            time.sleep(interval)
