"""Distinct people in a scope: customers (and those with two requests or more: the repeat
rate) and helpers with confirmed jobs (in each half: retention). Not additive over days, so
not in the rollup; exact, from the jobs, in one of two ways chosen by which reads less:

* **scan**: the scope's jobs grouped per person, then counted (cost grows with the jobs);
* **probe**: per user, an index seek or two into ``(market, customer, created_at, …)`` /
  ``(market, assigned_helper, created_at, …) WHERE status = 'confirmed'`` asking "one job in
  the scope? a second one?" (cost grows with the users, whatever the period).

A month of a busy market has fewer jobs than there are users; a year of it, many more. Both
read only index columns (rows are counted by ``created_at``, which the indexes hold, not by
``id``, which PostgreSQL's do not), so neither touches the table.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Value, When

from marketplace.accounts.models import User
from marketplace.economics import queries as q
from marketplace.economics.scope import Scope
from marketplace.helpers.models import HelperProfile
from marketplace.jobs.models import JobRequest, JobStatus


def customers(scope: Scope, *, posted: int, strategy: str | None = None) -> dict[str, int]:
    """{"all": customers with a request in scope, "repeat": those with two or more}.
    `strategy`: "scan" or "probe" (default: the one that reads less)."""
    jobs = q.scoped(JobRequest.objects.all(), scope)
    users = User.objects.all()
    if (strategy or _cheaper(posted, users)) == "scan":
        return q.summarise(
            jobs.values("customer_id").annotate(requests=Count("created_at")),
            all="COUNT(*)",
            repeat=q.sql_count_where("requests", ">= 2"),
        )
    theirs = jobs.filter(customer=OuterRef("pk"))
    return users.aggregate(
        all=Count("pk", filter=Q(Exists(theirs))),
        repeat=Count("pk", filter=Q(Exists(theirs[1:2]))),  # a second one
    )


def helpers_with_confirmed_jobs(
    scope: Scope, *, confirmed: int, strategy: str | None = None
) -> dict[str, int]:
    """{"all": helpers with a confirmed job in scope, "first": with one in the first half,
    "both": with one in each half}. The probe asks every helper profile (acceptance needs one,
    and profiles are kept when a helper stops), whatever its status today."""
    middle = scope.start + (scope.end - scope.start) / 2
    jobs = q.scoped(JobRequest.objects.filter(status=JobStatus.CONFIRMED), scope)
    profiles = HelperProfile.objects.all()
    if (strategy or _cheaper(confirmed, profiles)) == "scan":
        per_helper = jobs.values("assigned_helper_id").annotate(
            first=Count("created_at", filter=Q(created_at__lt=middle)),
            second=Count("created_at", filter=Q(created_at__gte=middle)),
        )
    else:
        theirs = jobs.filter(assigned_helper=OuterRef("user_id"))
        per_helper = profiles.values("user_id").annotate(
            first=_one_if(Exists(theirs.filter(created_at__lt=middle))),
            second=_one_if(Exists(theirs.filter(created_at__gte=middle))),
        )
    return q.summarise(
        per_helper,
        # A probed helper may have no confirmed job at all: count those with one in either half.
        all=q.sql_count_where("first", "> 0")
        + " + "
        + q.sql_count_where("first", "= 0", "second", "> 0"),
        first=q.sql_count_where("first", "> 0"),
        both=q.sql_count_where("first", "> 0", "second", "> 0"),
    )


def _one_if(condition) -> Case:
    """1 or 0 (the scan's per-helper counts are numbers, and PostgreSQL does not compare
    booleans with them)."""
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


# What a probe (a correlated index seek or two) costs in jobs of a scan, measured on the
# economics benchmark's 1M jobs. SQLite seeks cheaply and sorts slowly; PostgreSQL runs a
# subplan per person and hashes quickly, so it always scans (no entry).
PROBE_COST_IN_JOBS = {"sqlite": 2}


def _cheaper(jobs: int, candidates) -> str:
    factor = PROBE_COST_IN_JOBS.get(connection.vendor)
    if factor is None:
        return "scan"
    return "scan" if jobs <= factor * candidates.count() else "probe"
