"""Customer pages: request help, my jobs, job detail with confirm / cancel / review."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from marketplace.core.errors import DomainError
from marketplace.helpers.selectors import helper_profile_for
from marketplace.jobs import selectors, services
from marketplace.jobs.models import OFFERABLE, Fulfilment, JobStatus
from marketplace.payments.services import payment_for_job
from marketplace.web.access import (
    add_domain_error,
    attempt,
    customer_required,
    job_or_404,
)
from marketplace.web.forms import CancelForm, CustomerReviewForm, JobRequestForm
from marketplace.web.templatetags.money import format_money
from marketplace.web.timeline import timeline_entries

# The customer may cancel in these states (services.job_cancel enforces it; this only decides
# whether to offer the button).
CUSTOMER_CANCELLABLE = (*OFFERABLE, JobStatus.ACCEPTED)


@customer_required
def request_help(request):
    """Two steps on one page: the details give a quote (helper beside professional, with the
    saving); the customer then books one or the other. The choice is recorded on the job. If the
    price changed between the two steps, the new quote is shown again instead of booking."""
    form = JobRequestForm(request.POST or None, initial={"contact_phone": request.user.phone})
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        choice = request.POST.get("choice", "")
        try:
            preview = services.quote_at(
                category=data["category"], address=data["address"], lat=data["lat"], lng=data["lng"]
            )
            if choice and request.POST.get("quoted") != _quote_key(preview):
                messages.warning(request, "The price has changed; please check it again.")
            elif choice:
                job = services.job_post(
                    customer=request.user,
                    category=data["category"],
                    description=data["description"],
                    address=data["address"],
                    lat=data["lat"],
                    lng=data["lng"],
                    window_start=data["window_start"],
                    window_end=data["window_end"],
                    contact_phone=data["contact_phone"],
                    fulfilment=choice,
                )
                return _posted(request, job)
        except DomainError as exc:
            add_domain_error(form, exc, location_field="address")
            preview = None
    return render(
        request,
        "customer/request.html",
        {"form": form, "preview": preview, "quoted": _quote_key(preview) if preview else ""},
    )


def _quote_key(q) -> str:
    return f"{q.currency}:{q.helper_price}:{q.professional_price}"


def _posted(request, job):
    if job.fulfilment == Fulfilment.PROFESSIONAL:
        messages.success(request, _professional_message(job))
    else:
        messages.success(
            request,
            f"Request posted. Price: {format_money(job.price, job.currency)}. "
            "We are looking for a helper near you.",
        )
    return redirect("customer:job", job_id=job.pk)


def _professional_message(job) -> str:
    if job.professional_install_free:
        return (
            "Professional installation booked. It is free for you: your provider will contact "
            "you to arrange the technician's visit."
        )
    return (
        "Professional visit booked for "
        f"{format_money(job.professional_price, job.currency)}. Your provider will contact you "
        "to arrange the technician's visit."
    )


@customer_required
@require_POST
def book_professional(request, job_id: int):
    """The professional fallback in one click (after expiry, or instead of waiting)."""
    job = _own_job(request, job_id)
    try:
        job = services.job_book_professional(job=job, customer=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _professional_message(job))
    return redirect("customer:job", job_id=job.pk)


@customer_required
def my_jobs(request):
    jobs = selectors.jobs_for_customer(user=request.user)
    return render(request, "customer/jobs.html", {"jobs": jobs})


def _own_job(request, job_id: int):
    """The customer's own job; 404 for anyone else's (job_for_user hides other jobs)."""
    return job_or_404(request.user, job_id)


def _render_job(request, job, *, review_form=None, status=200):
    helper_profile = helper_profile_for(job.assigned_helper) if job.assigned_helper else None
    # Reviews have no selector yet (see the web report); this is the only direct query here.
    my_review = selectors.review_by(job=job, author=request.user)
    can_review = job.status == JobStatus.CONFIRMED and my_review is None and job.assigned_helper
    context = {
        "job": job,
        "timeline": timeline_entries(selectors.job_timeline(job=job)),
        "helper_profile": helper_profile,
        "can_cancel": job.status in CUSTOMER_CANCELLABLE,
        "cancellation_fee": services.cancellation_fee_for(job=job, now=timezone.now()),
        "my_review": my_review,
        "review_form": (review_form or CustomerReviewForm()) if can_review else None,
        "saving": job.professional_price - job.price,
        "payment": payment_for_job(job),
        "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
    }
    return render(request, "customer/job.html", context, status=status)


@customer_required
def job_detail(request, job_id: int):
    return _render_job(request, _own_job(request, job_id))


@customer_required
@require_POST
def confirm(request, job_id: int):
    job = _own_job(request, job_id)
    attempt(
        request,
        lambda: services.job_confirm(job=job, actor=request.user),
        success="Thank you! The job is confirmed and the helper will be paid.",
    )
    return redirect("customer:job", job_id=job.pk)


@customer_required
def cancel(request, job_id: int):
    """GET shows what cancelling costs now; POST cancels if the fee is still what was shown."""
    job = _own_job(request, job_id)
    if job.status not in CUSTOMER_CANCELLABLE:
        messages.error(
            request, f"This job is {job.get_status_display().lower()}; it cannot be cancelled."
        )
        return redirect("customer:job", job_id=job.pk)
    fee = services.cancellation_fee_for(job=job, now=timezone.now())
    form = CancelForm(request.POST or None, initial={"expected_fee": fee})
    if request.method == "POST" and form.is_valid():
        if fee > form.cleaned_data["expected_fee"]:
            form = CancelForm(initial={"expected_fee": fee, "reason": form.cleaned_data["reason"]})
            messages.warning(
                request,
                f"The cancellation fee is now {format_money(fee, job.currency)}. "
                "Please confirm again.",
            )
        else:
            try:
                job = services.job_cancel(
                    job=job, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                charged = job.cancellation_fee
                messages.success(
                    request,
                    "Your request is cancelled"
                    + (
                        f"; a fee of {format_money(charged, job.currency)} applies."
                        if charged
                        else "."
                    ),
                )
                return redirect("customer:job", job_id=job.pk)
    return render(request, "customer/cancel.html", {"job": job, "form": form, "fee": fee})


@customer_required
@require_POST
def review(request, job_id: int):
    job = _own_job(request, job_id)
    form = CustomerReviewForm(request.POST)
    if form.is_valid():
        try:
            services.review_create(
                job=job,
                author=request.user,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                nps=form.cleaned_data["nps"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Thanks for your review!")
        return redirect("customer:job", job_id=job.pk)
    return _render_job(request, job, review_form=form)
