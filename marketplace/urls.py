from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from marketplace.api import api
from marketplace.payments.views import stripe_webhook
from marketplace.web import views_account

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("payments/stripe/webhook/", stripe_webhook, name="stripe_webhook"),
    # The footer's language switcher: Django's set_language, also saving a signed-in user's choice.
    path("i18n/setlang/", views_account.set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/", views_account.account, name="account"),
    path("account/security/", include("marketplace.security.urls")),
    path("", include("marketplace.web.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
