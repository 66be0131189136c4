"""Operator job pages: the job list, a job, cancelling it and deciding a dispute (vetting and
the helper list are in helpers.views).

Everything else operators need lives in the Django admin.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from marketplace.core.errors import DomainError
from marketplace.core.forms import ReasonForm
from marketplace.core.pages import PAGE_SIZE, attempt
from marketplace.jobs import selectors, services
from marketplace.jobs.access import job_or_404
from marketplace.jobs.forms import OperatorJobFilterForm
from marketplace.jobs.models import ASSIGNED, OFFERABLE, JobStatus
from marketplace.jobs.timeline import timeline_entries
from marketplace.security.access import operator_required

OPERATOR_CANCELLABLE = (*OFFERABLE, JobStatus.ACCEPTED, JobStatus.IN_PROGRESS)


@operator_required
def jobs(request):
    form = OperatorJobFilterForm(request.GET or None, statuses=JobStatus.choices)
    status = form.cleaned_data["status"] if form.is_valid() else None
    qs = selectors.jobs_for_operator(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "operator/jobs.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@operator_required
def job_detail(request, job_id: int):
    job = job_or_404(request.user, job_id)
    return render(
        request,
        "operator/job.html",
        {
            "job": job,
            "timeline": timeline_entries(selectors.job_timeline(job=job)),
            "can_cancel": job.status in OPERATOR_CANCELLABLE,
            "assigned": job.status in ASSIGNED,
            "reason_form": ReasonForm(),
        },
    )


@operator_required
@require_POST
def job_cancel(request, job_id: int):
    job = job_or_404(request.user, job_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Give a reason (at most 300 characters)."))
    else:
        try:
            services.job_cancel(job=job, actor=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                gettext("Job #%(id)s is cancelled (no fee for the customer).") % {"id": job.pk},
            )
    return redirect("operator:job", job_id=job.pk)


@operator_required
@require_POST
def dispute_resolve(request, job_id: int):
    """Confirm a disputed job for the helper, or refund the customer (amount blank: all)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from marketplace.jobs import disputes
    from marketplace.pricing.forms import TwoDecimalField

    job = job_or_404(request.user, job_id)
    outcome = request.POST.get("outcome", "")
    amount = None
    raw = request.POST.get("amount", "").strip()
    if outcome == "refund" and raw:
        field = TwoDecimalField(min_value=0)
        try:
            amount = field.convert(field.clean(raw))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("operator:job", job_id=job.pk)
    attempt(
        request,
        lambda: disputes.dispute_resolve(
            job=job,
            operator=request.user,
            outcome=outcome,
            note=request.POST.get("note", ""),
            refund_amount=amount,
        ),
        success=_("The dispute is resolved."),
    )
    return redirect("operator:job", job_id=job.pk)
