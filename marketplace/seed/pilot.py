"""Pilot scenarios for the operator economics (DESIGN §5, §7): `manage.py seed_pilot`.

Two pilots, built from the published facts, that the dashboard must tell apart:

* **poland** (Orange Polska "Friends"): 160 helpers registered around eight cities, but only
  about 25 requests in six months. Installing a router, TV decoder or fibre terminal is free
  for the operator's customers when a technician does it, so most of them take the technician.
  The platform costs PLN 15 000 a month: utilisation near zero, no break-even in sight — a
  demand problem, not a supply problem.
* **switzerland** (Swisscom): 120 helpers around Zürich, Bern, Basel, Geneva and Lausanne,
  about 300 requests a month (two months by default), a helper ≈ CHF 80 against a technician
  ≈ CHF 220 (CHF 80 call-out + CHF 140/h), most requests taken within minutes, a good NPS. The
  pilot ran on the provider's existing community platform, so its own fixed cost is set to
  CHF 2 500 a month (hosting and a share of a community manager): confirmed jobs sit above the
  break-even line.

**Through the services.** Helpers apply and are vetted (`helper_apply`, `helper_vet`); prices
and the platform cost are set with `price_entry_update` / `market_update` (source "seed");
customers see the real quote and choose at posting (`job_post(fulfilment=...)`) with a logistic
share model (``P(helper) = 1 / (1 + exp(-(A + B ln(helper ÷ list price) + C·free)))``, the
model the what-if view fits back); dispatch picks the helpers; the rest of each request's life
is `job_accept`, `job_check_in`, `job_complete`, `job_confirm` (by the customer or automatic),
`review_create` with rating and NPS, `job_cancel` (customers and operators), `job_expire` and
`job_book_professional` (switch or fallback) — every call with `now=` on the pilot's clock. Only
the pilot's own helpers take pilot jobs, so other data in the database is never touched.

**Clock.** A few rows are stamped by the services with the wall clock because those services
take no `now` (job events, reviews, helper sign-up and vetting); they are moved onto the pilot's
clock right after, so the audit trail reads in order. Payments (bill-to-account, the default)
are settled inside the run's transaction with the pilot's clock via `payment_follow_job`, so
ledger entries and invoice lines carry the pilot's dates; the after-commit hooks then find them
settled and do nothing. Bill-to-account makes no remote call, so nothing waits on a network
inside the transaction; the Stripe provider is refused (it needs a customer at a card form).

**One transaction.** Reset and seeding commit together or not at all. The supply/demand figures
and the economics rollup are then rebuilt for the pilot's days (`supply_refresh` and
`rollup_refresh` with since/until), as their incremental runs only look at recent changes (and
a reset deleted jobs, which no change marks).

**Reproducible.** One `random.Random(seed)` drives every choice; the pilot ends at 00:00 on a
Monday (the latest at least three days ago, or `end`), so the weekday pattern that decides who
is available is the same on every run: the same seed on the same database gives the same data.

**Second run.** Refused (`PilotError`) while the scenario's users exist; `reset=True` first
deletes everything of that scenario's users (e-mails ``<market>-…@pilot.example``): their jobs
with offers, events, reviews, payments, ledger entries and invoice lines, then the users with
their helper profiles. Market settings and price-book edits stay (the next run sets the same).
"""

from __future__ import annotations

import math
import random
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, DateTimeField, F, Max, Min, Value, When
from django.utils import timezone

from marketplace.accounts.models import Role, User
from marketplace.core.geo import OfflineGazetteer
from marketplace.economics.metrics import metrics
from marketplace.economics.rollup import rollup_refresh
from marketplace.economics.scope import Scope
from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.helpers.services import helper_apply, helper_vet
from marketplace.jobs.dispatch import job_expire
from marketplace.jobs.models import (
    Fulfilment,
    JobEvent,
    JobRequest,
    JobStatus,
    OfferStatus,
    Review,
)
from marketplace.jobs.services import (
    job_accept,
    job_book_professional,
    job_cancel,
    job_check_in,
    job_complete,
    job_confirm,
    job_post,
    review_create,
)
from marketplace.payments import booking
from marketplace.payments.models import InvoiceLine, LedgerEntry, Payment, ProviderCall
from marketplace.payments.services import payment_follow_job
from marketplace.pricing.models import Market, PriceBookEntry, ServiceCategory
from marketplace.pricing.reference import ensure_reference_data
from marketplace.pricing.services import market_update, price_entry_update, quote
from marketplace.seed import demo
from marketplace.supply.services import supply_refresh

