"""Operator pricing pages (mounted under /operator/prices/, names operator:prices...)."""

urlpatterns: list = []
