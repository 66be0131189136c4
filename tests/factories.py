"""factory_boy factories for the object graph. Coordinates default to central Zürich.

Two kinds, and which one to use:

* Row factories (`MarketFactory`, `PriceBookEntryFactory`, `JobFactory`, `OfferFactory`,
  `PaymentFactory`, `ReviewFactory`, `DisputeFactory`) write rows directly, with the model's
  CheckConstraints and the fields the services keep in sync (a job's quote, its helper and
  timestamps per status; a payment's amounts) filled in consistently. They skip what the services
  do besides: no JobEvents, no dispatch, no ledger, no notifications, no helper counters. Good for
  reads: pages, selectors, labels, reports.
* Lifecycle builders (`posted_job`, `job_at`) call the services themselves (`job_post`, then
  `job_accept`, `job_check_in`, ...), so offers, events, the payment and its ledger, and the
  helpers' counters are what production would have. Use them whenever a test goes on to act on
  the job or reads any of those.

Everything needs the reference data (the `reference` fixture or one that depends on it).
"""

from collections.abc import Callable
from datetime import datetime, timedelta

import factory
from django.utils import timezone

from marketplace.accounts.models import Role, User
from marketplace.core import geo
from marketplace.helpers.availability import hours_mask
from marketplace.helpers.models import HelperProfile, HelperSkill, HelperStatus
from marketplace.jobs import disputes as dispute_services
from marketplace.jobs import services as job_services
from marketplace.jobs.models import (
    Dispute,
    JobOffer,
    JobRequest,
    JobStatus,
    OfferStatus,
    Review,
    ReviewDirection,
)
from marketplace.payments.models import Payment, PaymentStatus, Provider
from marketplace.pricing.models import Market, PriceBookEntry, ServiceCategory
from marketplace.pricing.services import quote

ZURICH = (47.37689, 8.54169)
WARSAW = (52.22977, 21.01178)
ALL_WEEK = [(d, 0, 24) for d in range(7)]
ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"  # resolved by the offline gazetteer (Zürich, CH market)
DESCRIPTION = "The router keeps dropping the connection"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    role = Role.CUSTOMER
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OperatorFactory(UserFactory):
    role = Role.OPERATOR
    is_staff = True


def helper_profile(
    *,
    user: User | None = None,
    market: Market | None = None,
    lat: float = ZURICH[0],
    lng: float = ZURICH[1],
    skills: list[ServiceCategory] | None = None,
    status: str = HelperStatus.VETTED,
    radius_km: int = 10,
    slots=ALL_WEEK,
    **extra,
) -> HelperProfile:
    """A helper with skills and availability kept in sync with their bitmask mirrors."""
    user = user or UserFactory(role=Role.HELPER)
    if user.role != Role.HELPER:
        user.role = Role.HELPER
        user.save(update_fields=["role"])
    market = market or Market.objects.get(code="ch")
    skills = list(ServiceCategory.objects.all()) if skills is None else skills
    mask = 0
    for c in skills:
        mask |= c.mask
    now = timezone.now()
    profile = HelperProfile.objects.create(
        user=user,
        market=market,
        lat=lat,
        lng=lng,
        city=extra.pop("city", "Zürich"),
        service_radius_km=radius_km,
        status=status,
        skills_mask=mask,
        availability_hours=hours_mask(list(slots)),
        code_of_conduct_accepted_at=now,
        id_checked_at=now if status == HelperStatus.VETTED else None,
        vetted_at=now if status == HelperStatus.VETTED else None,
        **extra,
    )
    HelperSkill.objects.bulk_create([HelperSkill(helper=profile, category=c) for c in skills])
    for weekday, start, end in slots:
        profile.slots.create(weekday=weekday, start_hour=start, end_hour=end)
    return profile


def router_wifi() -> ServiceCategory:
    return ServiceCategory.objects.get(slug="router-wifi")


def market_ch() -> Market:
    return Market.objects.get(code="ch")


# --- Markets and prices ------------------------------------------------------------------------


class MarketFactory(factory.django.DjangoModelFactory):
    """A market besides the reference ones (ch, pl). Austria by default: a market for CH or PL
    would compete with the reference market for the jobs posted there (`market_for_country`)."""

    class Meta:
        model = Market

    code = factory.Sequence(lambda n: f"m{n}")
    name = factory.Sequence(lambda n: f"Market {n}")
    country = "AT"
    currency = "EUR"
    language = "de"
    time_zone = "Europe/Vienna"


