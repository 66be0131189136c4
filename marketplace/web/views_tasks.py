"""Operators' view of the background queue (/operator/tasks/): recent failed runs with their
error and attempt number, pending runs, and "retry now" for a failed one. Included under the
operator namespace by marketplace/web/urls.py (`operator:tasks`, `operator:task_retry`)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from marketplace.core import tasks
from marketplace.core.errors import DomainError
from marketplace.web.access import operator_required

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
        },
    )


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
]