DEFAULT_SEED = 2026
EMAIL_DOMAIN = "pilot.example"
DAYS_PER_MONTH = 30.44
# Choice model (see the module docstring): the helper is picked when clearly cheaper than the
# technician, rarely when the technician is free.
CHOICE_A, CHOICE_B, CHOICE_FREE = -0.35, -2.5, -4.0
OUTCOMES = ("done", "cancel_before", "cancel_after", "operator_cancel", "no_taker", "switch")
# Requests per local hour of the day (07–21) and per weekday (Monday first).
HOUR_WEIGHTS = dict(zip(range(7, 22), (1, 3, 5, 6, 6, 5, 5, 6, 6, 6, 8, 9, 8, 6, 3), strict=True))
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 1.0, 1.3, 0.9)
LATER_SLOTS = ((9, 12), (10, 14), (13, 17), (17, 20))
NOTES = (
    "Done: everything works, showed the customer how to restart it.",
    "Replaced the cable and moved the router to the hallway.",
    "Configured the device and wrote the passwords down for the customer.",
    "Updated the firmware; connection is stable now.",
)
CANCEL_BEFORE = ("Solved it myself in the meantime", "A neighbour helped after all",
                 "Posted by mistake")  # fmt: skip
CANCEL_AFTER = ("Not at home after all", "The provider's technician came earlier")
OPERATOR_CANCEL = ("Duplicate request", "Address outside the pilot area",
                   "Customer could not be reached")  # fmt: skip


