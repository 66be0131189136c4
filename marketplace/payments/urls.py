"""Payments' pages in the role areas (paying, payouts and earnings, refunds and invoices) and the
Stripe webhook. The project's URLconf mounts them."""

from django.urls import path

from marketplace.payments.views import earnings, pages, webhook

customer_patterns = [
    path("jobs/<int:job_id>/pay/", pages.pay, name="pay"),
]

helper_patterns = [
    path("payouts/", pages.payouts, name="payouts"),
    path("earnings/", earnings.earnings, name="earnings"),
]

operator_patterns = [
    path("jobs/<int:job_id>/refund/", pages.refund, name="refund"),
    path("invoices/", pages.invoices, name="invoices"),
]

webhook_patterns = [
    path("payments/stripe/webhook/", webhook.stripe_webhook, name="stripe_webhook"),
]
