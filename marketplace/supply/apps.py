from django.apps import AppConfig


class SupplyConfig(AppConfig):
    name = "marketplace.supply"
    label = "supply"
    verbose_name = "Supply and demand"
