"""The payment panels of the job pages, so that jobs' views need not import payments:

{% load payments %}
{% job_payment job as payment %}          the customer's page (None before acceptance)
{% operator_payment job as panel %}       the operator's page: panel.payment, .ledger,
                                          .refund_form
"""

from django import template

from marketplace.payments.forms import RefundForm
from marketplace.payments.selectors import ledger_for_job
from marketplace.payments.services import payment_for_job

register = template.Library()


@register.simple_tag
def job_payment(job):
    return payment_for_job(job)


@register.simple_tag
def operator_payment(job) -> dict:
    payment = payment_for_job(job)
    return {
        "payment": payment,
        "ledger": ledger_for_job(job_id=job.pk) if payment else [],
        "refund_form": RefundForm(currency=payment.currency) if payment else None,
    }