class PilotError(Exception):
    """The pilot cannot be seeded as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Scenario:
    name: str
    market: str  # Market.code
    months: float  # default length
    requests_per_month: float
    trend: float  # demand at the end of the pilot ÷ at the start, minus 1 (linear in between)
    cities: tuple[tuple[str, float], ...]  # gazetteer name, share of helpers and customers
    spread_km: float
    helpers: int
    vetted_share: float
    languages: tuple[str, ...]
    availability_weights: tuple[float, ...]  # over demo.AVAILABILITY
    categories: dict[str, float]  # request mix
    helper_fees: dict[str, int]  # price-book helper fee per category (minor units)
    install_free: tuple[str, ...]  # categories a technician installs for free
    fixed_cost_per_month: int
    outcome_weights: tuple[float, ...]  # over OUTCOMES, for requests that asked for a helper
    accept_median_minutes: float
    slow_accept_share: float  # taken from the feed 1–5 h after posting
    fallback_share: float  # expired requests then booked as a professional visit
    auto_confirm_share: float
    review_share: float  # confirmed by the customer and reviewed (with an NPS answer)
    rating_weights: tuple[float, ...]  # 5, 4, 3, 2, 1 stars
    repeat_share: float  # requests from a customer who posted before


SCENARIOS = {
    "poland": Scenario(
        name="poland",
        market="pl",
        months=6,
        requests_per_month=25 / 6,
        trend=-0.8,  # interest at launch, fading
        cities=(
            ("Warszawa", 0.25),
            ("Kraków", 0.15),
            ("Wrocław", 0.12),
            ("Łódź", 0.1),
            ("Poznań", 0.1),
            ("Gdańsk", 0.1),
            ("Katowice", 0.1),
            ("Lublin", 0.08),
        ),
        spread_km=10,
        helpers=160,
        vetted_share=0.95,
        languages=("pl", "pl,en", "pl,en", "pl,en,de", "pl,uk"),
        availability_weights=(1, 1, 1, 1, 1, 1),
        categories={
            "router-wifi": 35,
            "tv-decoder": 25,
            "fibre-terminal": 20,
            "smart-home": 5,
            "pc-help": 8,
            "phone-setup": 7,
        },
        helper_fees={},
        install_free=("router-wifi", "tv-decoder", "fibre-terminal"),
        fixed_cost_per_month=1_500_000,
        outcome_weights=(70, 10, 4, 4, 6, 6),
        accept_median_minutes=25,
        slow_accept_share=0.25,
        fallback_share=0.7,
        auto_confirm_share=0.15,
        review_share=0.8,
        rating_weights=(50, 30, 12, 5, 3),
        repeat_share=0.04,
    ),
    "switzerland": Scenario(
        name="switzerland",
        market="ch",
        months=2,  # ~600 requests: seeds in about half a minute on SQLite
        requests_per_month=300,
        trend=0.3,  # word of mouth
        cities=(
            ("Zürich", 0.4),
            ("Bern", 0.15),
            ("Basel", 0.15),
            ("Genève", 0.15),
            ("Lausanne", 0.15),
        ),
        spread_km=8,
        helpers=120,
        vetted_share=1.0,
        languages=("de,en", "de,fr,en", "fr,en", "de,it", "de"),
        availability_weights=(15, 5, 25, 15, 5, 35),
        categories={
            "router-wifi": 30,
            "tv-decoder": 20,
            "fibre-terminal": 10,
            "smart-home": 15,
            "pc-help": 15,
            "phone-setup": 10,
        },
        helper_fees={
            "router-wifi": 8_000,
            "tv-decoder": 7_000,
            "fibre-terminal": 9_000,
            "smart-home": 8_000,
            "pc-help": 10_000,
            "phone-setup": 6_000,
        },
        install_free=(),
        fixed_cost_per_month=250_000,
        outcome_weights=(89.5, 2.5, 2, 1, 2.5, 0.5),
        accept_median_minutes=7,
        slow_accept_share=0.06,
        fallback_share=0.6,
        auto_confirm_share=0.1,
        review_share=0.85,
        rating_weights=(58, 28, 8, 4, 2),
        repeat_share=0.15,
    ),
}


@dataclass
class PilotSummary:
    scenario: str
    market: Market
    seed: int
    start: datetime
    end: datetime
    helpers: int = 0
    vetted_helpers: int = 0
    customers: int = 0
    jobs: int = 0
    jobs_by_status: dict[str, int] = field(default_factory=dict)
    deleted_users: int = 0
    deleted_jobs: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class _Customer:
    user: User
    lat: float
    lng: float
    address: str


def email_prefix(scenario: Scenario) -> str:
    return f"{scenario.market}-"


def pilot_users(scenario: Scenario):
    return User.objects.filter(
        email__startswith=email_prefix(scenario), email__endswith=f"@{EMAIL_DOMAIN}"
    )


def default_end(market: Market, *, now: datetime | None = None) -> datetime:
    """00:00 (market time) of the latest Monday at least three days ago: every job's life, which
    can run a few days past its posting, is then over."""
    tz = ZoneInfo(market.time_zone)
    day = timezone.localtime(now or timezone.now(), tz).date() - timedelta(days=3)
    return datetime.combine(day - timedelta(days=day.weekday()), time.min, tzinfo=tz)


def pilot_reset(scenario: Scenario) -> tuple[int, int, tuple[datetime, datetime] | None]:
    """Delete the scenario's users and everything of theirs. Returns (users, jobs, the posting
    span of the deleted jobs, for rebuilding the supply figures)."""
    users = pilot_users(scenario)
    jobs = JobRequest.objects.filter(customer__in=users)
    foreign = JobRequest.objects.filter(assigned_helper__in=users).exclude(customer__in=users)
    if foreign.exists():
        raise PilotError(
            f"{foreign.count()} job(s) of other customers are assigned to {scenario.name} pilot "
            "helpers; close or reassign them before resetting the pilot."
        )
    span = jobs.aggregate(first=Min("created_at"), last=Max("created_at"))
    InvoiceLine.objects.filter(job__in=jobs).delete()
    LedgerEntry.objects.filter(job__in=jobs).delete()
    ProviderCall.objects.filter(payment__job__in=jobs).delete()
    Payment.objects.filter(job__in=jobs).delete()
    n_jobs = jobs.count()
    jobs.delete()  # offers, events and reviews go with their jobs
    n_users = users.count()
    users.delete()  # helper profiles, skills, availability, tokens go with their users
    if span["first"] is None:
        return n_users, n_jobs, None
    return n_users, n_jobs, (span["first"], span["last"] + timedelta(days=1))


def seed_pilot(
    *,
    scenario: str,
    months: float | None = None,
    seed: int = DEFAULT_SEED,
    reset: bool = False,
    end: date | None = None,
) -> PilotSummary:
    """Create the pilot (see the module docstring) and return what was made."""
    if scenario not in SCENARIOS:
        raise PilotError(f"Unknown scenario {scenario!r}: choose {' or '.join(SCENARIOS)}")
    spec = SCENARIOS[scenario]
    months = spec.months if months is None else months
    if not 0.25 <= months <= 24:
        raise PilotError("--months must be between 0.25 and 24")
    if booking.card_payments():
        raise PilotError("seed_pilot needs PAYMENTS_PROVIDER=bill_to_account (no card payments)")
    if settings.GEOCODER != "offline":
        raise PilotError("seed_pilot needs GEOCODER=offline (it locates every request)")
    started = clock.perf_counter()
    with transaction.atomic():
        ensure_reference_data()
        market = Market.objects.get(code=spec.market)
        tz = ZoneInfo(market.time_zone)
        stop = default_end(market) if end is None else datetime.combine(end, time.min, tzinfo=tz)
        start = stop - timedelta(days=max(1, round(months * DAYS_PER_MONTH)))
        summary = PilotSummary(scenario=scenario, market=market, seed=seed, start=start, end=stop)
        rebuild = (start, stop)
        if pilot_users(spec).exists():
            if not reset:
                raise PilotError(
                    f"The {scenario} pilot is already seeded ({pilot_users(spec).count()} users "
                    f"{email_prefix(spec)}…@{EMAIL_DOMAIN}). Run again with --reset to replace it."
                )
            summary.deleted_users, summary.deleted_jobs, old = pilot_reset(spec)
            if old is not None:
                rebuild = (min(start, old[0]), max(stop, old[1]))
        _Pilot(spec, market, random.Random(seed), start, stop, summary).run()
    supply_refresh(since=rebuild[0], until=rebuild[1])
    rollup_refresh(since=rebuild[0], until=rebuild[1])  # deleted jobs leave no stale days
    summary.seconds = clock.perf_counter() - started
    return summary


class _Pilot:
    def __init__(self, spec, market, rng, start, end, summary):
        self.spec, self.market, self.rng = spec, market, rng
        self.start, self.end, self.summary = start, end, summary
        self.tz = ZoneInfo(market.time_zone)
        self.gazetteer = OfflineGazetteer()
        self.categories = {c.slug: c for c in ServiceCategory.objects.filter(is_active=True)}
        self.customers: list[_Customer] = []

    def run(self) -> None:
        spec = self.spec
        self.operator = self._user(f"{spec.market}-operator", "Pilot Operator", Role.OPERATOR)
        self._prices(self.start - timedelta(days=30))
        self.cities = [(self._place(name), share) for name, share in spec.cities]
        self.quotes = {
            slug: quote(market=self.market, category=self.categories[slug])
            for slug in spec.categories
        }
        self._helpers()
        for posted in self._posting_times():
            self._request(posted)
        self._count()

    # --- Set-up ----------------------------------------------------------------------------

    def _prices(self, now: datetime) -> None:
        spec, operator = self.spec, self.operator
        reason = f"{spec.name} pilot scenario"
        market_update(
            market=self.market,
            actor=operator,
            source="seed",
            reason=reason,
            now=now,
            fixed_cost_per_month=spec.fixed_cost_per_month,
        )
        self.market.refresh_from_db()
        for entry in PriceBookEntry.objects.filter(market=self.market).select_related("category"):
            slug = entry.category.slug
            changes = {"pro_install_free": slug in spec.install_free}
            if slug in spec.helper_fees:
                changes["helper_fee"] = spec.helper_fees[slug]
            price_entry_update(
                entry=entry, actor=operator, source="seed", reason=reason, now=now, **changes
            )

    def _user(self, local: str, full_name: str, role: str, joined: datetime | None = None) -> User:
        user = User(email=f"{local}@{EMAIL_DOMAIN}", full_name=full_name, role=role)
        user.date_joined = joined or self.start - timedelta(days=30)
        user.set_unusable_password()  # nobody logs in as a pilot user
        user.save()
        return user

    def _place(self, name: str) -> tuple[str, float, float]:
        location = self.gazetteer.geocode(name, country_codes=self.market.country)
        return name, location.latitude, location.longitude

    def _position(self, city: tuple[str, float, float]) -> tuple[float, float]:
        """A point within spread_km of the centre, denser towards the middle."""
        _name, lat, lng = city
        spread = self.spec.spread_km
        while True:
            east, north = self.rng.gauss(0, spread / 2.5), self.rng.gauss(0, spread / 2.5)
            if math.hypot(east, north) <= spread:
                return (
                    round(lat + north / 111.32, 6),
                    round(lng + east / (111.32 * math.cos(math.radians(lat))), 6),
                )

    def _locality(self, lat: float, lng: float, fallback: str) -> str:
        place = self.gazetteer.reverse(
            (lat, lng), max_distance_km=30, country_codes=self.market.country
        )
        if place is None:
            return fallback
        name, part_of = place.raw["name"], place.raw["part_of"]
        return f"{name}, {part_of}" if part_of else name

    def _name(self) -> str:
        rng = self.rng
        if self.market.code == "pl":
            first, gender = rng.choice(demo.POLISH_FIRST)
            male, female = rng.choice(demo.POLISH_LAST)
            return f"{first} {male if gender == 'm' else female}"
        return f"{rng.choice(demo.SWISS_FIRST)} {rng.choice(demo.SWISS_LAST)}"

    def _city(self) -> tuple[str, float, float]:
        places, shares = zip(*self.cities, strict=True)
        return self.rng.choices(places, weights=shares)[0]

    def _helpers(self) -> None:
        """Everyone registers in the three weeks before the pilot and is vetted within days;
        a few applications are still waiting for vetting."""
        spec, rng = self.spec, self.rng
        places, shares = zip(*self.cities, strict=True)
        counts = [math.floor(spec.helpers * s / sum(shares)) for s in shares]
        for i in range(spec.helpers - sum(counts)):  # largest share first gets the remainder
            counts[i % len(counts)] += 1
        waiting = set(
            rng.sample(range(spec.helpers), spec.helpers - round(spec.helpers * spec.vetted_share))
        )
        number = 0
        for place, count in zip(places, counts, strict=True):
            for _ in range(count):
                number += 1
                joined = self.start - timedelta(days=rng.uniform(7, 21))
                user = self._user(
                    f"{spec.market}-helper-{number:03d}", self._name(), Role.HELPER, joined
                )
                lat, lng = self._position(place)
                skills = [s for s, odds in demo.SKILL_ODDS.items() if rng.random() < odds]
                skills = skills or [rng.choice(list(demo.SKILL_ODDS))]
                label, slots = rng.choices(demo.AVAILABILITY, weights=spec.availability_weights)[0]
                profile = helper_apply(
                    user=user,
                    market=self.market,
                    lat=lat,
                    lng=lng,
                    city=place[0],
                    home_address=self._locality(lat, lng, place[0]),
                    service_radius_km=rng.choice(demo.RADII_KM),
                    bio=f"Helping neighbours with {', '.join(s.replace('-', ' ') for s in skills)}."
                    f" Available {label}.",
                    languages=rng.choice(spec.languages),
                    skills=[self.categories[s] for s in skills],
                    slots=list(slots),
                    accept_code_of_conduct=True,
                )
                vetted = None
                if number - 1 not in waiting:
                    helper_vet(profile=profile, actor=self.operator, id_checked=True)
                    vetted = joined + timedelta(days=rng.uniform(1, 5))
                HelperProfile.objects.filter(pk=profile.pk).update(
                    created_at=joined,
                    code_of_conduct_accepted_at=joined,
                    id_checked_at=vetted,
                    vetted_at=vetted,
                )

    # --- Demand ----------------------------------------------------------------------------

    def _posting_times(self) -> list[datetime]:
        """The pilot's requests: a fixed number (months × rate), spread over the days with the
        weekday pattern and the trend, and over the day's hours."""
        spec, rng = self.spec, self.rng
        first = timezone.localtime(self.start, self.tz).date()
        n_days = (timezone.localtime(self.end, self.tz).date() - first).days
        days = [first + timedelta(days=i) for i in range(n_days)]
        weights = [
            WEEKDAY_WEIGHTS[d.weekday()] * (1 + spec.trend * (i / max(1, n_days - 1) - 0.5))
            for i, d in enumerate(days)
        ]
        n = round(spec.requests_per_month * n_days / DAYS_PER_MONTH)
        hours, hour_weights = zip(*HOUR_WEIGHTS.items(), strict=True)
        times = [
            datetime.combine(
                day, time(rng.choices(hours, hour_weights)[0], rng.randrange(60)), tzinfo=self.tz
            )
            for day in rng.choices(days, weights=weights, k=n)
        ]
        return sorted(times)

    def _customer(self, posted: datetime) -> _Customer:
        rng = self.rng
        if self.customers and rng.random() < self.spec.repeat_share:
            return rng.choice(self.customers)
        place = self._city()
        lat, lng = self._position(place)
        number = len(self.customers) + 1
        user = self._user(
            f"{self.spec.market}-customer-{number:04d}", self._name(), Role.CUSTOMER, posted
        )
        customer = _Customer(user, lat, lng, self._locality(lat, lng, place[0]))
        self.customers.append(customer)
        return customer

    def _window(self, posted: datetime) -> tuple[datetime, datetime]:
        rng = self.rng
        if rng.random() < 0.6:  # as soon as possible: from within the next two hours
            start = posted + timedelta(minutes=rng.uniform(30, 120))
            start = start.replace(second=0, microsecond=0)
            start += timedelta(minutes=-start.minute % 15)
            return start, start + timedelta(hours=3)
        day = timezone.localtime(posted, self.tz).date() + timedelta(days=rng.choice((1, 1, 2, 3)))
        first, last = rng.choice(LATER_SLOTS)
        return (
            datetime.combine(day, time(first), tzinfo=self.tz),
            datetime.combine(day, time(last), tzinfo=self.tz),
        )

    def _helper_share(self, slug: str) -> float:
        q = self.quotes[slug]
        ratio = q.helper_price / q.professional_list_price
        free = CHOICE_FREE if q.professional_install_free else 0.0
        return 1 / (1 + math.exp(-(CHOICE_A + CHOICE_B * math.log(ratio) + free)))

    # --- One request, start to end -----------------------------------------------------------

    def _request(self, posted: datetime) -> None:
        spec, rng = self.spec, self.rng
        customer = self._customer(posted)
        slug = rng.choices(list(spec.categories), weights=list(spec.categories.values()))[0]
        helper_wanted = rng.random() < self._helper_share(slug)
        window_start, window_end = self._window(posted)
        job = job_post(
            customer=customer.user,
            category=self.categories[slug],
            description=f"{rng.choice(demo.HISTORY_PROBLEMS[slug])} "
            f"{rng.choice(demo.HISTORY_CONTEXTS)}",
            address=customer.address,
            lat=customer.lat,
            lng=customer.lng,
            window_start=window_start,
            window_end=window_end,
            fulfilment=Fulfilment.HELPER if helper_wanted else Fulfilment.PROFESSIONAL,
            now=posted,
        )
        stamps = {"posted": posted, "offered": posted, "professional_booked": posted}
        reviewed = None
        if helper_wanted:
            outcome = rng.choices(OUTCOMES, weights=spec.outcome_weights)[0]
            job, reviewed = self._follow(job, customer.user, posted, outcome, stamps)
        JobEvent.objects.filter(job=job).update(
            created_at=Case(
                *[When(kind=kind, then=Value(at)) for kind, at in stamps.items()],
                default=F("created_at"),
                output_field=DateTimeField(),
            )
        )
        if reviewed is not None:
            Review.objects.filter(job=job).update(created_at=reviewed)

    def _follow(self, job, customer, posted, outcome, stamps):
        """What happens after a helper request is posted. Returns (job, reviewed at)."""
        rng = self.rng
        minutes = lambda lo, hi: timedelta(minutes=rng.uniform(lo, hi))  # noqa: E731
        early = posted + minutes(3, 40)
        if job.status == JobStatus.EXPIRED:  # nobody in range and available at all
            return self._expired(job, customer, posted, stamps), None
        if outcome == "cancel_before":
            stamps["cancelled"] = early
            return job_cancel(
                job=job, actor=customer, reason=rng.choice(CANCEL_BEFORE), now=early
            ), None
        if outcome == "operator_cancel":
            stamps["cancelled"] = early
            return job_cancel(
                job=job, actor=self.operator, reason=rng.choice(OPERATOR_CANCEL), now=early
            ), None
        if outcome == "switch":
            stamps["professional_booked"] = early
            return job_book_professional(job=job, customer=customer, now=early), None
        offers = list(
            job.offers.filter(status=OfferStatus.PENDING, helper__email__startswith=self.prefix)
            .select_related("helper")
            .order_by("distance_km", "id")
        )
        if rng.random() < self.spec.slow_accept_share:
            wait = minutes(60, 300)
        else:
            wait = timedelta(
                minutes=rng.lognormvariate(math.log(self.spec.accept_median_minutes), 0.8)
            )
        accepted = posted + wait
        if outcome == "no_taker" or not offers or accepted > job.window_end - timedelta(minutes=30):
            return self._expired(job, customer, posted, stamps), None
        helper = rng.choices(offers, weights=(5, 3, 2, 1, 1, 1)[: len(offers)])[0].helper
        job = job_accept(job=job, helper=helper, now=accepted)
        stamps["accepted"] = accepted
        if outcome == "cancel_after":
            at = accepted + minutes(10, 180)  # after the free hour, the policy fee applies
            stamps["cancelled"] = at
            job = job_cancel(job=job, actor=customer, reason=rng.choice(CANCEL_AFTER), now=at)
            payment_follow_job(job=job, now=at)
            return job, None
        checked_in = max(job.window_start, accepted + minutes(15, 45)) + minutes(0, 15)
        job = job_check_in(job=job, helper=helper, now=checked_in)
        done = checked_in + timedelta(minutes=job.category.typical_minutes * rng.uniform(0.6, 1.4))
        job = job_complete(job=job, helper=helper, note=rng.choice(NOTES), now=done)
        stamps.update(checked_in=checked_in, completed=done)
        if rng.random() < self.spec.auto_confirm_share:  # the customer never clicked
            confirmed = done + timedelta(hours=settings.AUTO_CONFIRM_HOURS)
            job = job_confirm(job=job, actor=None, now=confirmed)
            stamps["auto_confirmed"] = confirmed
        else:
            confirmed = done + minutes(5, 480)
            job = job_confirm(job=job, actor=customer, now=confirmed)
            stamps["confirmed"] = confirmed
        payment_follow_job(job=job, now=confirmed)
        if "confirmed" not in stamps or rng.random() >= self.spec.review_share:
            return job, None
        reviewed = confirmed + minutes(1, 600)
        stamps["reviewed"] = reviewed
        rating = rng.choices((5, 4, 3, 2, 1), weights=self.spec.rating_weights)[0]
        nps = {5: rng.choice((9, 10, 10)), 4: rng.randint(7, 9), 3: rng.randint(5, 7)}
        review_create(
            job=job,
            author=customer,
            rating=rating,
            nps=nps.get(rating, rng.randint(0, 4)),
            comment=rng.choice(demo.HISTORY_COMMENTS[rating]),
        )
        if rng.random() < 0.6:
            review_create(job=job, author=helper, rating=rng.choice((5, 5, 5, 4)))
        return job, reviewed

    @property
    def prefix(self) -> str:
        return email_prefix(self.spec)

    def _expired(self, job, customer, posted, stamps):
        """No helper in time: the search ends after its last radius step (or at the end of the
        window); some customers then book the technician."""
        if job.status != JobStatus.EXPIRED:
            steps = len(self.market.radius_steps) * self.market.offer_deadline_minutes
            at = min(job.window_end, posted + timedelta(minutes=steps))
            job = job_expire(job=job, now=at)
        else:
            at = posted
        stamps["expired"] = at
        if self.rng.random() < self.spec.fallback_share:
            booked = at + timedelta(minutes=self.rng.uniform(2, 90))
            window = {}
            if job.window_end <= booked:  # over: the technician comes the next day
                start = booked + timedelta(days=1)
                window = {"window_start": start, "window_end": start + timedelta(hours=4)}
            job = job_book_professional(job=job, customer=customer, now=booked, **window)
            stamps["professional_booked"] = booked
        return job

    def _count(self) -> None:
        s = self.summary
        helpers = HelperProfile.objects.filter(user__in=pilot_users(self.spec))
        s.helpers = helpers.count()
        s.vetted_helpers = helpers.filter(status=HelperStatus.VETTED).count()
        s.customers = len(self.customers)
        jobs = JobRequest.objects.filter(customer__in=pilot_users(self.spec))
        s.jobs = jobs.count()
        rows = jobs.values_list("status").annotate(n=Count("id")).order_by("status")
        s.jobs_by_status = dict(rows)


