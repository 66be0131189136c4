from django.apps import AppConfig


class HelpersConfig(AppConfig):
    name = "marketplace.helpers"
    label = "helpers"
    verbose_name = "Helpers"
