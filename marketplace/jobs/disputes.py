"""Disputes (DESIGN §3): the customer objects to completed work; an operator decides.

* `dispute_open`: only the job's customer, only while the job is COMPLETED (done by the helper,
  not yet confirmed). The job moves to DISPUTED through `transition()`, which also takes it out
  of automatic confirmation (`jobs_auto_confirm_due` looks at COMPLETED jobs only).
* `dispute_resolve`: an operator either
  - confirms for the helper: DISPUTED → CONFIRMED; the payment is captured by the usual
    follow-up after commit, exactly as when the customer confirms; or
  - refunds the customer, in full or in part: DISPUTED → CANCELLED (cancelled by "operator").
    While the money is only authorised, nothing is refunded: the job's `cancellation_fee` is set
    to what the customer still pays and the usual follow-up captures that much and releases the
    rest (all of it for a full refund). If the payment was already captured, the job closes
    first and `payment_refund` then gives the amount back (fee and payout in proportion).
  Either way the decision is a JobEvent ("dispute_resolved") naming the operator, with the note.

Job state first, money after (no provider call inside the job's transaction), as everywhere.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.accounts.models import User
from marketplace.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from marketplace.jobs.models import Dispute, DisputeOutcome, JobRequest, JobStatus
from marketplace.jobs.transitions import transition
from marketplace.payments import booking

MAX_TEXT = 2000


def _text(value: str, *, empty: str, name: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(empty)
    if len(value) > MAX_TEXT:
        raise ValidationFailed(
            _("The %(name)s can be at most %(max)d characters.") % {"name": name, "max": MAX_TEXT}
        )
    return value


@transaction.atomic
def dispute_open(
    *, job: JobRequest, customer: User, reason: str, now: datetime | None = None
) -> Dispute:
    now = now or timezone.now()
    if job.customer_id != customer.pk:
        raise NotAllowed(_("Only the customer who posted the request can report a problem."))
    reason = _text(reason, empty=_("Say what went wrong."), name=_("reason"))
    job = transition(
        job=job,
        to=JobStatus.DISPUTED,
        allowed_from=(JobStatus.COMPLETED,),
        kind="dispute_opened",
        actor=customer,
        data={"reason": reason[:500]},
        message=_(
            "A problem can be reported once the helper has marked the job done and before it "
            "is confirmed."
        ),
    )
    return Dispute.objects.create(job=job, opened_by=customer, reason=reason, opened_at=now)


def dispute_resolve(
    *,
    job: JobRequest,
    operator: User,
    outcome: str,
    note: str,
    refund_amount: int | None = None,
    now: datetime | None = None,
) -> Dispute:
    """Decide a dispute. `refund_amount` (minor units) only for a refund; None means everything
    the customer paid (or would pay)."""
    now = now or timezone.now()
    if not operator.is_operator:
        raise NotAllowed(_("Only operators resolve disputes."))
    if outcome not in DisputeOutcome.values:
        raise ValidationFailed(_("Choose to confirm the job for the helper or to refund."))
    note = _text(note, empty=_("Add a note explaining the decision."), name=_("note"))
    refund_captured = None
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().filter(job_id=job.pk).first()
        if dispute is None or not dispute.is_open:
            raise InvalidTransition(_("This job has no open dispute."))
        job = JobRequest.objects.select_for_update().get(pk=job.pk)
        paid = booking.captured_for_update(job=job)
        captured = paid is not None
        data = {"outcome": outcome, "note": note[:500]}
        if outcome == DisputeOutcome.CONFIRM:
            amount = 0
            job = transition(
                job=job,
                to=JobStatus.CONFIRMED,
                allowed_from=(JobStatus.DISPUTED,),
                kind="dispute_resolved",
                actor=operator,
                data=data,
                closed_at=now,
            )
        else:
            limit = paid.refundable if captured else job.price
            amount = limit if refund_amount is None else refund_amount
            if not 0 < amount <= limit:
                raise ValidationFailed(
                    _("The refund must be between %(low)s and %(high)s (minor units).")
                    % {"low": 1, "high": limit},
                    code="refund_amount",
                )
            still_paid = (paid.refundable - amount) if captured else job.price - amount
            data["refund"] = amount
            job = transition(
                job=job,
                to=JobStatus.CANCELLED,
                allowed_from=(JobStatus.DISPUTED,),
                kind="dispute_resolved",
                actor=operator,
                data=data,
                cancelled_by="operator",
                cancel_reason=(_("Dispute: %(note)s") % {"note": note})[:500],
                cancellation_fee=still_paid,
                closed_at=now,
            )
            if captured:
                refund_captured = paid
        dispute.outcome = outcome
        dispute.resolved_by = operator
        dispute.resolution_note = note
        dispute.refund_amount = amount
        dispute.resolved_at = now
        dispute.save(
            update_fields=[
                "outcome",
                "resolved_by",
                "resolution_note",
                "refund_amount",
                "resolved_at",
            ]
        )
        if not captured:
            job_id = job.pk
            transaction.on_commit(
                lambda: booking.follow(job=JobRequest.objects.get(pk=job_id)), robust=True
            )
    if refund_captured is not None:
        booking.refund(
            captured=refund_captured,
            amount=amount,
            actor=operator,
            reason=(_("Dispute: %(note)s") % {"note": note})[:200],
            now=now,
        )
    return dispute
