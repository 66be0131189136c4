"""Operator supply/demand pages (mounted under /operator/supply/, names operator:supply...)."""

from django.urls import path

from marketplace.supply import views as views_supply

urlpatterns = [
    path("", views_supply.supply, name="supply"),
    path("apply/", views_supply.apply_suggestion, name="supply_apply"),
    path("refresh/", views_supply.refresh, name="supply_refresh"),
]
