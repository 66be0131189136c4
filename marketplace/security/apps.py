from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "marketplace.security"
    label = "security"
    verbose_name = "Security"

    def ready(self):
        from django.contrib.auth.signals import user_login_failed

        from marketplace.security import audit

        user_login_failed.connect(audit.on_login_failed, dispatch_uid="security-login-failed")
