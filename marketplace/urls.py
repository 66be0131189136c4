"""The project's URLconf: it mounts every app's pages and the API, and nothing else.

Each app has its own `urls.py`. Role areas are namespaces made of several apps' pages:
customer:*, helper:*, operator:* (an app lists its part as `customer_patterns`,
`helper_patterns`, `operator_patterns`); the shell's and the public pages have global names."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from marketplace.accounts import views as account_views
from marketplace.api import api
from marketplace.helpers import urls as helpers_urls
from marketplace.jobs import urls as jobs_urls
from marketplace.messaging import urls as messaging_urls
from marketplace.payments import urls as payments_urls
from marketplace.photos import urls as photos_urls

customer_patterns = [
    *jobs_urls.customer_patterns,
    *messaging_urls.customer_patterns,
    *photos_urls.customer_patterns,
    *payments_urls.customer_patterns,
]

helper_patterns = [
    *helpers_urls.helper_patterns,
    *jobs_urls.helper_patterns,
    *messaging_urls.helper_patterns,
    *photos_urls.helper_patterns,
    *payments_urls.helper_patterns,
]

operator_patterns = [
    *helpers_urls.operator_patterns,
    *jobs_urls.operator_patterns,
    *messaging_urls.operator_patterns,
    *payments_urls.operator_patterns,
    # These join the enclosing "operator" namespace (no app_name of their own).
    path("prices/", include("marketplace.pricing.urls")),
    path("markets/", include("marketplace.pricing.views.markets")),
    path("supply/", include("marketplace.supply.urls")),
    path("economics/", include("marketplace.economics.urls")),
    path("tasks/", include("marketplace.web.views_tasks")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    *payments_urls.webhook_patterns,
    # The footer's language switcher: Django's set_language, also saving a signed-in user's choice.
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/", account_views.account, name="account"),
    path("account/security/", include("marketplace.accounts.urls")),
    path("account/privacy/", include("marketplace.privacy.views")),
    path("notifications/", include("marketplace.notifications.urls")),
    path("customer/", include((customer_patterns, "customer"))),
    path("helper/", include((helper_patterns, "helper"))),
    path("operator/", include((operator_patterns, "operator"))),
    *jobs_urls.public_patterns,
    *photos_urls.public_patterns,
    path("", include("marketplace.web.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
