from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "marketplace.jobs"
    label = "jobs"
    verbose_name = "Jobs"

    def ready(self):
        from marketplace.accounts.roles import register_customer_hold
        from marketplace.jobs.selectors import open_requests_hold

        register_customer_hold(open_requests_hold)
