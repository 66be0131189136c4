"""`manage.py seed_pilot --scenario poland|switzerland [--months N] [--seed S] [--reset]
[--end YYYY-MM-DD]`: a reproducible pilot for the economics dashboard. The logic and the
scenarios' facts are in marketplace.seed.pilot."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from marketplace.notifications.services import emails_muted
from marketplace.seed.pilot import (
    DEFAULT_SEED,
    SCENARIOS,
    PilotError,
    describe,
    seed_pilot,
)


class Command(BaseCommand):
    help = (
        "Seed a realistic pilot (Orange Polska 'Friends' or Swisscom) through the services. "
        "A second run of the same scenario is refused unless --reset replaces it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
        parser.add_argument(
            "--months",
            type=float,
            default=None,
            help="Length of the pilot (default: poland 6, switzerland 2); demand scales with it",
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Same seed, same pilot")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete this scenario's previous run (its pilot users and their data) first",
        )
        parser.add_argument(
            "--end",
            type=date.fromisoformat,
            default=None,
            help="Last day + 1 (YYYY-MM-DD, market time); default: the latest Monday at least "
            "three days ago",
        )

    def handle(self, *args, scenario, months, seed, reset, end, **options):
        try:
            with emails_muted():  # generated customers at example addresses: in-app only
                summary = seed_pilot(
                    scenario=scenario, months=months, seed=seed, reset=reset, end=end
                )
        except PilotError as exc:
            raise CommandError(str(exc)) from None
        describe(summary, self.stdout)
