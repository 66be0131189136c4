"""A job's status in words, as the person looking at it should read it.

`JobStatus` labels are written for the customer ("Done, waiting for your confirmation"); the
assigned helper and the operators read the same status from their own side. Every page, the
API's `status_label` and the notifications call `status_label(job, viewer=...)`:

* the job's customer reads the customer's label (`JobStatus` itself);
* its assigned helper reads the helper's label ("Done, waiting for the customer's confirmation");
* an operator reads the operator's label ("Completed, awaiting customer confirmation");
* any other helper (an offer they did not take, a feed entry) reads the helper's label while
  the job is open, and "Taken by another helper" once someone else has it;
* anyone else, or a bare status without a job, reads the customer's label unless a role is
  given as `viewer` ("customer", "helper", "operator").

All labels are lazy translations: they render in the language active where they are shown.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from marketplace.jobs.models import JobStatus

CUSTOMER = "customer"
HELPER = "helper"
OPERATOR = "operator"
ROLES = (CUSTOMER, HELPER, OPERATOR)

LABELS: dict[str, dict[str, Promise]] = {
    CUSTOMER: {status.value: status.label for status in JobStatus},
    HELPER: {
        JobStatus.OPEN: _("Open for helpers"),
        JobStatus.OFFERED: _("Offered to helpers"),
        JobStatus.ACCEPTED: _("Assigned to you"),
        JobStatus.IN_PROGRESS: _("You are on site"),
        JobStatus.COMPLETED: _("Done, waiting for the customer's confirmation"),
        JobStatus.CONFIRMED: _("Confirmed by the customer"),
        JobStatus.CANCELLED: _("Cancelled"),
        JobStatus.EXPIRED: _("Expired, no helper took it"),
        JobStatus.DISPUTED: _("In dispute"),
        JobStatus.PROFESSIONAL: _("Handed to a professional technician"),
    },
    OPERATOR: {
        JobStatus.OPEN: _("Open, looking for a helper"),
        JobStatus.OFFERED: _("Offered, waiting for helpers to answer"),
        JobStatus.ACCEPTED: _("Accepted by a helper"),
        JobStatus.IN_PROGRESS: _("In progress, helper on site"),
        JobStatus.COMPLETED: _("Completed, awaiting customer confirmation"),
        JobStatus.CONFIRMED: _("Confirmed by the customer"),
        JobStatus.CANCELLED: _("Cancelled"),
        JobStatus.EXPIRED: _("Expired, no helper found"),
        JobStatus.DISPUTED: _("Disputed"),
        JobStatus.PROFESSIONAL: _("Professional visit booked"),
    },
}

# What a helper reads about a job someone else took (they may have had the offer).
TAKEN_BY_ANOTHER_HELPER = _("Taken by another helper")
_TAKEN = (
    JobStatus.ACCEPTED,
    JobStatus.IN_PROGRESS,
    JobStatus.COMPLETED,
    JobStatus.CONFIRMED,
    JobStatus.DISPUTED,
)


def viewer_role(job, viewer) -> str:
    """Which side `viewer` (a user, a role name or None) reads `job` (a job or None) from."""
    if viewer is None:
        return CUSTOMER
    if isinstance(viewer, str):
        if viewer not in ROLES:
            raise ValueError(f"unknown viewer role {viewer!r}")
        return viewer
    pk = getattr(viewer, "pk", None)
    if job is not None and pk is not None:
        if pk == job.customer_id:
            return CUSTOMER
        if pk == job.assigned_helper_id:
            return HELPER
    if getattr(viewer, "is_operator", False):
        return OPERATOR
    if getattr(viewer, "is_helper", False):
        return HELPER
    return CUSTOMER


def status_label(job_or_status, *, viewer) -> Promise:
    """The status of `job_or_status` (a JobRequest, or a status value) in `viewer`'s words.
    `viewer`: the person looking (a User), or a role name; None reads as the customer."""
    if isinstance(job_or_status, str):
        job, status = None, job_or_status
    else:
        job, status = job_or_status, job_or_status.status
    role = viewer_role(job, viewer)
    if (
        role == HELPER
        and job is not None
        and not isinstance(viewer, str)
        and status in _TAKEN
        and job.assigned_helper_id is not None
        and job.assigned_helper_id != getattr(viewer, "pk", None)
    ):
        return TAKEN_BY_ANOTHER_HELPER
    labels = LABELS[role]
    if status not in labels:
        raise ValueError(f"unknown job status {status!r}")
    return labels[status]
