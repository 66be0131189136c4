"""Operator pricing pages (mounted under /operator/prices/, names operator:prices...).

No `app_name` here on purpose: the patterns join the enclosing "operator" namespace."""

from django.urls import path

from marketplace.pricing.views import prices as views_pricing

urlpatterns = [
    path("", views_pricing.prices, name="prices"),
    path("<int:entry_id>/edit/", views_pricing.price_edit, name="price_edit"),
    path("markets/<int:market_id>/edit/", views_pricing.market_edit, name="market_edit"),
    path("history/", views_pricing.price_history, name="price_history"),
]
