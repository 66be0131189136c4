"""Operator economics pages (mounted under /operator/economics/, names operator:economics...)."""

from django.urls import path

from marketplace.economics import views as views_economics

urlpatterns = [
    path("", views_economics.dashboard, name="economics"),
    path("what-if/", views_economics.whatif_page, name="economics_whatif"),
    path("export.csv", views_economics.csv_export, name="economics_csv"),
    path("report/", views_economics.report, name="economics_report"),
]
