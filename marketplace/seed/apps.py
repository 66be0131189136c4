from django.apps import AppConfig


class SeedConfig(AppConfig):
    """Demo data and the pilot scenarios. They call every app's services, so this app sits on
    top of all the others and nothing imports it (docs/architecture.md)."""

    name = "marketplace.seed"
    label = "seed"
