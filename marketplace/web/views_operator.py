"""Operator pages: the vetting queue, helpers (suspend / reinstate), and jobs.

Everything else operators need lives in the Django admin.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from marketplace.core.errors import DomainError
from marketplace.helpers import services as helper_services
from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.helpers.selectors import helpers_by_status, vetting_queue
from marketplace.jobs import selectors, services
from marketplace.jobs.models import ASSIGNED, OFFERABLE, JobStatus
from marketplace.payments.selectors import ledger_for_job
from marketplace.payments.services import payment_for_job
from marketplace.web.access import attempt, job_or_404, operator_required
from marketplace.web.forms import OperatorJobFilterForm, ReasonForm, VetForm
from marketplace.web.timeline import timeline_entries
from marketplace.web.views_payments import RefundForm

PAGE_SIZE = 50
OPERATOR_CANCELLABLE = (*OFFERABLE, JobStatus.ACCEPTED, JobStatus.IN_PROGRESS)
HELPER_LIST_STATUSES = [
    (HelperStatus.VETTED, gettext_lazy("Vetted")),
    (HelperStatus.SUSPENDED, gettext_lazy("Suspended")),
    (HelperStatus.REJECTED, gettext_lazy("Rejected")),
]


def _back(request, default: str):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


@operator_required
def vetting(request):
    return render(
        request,
        "operator/vetting.html",
        {"applications": vetting_queue(), "vet_form": VetForm(), "reason_form": ReasonForm()},
    )


@operator_required
def helpers(request):
    status = request.GET.get("status") or HelperStatus.VETTED
    if status not in dict(HELPER_LIST_STATUSES):
        status = HelperStatus.VETTED
    profiles = helpers_by_status(status=status)
    page = Paginator(profiles, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "operator/helpers.html",
        {
            "page": page,
            "status": status,
            "statuses": HELPER_LIST_STATUSES,
            "reason_form": ReasonForm(),
            "vet_form": VetForm(),
        },
    )


def _profile(profile_id: int) -> HelperProfile:
    return get_object_or_404(HelperProfile.objects.select_related("user"), pk=profile_id)


@operator_required
@require_POST
def vet(request, profile_id: int):
    profile = _profile(profile_id)
    form = VetForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["id_checked"][0])
    else:
        attempt(
            request,
            lambda: helper_services.helper_vet(
                profile=profile, actor=request.user, id_checked=form.cleaned_data["id_checked"]
            ),
            success=gettext("%(name)s is vetted and can receive offers.")
            % {"name": profile.user.display_name},
        )
    return _back(request, "operator:vetting")


def _with_reason(request, profile_id: int, service, *, success: str):
    profile = _profile(profile_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Give a reason (at most 300 characters)."))
    else:
        attempt(
            request,
            lambda: service(
                profile=profile, actor=request.user, reason=form.cleaned_data["reason"]
            ),
            success=str(success) % {"name": profile.user.display_name},
        )
    return _back(request, "operator:vetting")


@operator_required
@require_POST
def reject(request, profile_id: int):
    return _with_reason(
        request,
        profile_id,
        helper_services.helper_reject,
        success=gettext_lazy("%(name)s's application is rejected."),
    )


@operator_required
@require_POST
def suspend(request, profile_id: int):
    return _with_reason(
        request,
        profile_id,
        helper_services.helper_suspend,
        success=gettext_lazy("%(name)s is suspended."),
    )


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
            **_payment_context(job),
        },
    )


def _payment_context(job) -> dict:
    payment = payment_for_job(job)
    return {
        "payment": payment,
        "ledger": ledger_for_job(job_id=job.pk) if payment else [],
        "refund_form": RefundForm(currency=payment.currency) if payment else None,
    }


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
    from marketplace.web.forms_pricing import TwoDecimalField

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
