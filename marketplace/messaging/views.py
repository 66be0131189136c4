"""Web: post into a job's thread from the customer, helper or operator job page (plain form
POST, no JavaScript). The thread itself is rendered by templates/partials/messages_thread.html."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace.core.errors import DomainError, NotFound
from marketplace.jobs.access import job_or_404
from marketplace.messaging import services
from marketplace.security.access import customer_required, helper_required, operator_required


def _post(request, job_id: int, namespace: str):
    job = job_or_404(request.user, job_id)
    try:
        services.message_post(job=job, author=request.user, body=request.POST.get("body", ""))
    except NotFound:
        raise Http404("Job not found") from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Message sent."))
    return redirect(reverse(f"{namespace}:job", args=[job.pk]) + "#messages")


@customer_required
@require_POST
def customer_post(request, job_id: int):
    return _post(request, job_id, "customer")


@helper_required
@require_POST
def helper_post(request, job_id: int):
    return _post(request, job_id, "helper")


@operator_required
@require_POST
def operator_post(request, job_id: int):
    return _post(request, job_id, "operator")