class PriceBookEntryFactory(factory.django.DjangoModelFactory):
    """One price-book cell, within pricing/bounds.py and min ≤ fee ≤ max. The (market, category)
    cell is unique: the reference markets already have one per category, so a new entry comes
    with a new market unless one is given."""

    class Meta:
        model = PriceBookEntry

    market = factory.SubFactory(MarketFactory)
    category = factory.LazyFunction(router_wifi)
    helper_fee = 6_000
    min_helper_fee = 3_000
    max_helper_fee = 10_000
    pro_callout_fee = 8_000
    pro_hourly_rate = 14_000
    pro_expected_minutes = 60


# --- Jobs as rows ------------------------------------------------------------------------------


def _vetted_helper() -> User:
    return helper_profile().user


class JobFactory(factory.django.DjangoModelFactory):
    """A job row as `job_post` would store it, for read-only tests: the quote of its market and
    category at creation (fee + payout = price), the privacy-snapped point, a four-hour window
    from now. Status traits set what the services set on the way there:

        JobFactory()                  open (as posted, nobody asked yet)
        JobFactory(offered=True)      offered, with one pending offer to a new vetted helper
        JobFactory(accepted=True)     assigned_helper (a new vetted helper) and accepted_at
        JobFactory(in_progress=True)  ... and started_at
        JobFactory(completed=True)    ... and completed_at, completion_note
        JobFactory(confirmed=True)    ... and closed_at
        JobFactory(disputed=True)     completed, then disputed (add a DisputeFactory for the row)
        JobFactory(cancelled=True)    cancelled by the customer before anyone accepted, free
        JobFactory(expired=True)      no helper found: closed_at set

    Rows only: no events, offers (but `offered`'s one), payment, ledger or helper counters. For
    a job a test acts on, use `job_at` / `posted_job`, which go through the services."""

    class Meta:
        model = JobRequest
        skip_postgeneration_save = True

    class Params:
        quoted = factory.LazyAttribute(lambda o: quote(market=o.market, category=o.category))
        offered = factory.Trait(
            status=JobStatus.OFFERED,
            offer=factory.RelatedFactory(
                "tests.factories.OfferFactory", factory_related_name="job"
            ),
        )
        accepted = factory.Trait(
            status=JobStatus.ACCEPTED,
            assigned_helper=factory.LazyFunction(_vetted_helper),
            accepted_at=factory.LazyAttribute(lambda o: o.created_at + timedelta(minutes=10)),
        )
        in_progress = factory.Trait(
            accepted=True,
            status=JobStatus.IN_PROGRESS,
            started_at=factory.LazyAttribute(lambda o: o.accepted_at + timedelta(minutes=30)),
        )
        completed = factory.Trait(
            in_progress=True,
            status=JobStatus.COMPLETED,
            completion_note="Router set up",
            completed_at=factory.LazyAttribute(lambda o: o.started_at + timedelta(minutes=30)),
        )
        confirmed = factory.Trait(
            completed=True,
            status=JobStatus.CONFIRMED,
            closed_at=factory.LazyAttribute(lambda o: o.completed_at + timedelta(minutes=5)),
        )
        disputed = factory.Trait(completed=True, status=JobStatus.DISPUTED)
        cancelled = factory.Trait(
            status=JobStatus.CANCELLED,
            cancelled_by="customer",
            cancel_reason="Fixed it myself",
            closed_at=factory.LazyAttribute(lambda o: o.created_at + timedelta(minutes=5)),
        )
        expired = factory.Trait(
            status=JobStatus.EXPIRED,
            closed_at=factory.LazyAttribute(lambda o: o.created_at + timedelta(minutes=45)),
        )

    customer = factory.SubFactory(UserFactory)
    market = factory.LazyFunction(market_ch)
    category = factory.LazyFunction(router_wifi)
    description = DESCRIPTION
    address = ADDRESS
    city = "Zürich"
    lat = ZURICH[0]
    lng = ZURICH[1]
    approx_lat = factory.LazyAttribute(lambda o: geo.approx_point(o.lat, o.lng)[0])
    approx_lng = factory.LazyAttribute(lambda o: geo.approx_point(o.lat, o.lng)[1])
    created_at = factory.LazyFunction(timezone.now)
    window_start = factory.LazyAttribute(lambda o: o.created_at)
    window_end = factory.LazyAttribute(lambda o: o.window_start + job_services.DEFAULT_WINDOW)
    status = JobStatus.OPEN
    currency = factory.LazyAttribute(lambda o: o.quoted.currency)
    price = factory.LazyAttribute(lambda o: o.quoted.helper_price)
    platform_fee = factory.LazyAttribute(lambda o: min(o.quoted.platform_fee, o.price))
    helper_payout = factory.LazyAttribute(lambda o: o.price - o.platform_fee)
    professional_price = factory.LazyAttribute(lambda o: o.quoted.professional_price)
    professional_list_price = factory.LazyAttribute(lambda o: o.quoted.professional_list_price)
    professional_install_free = factory.LazyAttribute(lambda o: o.quoted.professional_install_free)


