"""Payment pages: the customer pays (card mode), helpers set up payouts, operators refund and
export the bill-to-account lines."""

import csv
import re

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from marketplace.core.errors import DomainError
from marketplace.jobs.access import job_or_404
from marketplace.payments import booking, onboarding, selectors
from marketplace.payments import services as payment_services
from marketplace.payments.forms import RefundForm
from marketplace.payments.models import PaymentStatus, PayoutAccount
from marketplace.security.access import customer_required, helper_required, operator_required


@customer_required
@require_POST
def pay(request, job_id: int):
    job = job_or_404(request.user, job_id)
    try:
        payment = payment_services.payment_pay(
            job=job,
            customer=request.user,
            payment_method=request.POST.get("payment_method", ""),
            return_url=request.build_absolute_uri(f"/customer/jobs/{job.pk}/"),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if payment.status == PaymentStatus.AUTHORISED:
            messages.success(
                request, gettext("Payment authorised. You are charged only after the job.")
            )
        elif payment.status == PaymentStatus.REQUIRES_ACTION:
            messages.info(request, gettext("Your bank asks you to confirm the payment."))
        elif payment.status == PaymentStatus.FAILED:
            messages.error(
                request,
                gettext("The card was declined: %(reason)s") % {"reason": payment.failure_message},
            )
    return redirect("customer:job", job_id=job.pk)


@helper_required
def payouts(request):
    """Card mode: set up or finish the Stripe payout account. Invoice mode: nothing to do."""
    account = PayoutAccount.objects.filter(helper=request.user).first()
    if request.method == "POST":
        try:
            url, _ready = onboarding.onboarding_link(helper=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("helper:payouts")
        return redirect(url)
    return render(
        request,
        "helper/payouts.html",
        {"account": account, "card_mode": booking.card_payments()},
    )


@operator_required
@require_POST
def refund(request, job_id: int):
    job = job_or_404(request.user, job_id)
    payment = payment_services.payment_for_job(job)
    if payment is None:
        messages.error(request, gettext("This job has no payment."))
        return redirect("operator:job", job_id=job.pk)
    form = RefundForm(request.POST, currency=payment.currency)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("operator:job", job_id=job.pk)
    amount = form.fields["amount"].convert(form.cleaned_data["amount"])
    try:
        payment_services.payment_refund(
            payment=payment, amount=amount, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("Refund recorded."))
    return redirect("operator:job", job_id=job.pk)


PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@operator_required
def invoices(request):
    """Bill-to-account lines for one billing month, on screen or as CSV for the billing system."""
    period = request.GET.get("period") or timezone.localtime().strftime("%Y-%m")
    if not PERIOD.match(period):
        messages.error(request, gettext("Choose a month like 2026-11."))
        period = timezone.localtime().strftime("%Y-%m")
    lines = selectors.invoice_lines(period=period)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="invoice-lines-{period}.csv"'
        writer = csv.writer(response)
        writer.writerow(["reference", "customer_email", "job_id", "kind", "amount", "currency"])
        for line in lines:
            writer.writerow(
                [
                    line.reference,
                    line.customer.email,
                    line.job_id,
                    line.kind,
                    line.amount,
                    line.currency,
                ]
            )
        return response
    return render(request, "operator/invoices.html", {"lines": lines, "period": period})
