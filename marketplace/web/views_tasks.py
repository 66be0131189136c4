"""Operators' view of the background queue (/operator/tasks/): recent failed runs with their
error and attempt number, pending runs, and "retry now" for a failed one; below them the
payment provider calls that failed or still wait for the provider, with "retry now". Included
under the operator namespace by marketplace/urls.py (`operator:tasks`, `operator:task_retry`,
`operator:payment_call_retry`)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from marketplace.core import tasks
from marketplace.core.errors import DomainError
from marketplace.payments import reconcile as payment_reconcile
from marketplace.payments import selectors as payment_selectors
from marketplace.security.access import operator_required

LIMIT = 50


@operator_required
def task_list(request):
    return render(
        request,
        "operator/tasks.html",
        {
            "failed": tasks.task_runs(status="failed", limit=LIMIT),
            "pending": tasks.task_runs(status="pending", limit=LIMIT),
            "counts": tasks.task_run_counts(),
            "limit": LIMIT,
            "failed_calls": payment_selectors.provider_calls(status="failed", limit=LIMIT),
            "pending_calls": payment_selectors.provider_calls(status="pending", limit=LIMIT),
            "call_counts": payment_selectors.provider_call_counts(),
            "max_attempts": payment_reconcile.MAX_ATTEMPTS,
        },
    )


@operator_required
@require_POST
def payment_call_retry(request, call_id: int):
    try:
        call = payment_reconcile.provider_call_retry_now(call_id=call_id, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if call.status == "succeeded":
            messages.success(request, gettext("The payment call went through."))
        elif call.status == "failed":
            messages.error(
                request,
                gettext("The payment call failed: %(reason)s") % {"reason": call.last_error},
            )
        else:
            messages.info(request, gettext("The provider did not answer yet; it will be retried."))
    return redirect("operator:tasks")


@operator_required
@require_POST
def task_retry(request, result_id):
    try:
        run = tasks.task_retry_now(result_id=str(result_id))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("%(task)s will run again now.") % {"task": run.name})
    return redirect("operator:tasks")


urlpatterns = [
    path("", task_list, name="tasks"),
    path("<uuid:result_id>/retry/", task_retry, name="task_retry"),
    path("payment-calls/<int:call_id>/retry/", payment_call_retry, name="payment_call_retry"),
]
