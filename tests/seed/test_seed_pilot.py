"""`manage.py seed_pilot`: two reproducible pilots that the economics dashboard tells apart
(DESIGN §5, §7). The conclusions are asserted on the computed metrics, as an operator reads
them: Poland has the helpers but not the demand; Switzerland is a working market."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from marketplace.accounts.models import User
from marketplace.economics.metrics import metrics
from marketplace.economics.scope import Scope
from marketplace.helpers.models import HelperProfile
from marketplace.jobs.models import JobEvent, JobRequest, JobStatus, Review
from marketplace.payments.models import LedgerEntry, Payment, PaymentStatus
from marketplace.pricing.models import PriceChange
from marketplace.seed.pilot import PilotError, seed_pilot
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _figures(summary):
    return metrics(Scope(market=summary.market, start=summary.start, end=summary.end))


def test_poland_has_helpers_but_no_demand():
    summary = seed_pilot(scenario="poland")
    m = _figures(summary)

    assert 20 <= m.posted <= 30  # ~25 orders over the six months
    assert m.active_helpers >= 150
    assert m.demand_supply_ratio < 0.2  # a demand problem: far fewer requests than helpers
    assert m.utilisation < 0.2
    assert m.helper_choice_share < 0.4  # the free technician wins
    assert m.professional_booked > m.posted / 2
    assert m.fixed_cost_per_month == 1_500_000  # PLN 15 000
    assert m.break_even_jobs_per_month is None or m.break_even_jobs_per_month > 50 * max(
        1.0, m.confirmed_per_month
    )
    # Free professional installation for router, TV and fibre, straight from the price book.
    free = JobRequest.objects.filter(
        market__code="pl", category__slug__in=["router-wifi", "tv-decoder", "fibre-terminal"]
    )
    assert free.exists()
    assert not free.exclude(professional_install_free=True, professional_price=0).exists()
    # 160 registered around several cities, most vetted, nobody can log in.
    helpers = HelperProfile.objects.filter(user__email__startswith="pl-helper-")
    assert helpers.count() == 160
    assert helpers.values("city").distinct().count() >= 6
    assert User.objects.filter(email="pl-helper-001@pilot.example").exists()
    pilot_users = User.objects.filter(email__endswith="@pilot.example")
    assert not any(user.has_usable_password() for user in pilot_users)


def test_switzerland_is_a_working_market():
    summary = seed_pilot(scenario="switzerland", months=0.5)
    m = _figures(summary)

    assert m.break_even_jobs_per_month is not None
    assert m.confirmed_per_month > m.break_even_jobs_per_month
    assert m.fill_rate >= 0.75  # most requests taken within the first hour
    assert m.median_accept_seconds < 15 * 60
    assert m.nps > 30
    assert m.price_ratio == pytest.approx(80 / 220, abs=0.1)
    assert m.helper_choice_share > 0.8
    assert m.utilisation > 0.3  # in two weeks; Poland's is a few percent over six months
    assert m.cancelled_by_customer > 0 and m.expired > 0
    assert m.gmv > 0 and m.net_revenue > 0

    # Payments were settled on the pilot's clock: every confirmed job is captured, the ledger
    # balances (money only moves between accounts), and its dates lie in the pilot.
    confirmed = JobRequest.objects.filter(market__code="ch", status=JobStatus.CONFIRMED)
    captured = Payment.objects.filter(job__in=confirmed, status=PaymentStatus.CAPTURED)
    assert captured.count() == confirmed.count() == m.confirmed
    ledger = LedgerEntry.objects.filter(job__market__code="ch")
    assert ledger.filter(created_at__lt=summary.start).count() == 0
    # Audit trail and reviews on the pilot's clock too, in order.
    job = confirmed.filter(reviews__isnull=False).first()
    events = JobEvent.objects.filter(job=job).order_by("created_at", "id")
    kinds = list(events.values_list("kind", flat=True))
    assert kinds[:3] == ["posted", "offered", "accepted"]
    assert JobEvent.objects.get(job=job, kind="accepted").created_at == job.accepted_at
    assert Review.objects.filter(job=job).first().created_at > job.closed_at
    late = summary.end + timedelta(days=5)  # a job's life ends within days of its posting
    assert not JobEvent.objects.filter(job__market__code="ch", created_at__gte=late).exists()
    # Prices set through the price book, recorded as seed changes.
    assert PriceChange.objects.filter(market__code="ch", source="seed", field="helper_fee").exists()


def _fingerprint() -> list[tuple]:
    return list(
        JobRequest.objects.filter(market__code="pl")
        .order_by("created_at", "customer__email")
        .values_list(
            "customer__email",
            "category__slug",
            "created_at",
            "status",
            "choice",
            "price",
            "assigned_helper__email",
            "accepted_at",
        )
    )


def test_a_second_run_is_refused_and_reset_gives_the_same_pilot_again():
    alice = UserFactory(email="alice@example.com")  # not part of any pilot
    call_command("seed_pilot", "--scenario", "poland", "--seed", "7", stdout=StringIO())
    first = _fingerprint()
    pilot_users = User.objects.filter(email__endswith="@pilot.example")
    first_ids = set(pilot_users.values_list("pk", flat=True))
    assert len(first) >= 20

    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_pilot", "--scenario", "poland", "--seed", "7", stdout=StringIO())
    assert _fingerprint() == first

    out = StringIO()
    call_command("seed_pilot", "--scenario", "poland", "--seed", "7", "--reset", stdout=out)
    assert _fingerprint() == first  # same seed, same pilot
    assert "Reset: deleted" in out.getvalue() and "Needs" in out.getvalue()
    assert not User.objects.filter(pk__in=first_ids).exists()  # the old run is gone, not kept
    assert User.objects.filter(email__endswith="@pilot.example").count() == len(first_ids)
    assert User.objects.filter(pk=alice.pk).exists()
    # The ledger balances: every movement's legs sum to zero, and what reached the platform and
    # the helpers is exactly what was captured.
    assert LedgerEntry.objects.aggregate(total=Sum("amount"))["total"] == 0
    paid_out = LedgerEntry.objects.filter(account__in=["platform", "helper"]).aggregate(
        total=Sum("amount")
    )["total"]
    captured = Payment.objects.aggregate(total=Sum("amount_captured"))["total"]
    assert paid_out == captured > 0


def test_it_refuses_bad_arguments():
    with pytest.raises(PilotError, match="months"):
        seed_pilot(scenario="poland", months=0)
    with pytest.raises(PilotError, match="Unknown scenario"):
        seed_pilot(scenario="atlantis")
    with pytest.raises(CommandError):
        call_command("seed_pilot", "--scenario", "atlantis", stdout=StringIO())