def describe(summary: PilotSummary, out: TextIO) -> None:
    """A few lines for the console: what was made and the dashboard's headline figures."""
    s, market = summary, summary.market
    say = lambda text: out.write(text + "\n")  # noqa: E731
    if s.deleted_users:
        say(f"Reset: deleted {s.deleted_users} users and {s.deleted_jobs} jobs of the old run.")
    local = lambda at: timezone.localtime(at, ZoneInfo(market.time_zone)).date()  # noqa: E731
    say(
        f"{s.scenario} pilot ({market.name}, seed {s.seed}): {local(s.start)} to "
        f"{local(s.end - timedelta(seconds=1))}, seeded in {s.seconds:.1f} s"
    )
    say(
        f"  {s.helpers} helpers ({s.vetted_helpers} vetted), {s.customers} customers, "
        f"{s.jobs} requests: " + ", ".join(f"{k} {v}" for k, v in s.jobs_by_status.items())
    )
    m = metrics(Scope(market=market, start=s.start, end=s.end))
    pct = lambda x: "–" if x is None else f"{100 * x:.0f} %"  # noqa: E731
    money = lambda x: "–" if x is None else f"{x / 100:,.2f} {m.currency}"  # noqa: E731
    say(
        f"  helper choice {pct(m.helper_choice_share)}, fill rate within 1 h "
        f"{pct(m.fill_rate)}, utilisation {pct(m.utilisation)}, demand/supply "
        f"{m.demand_supply_ratio or 0:.2f}, NPS {m.nps if m.nps is None else round(m.nps)}"
    )
    say(
        f"  margin per job {money(m.contribution_margin_per_job)}, fixed cost "
        f"{money(m.fixed_cost_per_month)} a month; confirmed {m.confirmed_per_month:.1f} a month "
        f"— {m.break_even_note}"
    )
