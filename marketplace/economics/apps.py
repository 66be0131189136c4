from django.apps import AppConfig


class EconomicsConfig(AppConfig):
    name = "marketplace.economics"
    label = "economics"
    verbose_name = "Operator economics"
