"""Operator supply/demand pages (mounted under /operator/supply/, names operator:supply...)."""

urlpatterns: list = []
