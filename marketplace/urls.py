from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from marketplace.api import api
from marketplace.payments.views import stripe_webhook

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("payments/stripe/webhook/", stripe_webhook, name="stripe_webhook"),
    path("", include("marketplace.web.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
