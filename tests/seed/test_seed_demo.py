"""`manage.py seed_demo`: realistic, created through the services, and idempotent."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from marketplace.accounts.models import Role, User
from marketplace.core.geo import haversine_km
from marketplace.helpers.models import AvailabilitySlot, HelperProfile, HelperSkill, HelperStatus
from marketplace.jobs.models import JobEvent, JobOffer, JobRequest, JobStatus, Review
from marketplace.seed import demo

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            HelperProfile,
            HelperSkill,
            AvailabilitySlot,
            JobRequest,
            JobOffer,
            JobEvent,
            Review,
        )
    }


def test_seed_demo_is_idempotent_and_realistic():
    """One test, because seeding is the slow part: seed twice, then check what is there."""
    first_out = StringIO()
    summary = demo.seed_demo(stdout=first_out)
    after_first = _counts()
    assert summary.created_jobs == JobRequest.objects.count() > 0
    assert "operator@fieldfriends.example" in first_out.getvalue()

    second_out = StringIO()
    call_command("seed_demo", stdout=second_out)
    assert _counts() == after_first
    assert "nothing to create" in second_out.getvalue()
    assert "demo-helper-1" in second_out.getvalue()

    check_helpers()
    check_logins()
    check_jobs()


def check_helpers():
    vetted = HelperProfile.objects.filter(status=HelperStatus.VETTED).select_related("market")
    assert vetted.count() >= 50
    assert HelperProfile.objects.filter(status=HelperStatus.APPLIED).count() >= 3
    by_city: dict[str, int] = {}
    for profile in vetted:
        city = demo.CITY[profile.city]
        assert profile.market.code == city.market
        assert haversine_km(profile.lat, profile.lng, city.lat, city.lng) <= demo.SPREAD_KM + 0.1
        assert profile.skills_mask and "1" in profile.availability_hours
        assert profile.vetted_at and profile.id_checked_at
        by_city[profile.city] = by_city.get(profile.city, 0) + 1
    assert set(by_city) == {"Warszawa", "Kraków", "Zürich"}
    assert min(by_city.values()) >= 10
    assert len({p.service_radius_km for p in vetted}) >= 4
    assert len({p.skills_mask for p in vetted}) >= 10
    assert len({p.availability_hours for p in vetted}) >= 4
    assert len({p.rating for p in vetted}) >= 4
    assert User.objects.get(email="helper01@example.com").role == Role.HELPER


def check_logins():
    operator = authenticate(email="operator@fieldfriends.example", password="demo-operator-1")
    assert operator is not None and operator.is_staff and operator.is_superuser
    assert operator.is_operator
    for email in ("anna@example.com", "jan@example.com", "lea@example.com"):
        customer = authenticate(email=email, password="demo-customer-1")
        assert customer is not None and customer.is_customer
    assert authenticate(email="helper42@example.com", password="demo-helper-1") is not None


def check_jobs():
    """Jobs in many states, each with the audit trail the services write."""
    jobs = list(JobRequest.objects.prefetch_related("events", "reviews"))
    statuses = {job.status for job in jobs}
    assert len(statuses) >= 5
    assert {
        JobStatus.OFFERED,
        JobStatus.ACCEPTED,
        JobStatus.IN_PROGRESS,
        JobStatus.CONFIRMED,
        JobStatus.CANCELLED,
        JobStatus.EXPIRED,
    } <= statuses
    for job in jobs:
        events = list(job.events.all())
        assert events, f"job {job.pk} has no events"
        assert events[0].kind == "posted"
        changes = [e for e in events if e.to_status]
        assert changes[-1].to_status == job.status, (job.pk, [e.kind for e in events])
        assert job.platform_fee + job.helper_payout == job.price
        if job.status == JobStatus.CONFIRMED:
            kinds = [e.kind for e in events]
            assert kinds[:6] == ["posted", "offered", "accepted", "checked_in", "completed",
                                 "confirmed"]  # fmt: skip
            reviews = {r.direction: r for r in job.reviews.all()}
            assert reviews["of_helper"].nps is not None
            assert 1 <= reviews["of_helper"].rating <= 5
    offered = [job for job in jobs if job.status == JobStatus.OFFERED]
    assert all(job.offers.filter(status="pending").exists() for job in offered)
    reviewed_helpers = HelperProfile.objects.exclude(rating_count=0)
    assert reviewed_helpers.count() >= 5