class OfferFactory(factory.django.DjangoModelFactory):
    """A pending offer of an offered job to a vetted helper, with the distance dispatch would
    have measured and the market's deadline. One per (job, helper)."""

    class Meta:
        model = JobOffer

    job = factory.SubFactory(JobFactory, status=JobStatus.OFFERED)
    helper = factory.LazyFunction(_vetted_helper)
    step = factory.LazyAttribute(lambda o: o.job.dispatch_step)
    distance_km = factory.LazyAttribute(
        lambda o: round(
            geo.haversine_km(
                o.helper.helper_profile.lat, o.helper.helper_profile.lng, o.job.lat, o.job.lng
            ),
            3,
        )
    )
    status = OfferStatus.PENDING
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(
        lambda o: o.sent_at + timedelta(minutes=o.job.market.offer_deadline_minutes)
    )


class PaymentFactory(factory.django.DjangoModelFactory):
    """The payment of an accepted job, authorised as bill-to-account authorises it at booking:
    the job's currency, price and fee. `captured=True`: the job confirmed and all of it taken;
    `pending=True`: not authorised yet (a card payment waiting for the customer).

    A row only: no provider calls, ledger movements or invoice lines (the ledger of such a job
    does not balance). For money tests use `job_at`, which books and settles through the
    payment services."""

    class Meta:
        model = Payment

    class Params:
        pending = factory.Trait(status=PaymentStatus.PENDING, authorised_at=None)
        captured = factory.Trait(
            job=factory.SubFactory(JobFactory, confirmed=True),
            status=PaymentStatus.CAPTURED,
            amount_captured=factory.SelfAttribute("amount"),
            fee_captured=factory.SelfAttribute("platform_fee"),
            captured_at=factory.LazyAttribute(lambda o: o.job.closed_at),
        )

    job = factory.SubFactory(JobFactory, accepted=True)
    provider = Provider.BILL_TO_ACCOUNT
    status = PaymentStatus.AUTHORISED
    currency = factory.SelfAttribute("job.currency")
    amount = factory.SelfAttribute("job.price")
    platform_fee = factory.SelfAttribute("job.platform_fee")
    created_at = factory.LazyAttribute(lambda o: o.job.accepted_at or timezone.now())
    authorised_at = factory.SelfAttribute("created_at")


class ReviewFactory(factory.django.DjangoModelFactory):
    """The customer's review of the helper of a confirmed job (`of_customer=True`: the helper's
    of the customer). A row only: the helper's rating average is not updated; `review_create`
    does that."""

    class Meta:
        model = Review

    class Params:
        of_customer = factory.Trait(
            direction=ReviewDirection.OF_CUSTOMER,
            author=factory.SelfAttribute("job.assigned_helper"),
            subject=factory.SelfAttribute("job.customer"),
            nps=None,
        )

    job = factory.SubFactory(JobFactory, confirmed=True)
    direction = ReviewDirection.OF_HELPER
    author = factory.SelfAttribute("job.customer")
    subject = factory.SelfAttribute("job.assigned_helper")
    rating = 5
    nps = 9
    comment = "Quick and friendly"


class DisputeFactory(factory.django.DjangoModelFactory):
    """An open dispute, opened by the customer, on a disputed job. Resolve it with
    `dispute_resolve` (it moves the job and the money)."""

    class Meta:
        model = Dispute

    job = factory.SubFactory(JobFactory, disputed=True)
    opened_by = factory.SelfAttribute("job.customer")
    reason = "The router still drops the connection"
    opened_at = factory.LazyAttribute(lambda o: o.job.completed_at + timedelta(minutes=5))


