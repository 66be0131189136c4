"""Customer pages: request help, my jobs, job detail with confirm / cancel / review."""

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from marketplace.core.errors import DomainError
from marketplace.core.money import format_money
from marketplace.core.pages import add_domain_error, attempt
from marketplace.helpers.selectors import helper_profile_for
from marketplace.jobs import selectors, services
from marketplace.jobs.access import job_or_404
from marketplace.jobs.forms import (
    CancelForm,
    CustomerReviewForm,
    JobRequestForm,
    ProfessionalWindowForm,
)
from marketplace.jobs.models import OFFERABLE, Fulfilment, JobStatus
from marketplace.jobs.timeline import timeline_entries
from marketplace.pricing.services import quote
from marketplace.security.access import customer_required
from marketplace.security.ratelimit import rate_limit

# The customer may cancel in these states (services.job_cancel enforces it; this only decides
# whether to offer the button).
CUSTOMER_CANCELLABLE = (*OFFERABLE, JobStatus.ACCEPTED)


@customer_required
@rate_limit("job_post", key="user", when=lambda request: bool(request.POST.get("choice")))
def request_help(request):
    """Two steps on one page: the details give a quote (helper beside professional, with the
    saving); the customer then books one or the other. The choice is recorded on the job. If the
    price changed between the two steps, the new quote is shown again instead of booking."""
    form = JobRequestForm(request.POST or None, initial={"contact_phone": request.user.phone})
    preview = location = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        choice = request.POST.get("choice", "")
        try:
            # services.quote_at, with the place kept: the page says how precisely the address
            # placed the customer (a town centre only?) before they book, and is geocoded once.
            location = services.resolve_location(
                address=data["address"], lat=data["lat"], lng=data["lng"]
            )
            preview = quote(
                market=services.market_for_country(location.country), category=data["category"]
            )
            if choice and request.POST.get("quoted") != _quote_key(preview):
                messages.warning(request, gettext("The price has changed; please check it again."))
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
            preview = location = None
    return render(
        request,
        "customer/request.html",
        {
            "form": form,
            "preview": preview,
            "location": location,
            "quoted": _quote_key(preview) if preview else "",
        },
    )


def _quote_key(q) -> str:
    return f"{q.currency}:{q.helper_price}:{q.professional_price}"


def _posted(request, job):
    if job.fulfilment == Fulfilment.PROFESSIONAL:
        messages.success(request, _professional_message(job))
    else:
        messages.success(
            request,
            gettext("Request posted. Price: %(price)s. We are looking for a helper near you.")
            % {"price": format_money(job.price, job.currency)},
        )
    return redirect("customer:job", job_id=job.pk)


def _professional_message(job) -> str:
    if job.professional_install_free:
        return gettext(
            "Professional installation booked. It is free for you: your provider will contact "
            "you to arrange the technician's visit."
        )
    return gettext(
        "Professional visit booked for %(price)s. Your provider will contact you "
        "to arrange the technician's visit."
    ) % {"price": format_money(job.professional_price, job.currency)}


@customer_required
@require_POST
def book_professional(request, job_id: int):
    """The professional fallback in one click (after expiry, or instead of waiting). When the
    job's time window is over, the page asks for a new one first (ProfessionalWindowForm)."""
    job = _own_job(request, job_id)
    window = {}
    if "window_start" in request.POST:
        form = ProfessionalWindowForm(request.POST, time_zone=job.market.time_zone)
        if not form.is_valid():
            return _render_job(request, job, window_form=form, status=422)
        window = form.cleaned_data
    try:
        job = services.job_book_professional(job=job, customer=request.user, **window)
    except DomainError as exc:
        if window:
            form.add_error(None, exc.message)
            return _render_job(request, job, window_form=form, status=422)
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


def _render_job(request, job, *, review_form=None, window_form=None, status=200):
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
        "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        # A technician cannot come in a window that is over: ask for a new one first.
        "window_over": job.window_end <= timezone.now(),
        "window_form": window_form or ProfessionalWindowForm(time_zone=job.market.time_zone),
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
    """GET shows what cancelling costs now, with the market's policy. POST cancels only if the
    fee is still exactly the one shown (carried in a hidden field): the fee is computed by
    `services.job_cancel` on the locked row and compared in the same transaction, which is rolled
    back when they differ (the free period ended, or a helper accepted or gave the job back in
    between); the page is then shown again with the new fee. Nothing is charged silently."""
    job = _own_job(request, job_id)
    if job.status not in CUSTOMER_CANCELLABLE:
        messages.error(
            request,
            gettext("This job is %(status)s; it cannot be cancelled.")
            % {"status": job.get_status_display().lower()},
        )
        return redirect("customer:job", job_id=job.pk)
    now = timezone.now()
    fee = services.cancellation_fee_for(job=job, now=now)
    form = CancelForm(initial={"expected_fee": fee})
    if request.method == "POST":
        form = CancelForm(request.POST)
        if form.is_valid():
            shown, reason = form.cleaned_data["expected_fee"], form.cleaned_data["reason"]
            try:
                with transaction.atomic():
                    cancelled = services.job_cancel(
                        job=job, actor=request.user, reason=reason, now=now
                    )
                    if cancelled.cancellation_fee != shown:
                        transaction.set_rollback(True)  # also drops the payment follow-up
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                if cancelled.cancellation_fee == shown:
                    return _cancelled(request, cancelled)
                fee = cancelled.cancellation_fee
                form = CancelForm(initial={"expected_fee": fee, "reason": reason})
                messages.warning(request, _fee_changed_message(fee, job.currency))
        elif form["expected_fee"].value() != str(fee):
            # Shown again with errors: the page and the hidden field carry today's fee.
            data = request.POST.copy()
            data["expected_fee"] = str(fee)
            form = CancelForm(data)
            form.is_valid()
    policy = services.cancellation_policy(job=job, now=now)
    context = {
        "job": job,
        "form": form,
        "fee": fee,
        "policy_fee": policy.fee,
        "free_minutes": policy.free_minutes,
        "free_until": policy.free_until,
    }
    return render(request, "customer/cancel.html", context)


def _fee_changed_message(fee: int, currency: str) -> str:
    if fee:
        return gettext("The cancellation fee is now %(fee)s. Please confirm again.") % {
            "fee": format_money(fee, currency)
        }
    return gettext("Cancelling is now free. Please confirm again.")


def _cancelled(request, job):
    if job.cancellation_fee:
        text = gettext("Your request is cancelled; a fee of %(fee)s applies.") % {
            "fee": format_money(job.cancellation_fee, job.currency)
        }
    else:
        text = gettext("Your request is cancelled.")
    messages.success(request, text)
    return redirect("customer:job", job_id=job.pk)


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
            messages.success(request, gettext("Thanks for your review!"))
        return redirect("customer:job", job_id=job.pk)
    return _render_job(request, job, review_form=form)


@customer_required
@require_POST
def dispute_open(request, job_id: int):
    """Report a problem on a completed job; an operator decides (see jobs/disputes.py)."""
    from django.utils.translation import gettext as _

    from marketplace.jobs import disputes

    job = _own_job(request, job_id)
    attempt(
        request,
        lambda: disputes.dispute_open(
            job=job, customer=request.user, reason=request.POST.get("reason", "")
        ),
        success=_(
            "Thank you for telling us. The payment is on hold and an operator will look into it."
        ),
    )
    return redirect("customer:job", job_id=job.pk)
