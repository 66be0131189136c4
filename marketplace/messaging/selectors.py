"""Reads on job threads, with who may read and write them in one place.

* The customer and the assigned helper read and write their thread while the job is assigned
  (accepted, in progress, completed, disputed); once it closes the thread is read-only.
* Before a helper has accepted there is no thread, so no contact details can be exchanged.
* A helper who gave the job back (or was never assigned) has no access: 404, as for strangers.
* Operators read every thread of a job; they write only while the job is disputed.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from marketplace.accounts.models import User
from marketplace.core.errors import InvalidTransition, NotFound
from marketplace.jobs.models import ASSIGNED, JobRequest, JobStatus
from marketplace.messaging.models import AuthorRole, Message, ThreadRead


def no_thread_message() -> str:
    return _("Messages open once a helper has accepted the job.")


def thread_role(*, user: User, job: JobRequest) -> str | None:
    """The user's part in the job's thread, or None when they have no access at all."""
    if not user.is_authenticated:
        return None
    if user.is_operator:
        return AuthorRole.OPERATOR
    if job.customer_id == user.pk:
        return AuthorRole.CUSTOMER
    if job.assigned_helper_id is not None and job.assigned_helper_id == user.pk:
        return AuthorRole.HELPER
    return None


def check_thread_access(*, user: User, job: JobRequest) -> str:
    """The user's role in the thread; NotFound for outsiders, InvalidTransition (409) for the
    customer before any helper has accepted."""
    role = thread_role(user=user, job=job)
    if role is None:
        raise NotFound(_("Job not found"))
    if role == AuthorRole.CUSTOMER and job.assigned_helper_id is None:
        raise InvalidTransition(no_thread_message(), code="no_thread")
    return role


def post_refusal(*, role: str, job: JobRequest) -> str:
    """Why this role cannot write into the thread now ("" when it can)."""
    if job.assigned_helper_id is None:
        return no_thread_message()
    if role == AuthorRole.OPERATOR:
        if job.status != JobStatus.DISPUTED:
            return _("Operators can write into a thread only while the job is disputed.")
        return ""
    if job.status not in ASSIGNED:
        return _("This job is closed; its messages are read-only.")
    return ""


def messages_visible(*, role: str, job: JobRequest):
    qs = Message.objects.filter(job=job).select_related("author")
    if role != AuthorRole.OPERATOR:
        qs = qs.filter(helper_id=job.assigned_helper_id)
    return qs.order_by("created_at", "id")


def last_read_id(*, user: User, job: JobRequest) -> int:
    return (
        ThreadRead.objects.filter(job=job, user=user).values_list("last_read_id", flat=True).first()
        or 0
    )


def unread_count(*, user: User, job: JobRequest) -> int:
    """Messages in the user's thread written by someone else since they last read it."""
    role = thread_role(user=user, job=job)
    if role in (None, AuthorRole.OPERATOR) or job.assigned_helper_id is None:
        return 0
    return (
        Message.objects.filter(
            job=job, helper_id=job.assigned_helper_id, id__gt=last_read_id(user=user, job=job)
        )
        .exclude(author=user)
        .count()
    )


def unread_counts(*, user: User, jobs) -> dict[int, int]:
    """Unread messages per job for a list of the user's jobs (one query), e.g. "My jobs"."""
    jobs = [j for j in jobs if j.assigned_helper_id and thread_role(user=user, job=j)]
    if not jobs or user.is_operator:
        return {}
    reads = dict(
        ThreadRead.objects.filter(user=user, job__in=jobs).values_list("job_id", "last_read_id")
    )
    cond = Q()
    for j in jobs:
        cond |= Q(job_id=j.pk, helper_id=j.assigned_helper_id, id__gt=reads.get(j.pk, 0))
    rows = (
        Message.objects.filter(cond)
        .exclude(author=user)
        .values("job_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["job_id"]: row["n"] for row in rows}


@dataclass
class Thread:
    job: JobRequest
    role: str
    messages: list[Message] = field(default_factory=list)
    unread: int = 0
    can_post: bool = False
    refusal: str = ""
    post_url: str = ""  # set by the web layer


def thread_for(*, user: User, job: JobRequest) -> Thread:
    """The thread as this user sees it (raises like `check_thread_access`)."""
    role = check_thread_access(user=user, job=job)
    refusal = post_refusal(role=role, job=job)
    return Thread(
        job=job,
        role=role,
        messages=list(messages_visible(role=role, job=job)),
        unread=unread_count(user=user, job=job),
        can_post=not refusal,
        refusal=refusal,
    )
