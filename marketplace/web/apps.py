from django.apps import AppConfig


class WebConfig(AppConfig):
    """Server-rendered pages. Installed so that Django finds `templatetags/` (the money filter)."""

    name = "marketplace.web"
    label = "web"
    verbose_name = "Web UI"