# --- Jobs through the services -----------------------------------------------------------------


def posted_job(
    *,
    customer: User | None = None,
    category: ServiceCategory | None = None,
    description: str = DESCRIPTION,
    address: str | None = None,
    lat: float | None = None,
    lng: float | None = None,
    now: datetime | None = None,
    **extra,
) -> JobRequest:
    """A request posted through `job_post`: quoted, geocoded and dispatched, so it is offered to
    the vetted helpers in range (and expired at once when there is none). At ADDRESS (Zürich)
    unless coordinates are given; then without an address, as from the device's location."""
    if address is None:
        address = ADDRESS if lat is None and lng is None else ""
    return job_services.job_post(
        customer=customer or UserFactory(),
        category=category or router_wifi(),
        description=description,
        address=address,
        lat=lat,
        lng=lng,
        now=now,
        **extra,
    )


STEPS = (
    JobStatus.ACCEPTED,
    JobStatus.IN_PROGRESS,
    JobStatus.COMPLETED,
    JobStatus.CONFIRMED,
)


def job_at(
    status: str,
    *,
    helper: User | None = None,
    customer: User | None = None,
    note: str = "",
    reason: str = "Fixed it myself",
    after_acceptance: bool = False,
    now: datetime | None = None,
    times: dict[str, datetime] | None = None,
    commit_hooks: Callable | None = None,
    **post,
) -> JobRequest:
    """A job brought to `status` through the services, as the people involved would: posted by
    `customer` (`posted_job`, with `post` passed on), accepted by `helper`, checked in, completed
    with `note`, confirmed by the customer. Each step at `now` (default: the current time), or
    at `times[status]` for the step that reaches that status (`{"accepted": t + 10 min}`: the
    waiting times the economics read).

    * "offered": just posted (the helpers in range have pending offers).
    * "accepted", "in_progress", "completed", "confirmed": along the lifecycle; the payment is
      booked at acceptance.
    * "disputed": completed, then the customer opens a dispute with `reason`.
    * "cancelled": cancelled by the customer with `reason`, straight after posting (free), or
      once `helper` accepted when `after_acceptance`.

    Without a `helper` a new vetted one is made at ZURICH before posting (a job with nobody in
    range expires at once), so the job is always offered to someone.

    The payment follows a confirmation or cancellation only after the commit: pass
    `commit_hooks=django_capture_on_commit_callbacks` to run the last step's hooks (and only
    those), as a request would."""
    if helper is None:
        helper = helper_profile().user
    times = times or {}

    def at(step: str) -> datetime | None:
        return times.get(step, now)

    job = posted_job(customer=customer, now=now, **post)
    customer = job.customer

    def last(fn, **kwargs):
        if commit_hooks is None:
            return fn(**kwargs)
        with commit_hooks(execute=True):
            return fn(**kwargs)

    if status == JobStatus.OFFERED:
        return job
    if status == JobStatus.CANCELLED:
        if after_acceptance:
            job = job_services.job_accept(job=job, helper=helper, now=at(JobStatus.ACCEPTED))
        return last(
            job_services.job_cancel,
            job=job,
            actor=customer,
            reason=reason,
            now=at(JobStatus.CANCELLED),
        )
    target = JobStatus.COMPLETED if status == JobStatus.DISPUTED else status
    if target not in STEPS:
        raise ValueError(f"job_at cannot bring a job to {status!r}")
    job = job_services.job_accept(job=job, helper=helper, now=at(JobStatus.ACCEPTED))
    if target == JobStatus.ACCEPTED:
        return job
    job = job_services.job_check_in(job=job, helper=helper, now=at(JobStatus.IN_PROGRESS))
    if target == JobStatus.IN_PROGRESS:
        return job
    job = job_services.job_complete(job=job, helper=helper, note=note, now=at(JobStatus.COMPLETED))
    if status == JobStatus.DISPUTED:
        dispute_services.dispute_open(
            job=job, customer=customer, reason=reason, now=at(JobStatus.DISPUTED)
        )
        job.refresh_from_db()
        return job
    if target == JobStatus.COMPLETED:
        return job
    return last(job_services.job_confirm, job=job, actor=customer, now=at(JobStatus.CONFIRMED))
