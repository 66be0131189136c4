"""Demo data for trying Fieldfriends locally (`make demo` → `manage.py seed_demo`).

Everything is created through the real service functions (helper_apply/helper_vet, job_post,
job_accept, job_check_in, job_complete, job_confirm, review_create, job_cancel, job_expire), so
quotes, offers, JobEvents, helper load and ratings are exactly what the product would produce.

Idempotent: users are keyed on their fixed e-mail addresses and jobs on (customer, description);
whatever already exists is left alone, so a second run creates nothing. The whole run is one
transaction: if anything fails, nothing is written. Positions, skills, radii and availability come
from ``random.Random(SEED)``, so every fresh database gets the same demo.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from marketplace.accounts.models import Role, User
from marketplace.core.geo import OfflineGazetteer
from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.helpers.services import helper_apply, helper_vet
from marketplace.jobs.dispatch import job_expire
from marketplace.jobs.models import JobRequest, JobStatus, OfferStatus
from marketplace.jobs.services import (
    job_accept,
    job_cancel,
    job_check_in,
    job_complete,
    job_confirm,
    job_post,
    review_create,
)
from marketplace.pricing.models import Market, ServiceCategory
from marketplace.pricing.reference import ensure_reference_data

SEED = 2026
OPERATOR_EMAIL = "operator@fieldfriends.example"
OPERATOR_PASSWORD = "demo-operator-1"
CUSTOMER_PASSWORD = "demo-customer-1"
HELPER_PASSWORD = "demo-helper-1"
SPREAD_KM = 15.0


@dataclass(frozen=True)
class DemoCity:
    name: str
    market: str
    time_zone: str
    lat: float
    lng: float
    helpers: int
    languages: tuple[str, ...]


CITIES = (
    DemoCity(
        "Warszawa", "pl", "Europe/Warsaw", 52.22977, 21.01178, 24, ("pl,en", "pl", "pl,en,de")
    ),
    DemoCity("Kraków", "pl", "Europe/Warsaw", 50.06143, 19.93658, 18, ("pl,en", "pl", "pl,en,uk")),
    DemoCity(
        "Zürich", "ch", "Europe/Zurich", 47.37689, 8.54169, 24, ("de,en", "de,fr,en", "de,it")
    ),
)
CITY = {c.name: c for c in CITIES}

POLISH_FIRST = [
    ("Agnieszka", "f"), ("Piotr", "m"), ("Katarzyna", "f"), ("Tomasz", "m"), ("Magdalena", "f"),
    ("Paweł", "m"), ("Joanna", "f"), ("Michał", "m"), ("Ewa", "f"), ("Krzysztof", "m"),
    ("Zofia", "f"), ("Jakub", "m"), ("Marta", "f"), ("Łukasz", "m"), ("Natalia", "f"),
    ("Kamil", "m"), ("Aleksandra", "f"), ("Mateusz", "m"),
]  # fmt: skip
POLISH_LAST = [
    ("Kowalski", "Kowalska"), ("Wiśniewski", "Wiśniewska"), ("Wójcik", "Wójcik"),
    ("Kamiński", "Kamińska"), ("Lewandowski", "Lewandowska"), ("Zieliński", "Zielińska"),
    ("Szymański", "Szymańska"), ("Woźniak", "Woźniak"), ("Dąbrowski", "Dąbrowska"),
    ("Mazur", "Mazur"), ("Krawczyk", "Krawczyk"), ("Piotrowski", "Piotrowska"),
]  # fmt: skip
SWISS_FIRST = [
    "Lukas", "Nina", "Marco", "Sarah", "Jonas", "Laura", "David", "Mia", "Luca", "Elena",
    "Noah", "Anna", "Simon", "Julia", "Reto", "Chiara", "Fabian", "Lea",
]  # fmt: skip
SWISS_LAST = [
    "Müller", "Meier", "Schmid", "Keller", "Weber", "Huber", "Schneider", "Brunner",
    "Baumann", "Frei", "Gerber", "Moser", "Bernasconi", "Rochat",
]  # fmt: skip

# Weekly availability patterns: (weekday 0=Monday, start hour, end hour) in local time.
ANYTIME = [(d, 7, 22) for d in range(7)]
AVAILABILITY = [
    ("after work", [(d, 17, 22) for d in range(5)]),
    ("weekends", [(d, 9, 19) for d in (5, 6)]),
    ("evenings and weekends", [(d, 18, 22) for d in range(5)] + [(d, 10, 18) for d in (5, 6)]),
    ("office hours", [(d, 8, 17) for d in range(5)]),
    ("mornings", [(d, 7, 12) for d in range(6)]),
    ("most of the time", ANYTIME),
]
SKILL_ODDS = {
    "router-wifi": 0.7,
    "tv-decoder": 0.45,
    "fibre-terminal": 0.25,
    "smart-home": 0.35,
    "pc-help": 0.4,
    "phone-setup": 0.5,
}
RADII_KM = (5, 8, 10, 10, 12, 15, 15, 20)
# The first few helpers of every city are generalists available every day from 07:00 to 22:00,
# living near the centre: the demo jobs below always find somebody.
GENERALISTS_PER_CITY = 4


@dataclass(frozen=True)
class HelperSpec:
    email: str
    full_name: str
    phone: str
    city: DemoCity
    lat: float
    lng: float
    radius_km: int
    skills: tuple[str, ...]
    slots: tuple[tuple[int, int, int], ...]
    languages: str
    bio: str
    vetted: bool


@dataclass(frozen=True)
class CustomerSpec:
    email: str
    full_name: str
    phone: str
    city: str
    address: str
    lat: float
    lng: float


CUSTOMERS = (
    CustomerSpec("anna@example.com", "Anna Kowalska", "+48 601 200 300", "Warszawa",
                 "ul. Puławska 12, 02-512 Warszawa", 52.20220, 21.02280),
    CustomerSpec("jan@example.com", "Jan Nowak", "+48 602 300 400", "Kraków",
                 "ul. Józefa 14, 31-056 Kraków", 50.05130, 19.94500),
    CustomerSpec("lea@example.com", "Lea Meier", "+41 79 555 01 02", "Zürich",
                 "Langstrasse 120, 8004 Zürich", 47.37810, 8.52700),
    CustomerSpec("piotr@example.com", "Piotr Zieliński", "+48 603 400 500", "Warszawa",
                 "ul. Ząbkowska 20, 03-735 Warszawa", 52.25150, 21.04400),
    CustomerSpec("noah@example.com", "Noah Keller", "+41 78 444 02 03", "Zürich",
                 "Schaffhauserstrasse 350, 8050 Zürich", 47.41110, 8.54460),
    CustomerSpec("zofia@example.com", "Zofia Mazur", "+48 604 500 600", "Kraków",
                 "os. Centrum A 5, 31-923 Kraków", 50.07200, 20.03780),
)  # fmt: skip
CUSTOMER = {c.email.split("@")[0]: c for c in CUSTOMERS}


@dataclass(frozen=True)
class JobSpec:
    """One demo request and how far through its life it goes.

    `days_ago` > 0: posted that many days ago for a `window` (local hours) that day (history);
    `days_ago` == 0: live, for a `window` tomorrow (in progress/completed: earlier today)."""

    customer: str
    category: str
    description: str
    outcome: str  # offered | accepted | in_progress | completed | confirmed | cancelled | expired
    days_ago: int = 0
    window: tuple[int, int] = (10, 14)
    rating: int | None = None  # the customer's rating of the helper (confirmed jobs)
    nps: int | None = None
    comment: str = ""
    helper_rating: int = 5  # the helper's rating of the customer
    # Where the job is, when not at the customer's home address.
    address: str = ""
    lat: float | None = None
    lng: float | None = None


JOBS = (
    # History, oldest first: confirmed and reviewed, one expired.
    JobSpec("anna", "router-wifi", "The Wi-Fi does not reach the kitchen after the new router "
            "was installed.", "confirmed", days_ago=27, rating=5, nps=10,
            comment="Quick and friendly, moved the router and set up a repeater."),
    JobSpec("lea", "tv-decoder", "Swisscom TV box shows no signal since we moved the "
            "furniture.", "confirmed", days_ago=25, rating=5, nps=9,
            comment="Found the loose cable in five minutes."),
    JobSpec("jan", "pc-help", "Old laptop is very slow, please help move photos to the new "
            "one.", "confirmed", days_ago=23, rating=4, nps=8,
            comment="Took a while but everything is on the new laptop."),
    JobSpec("noah", "smart-home", "Want to connect two smart plugs and a thermostat to the "
            "app.", "confirmed", days_ago=20, window=(14, 18), rating=5, nps=10),
    JobSpec("piotr", "tv-decoder", "Need the new decoder connected and channels sorted for my "
            "parents.", "confirmed", days_ago=18, rating=3, nps=6,
            comment="Worked in the end, but came late.", helper_rating=4),
    JobSpec("zofia", "phone-setup", "Set up my new smartphone and move contacts from the old "
            "one.", "confirmed", days_ago=16, rating=5, nps=9,
            comment="Very patient, explained everything."),
    JobSpec("anna", "smart-home", "Video doorbell needs to be paired with the home "
            "network.", "expired", days_ago=14, window=(18, 21)),
    JobSpec("lea", "router-wifi", "Home office keeps dropping the connection during "
            "calls.", "confirmed", days_ago=12, rating=4, nps=7,
            comment="Better now; one room is still weak."),
    JobSpec("jan", "router-wifi", "New Orange Funbox, please set up Wi-Fi and the guest "
            "network.", "confirmed", days_ago=9, rating=5, nps=10),
    JobSpec("noah", "pc-help", "Printer is not found by the laptop any more.", "confirmed",
            days_ago=7, rating=2, nps=3, comment="Could not fix the printer.", helper_rating=4),
    JobSpec("piotr", "router-wifi", "Mesh Wi-Fi kit to install in a two-storey "
            "flat.", "confirmed", days_ago=5, rating=5, nps=9),
    JobSpec("zofia", "tv-decoder", "TV decoder remote does not pair after the "
            "update.", "confirmed", days_ago=3, rating=4, nps=8),
    # Live: windows tomorrow.
    JobSpec("anna", "router-wifi", "Router blinks red since this morning, no internet at "
            "all.", "offered"),
    JobSpec("jan", "tv-decoder", "Second TV decoder for the bedroom needs connecting.",
            "offered", window=(16, 20)),
    JobSpec("lea", "smart-home", "Smart lights in the living room stopped responding to the "
            "app.", "offered", window=(9, 12)),
    JobSpec("noah", "pc-help", "Set up backups for the family PC to an external "
            "disk.", "accepted", window=(13, 17)),
    JobSpec("piotr", "phone-setup", "Configure e-mail and banking app on a new "
            "tablet.", "in_progress"),
    JobSpec("lea", "router-wifi", "Wi-Fi password change locked out the smart TV.",
            "completed", window=(8, 11)),
    JobSpec("zofia", "fibre-terminal", "Fibre terminal arrived by post, need it connected.",
            "cancelled", window=(12, 16)),
)  # fmt: skip

# Generated history on top of JOBS: more confirmed, reviewed jobs in each city over the past six
# weeks, at varied addresses, so that ratings, loads and fairness differ between helpers.
HISTORY_PER_CITY = 8
HISTORY_CUSTOMERS = {"Warszawa": ("anna", "piotr"), "Kraków": ("jan", "zofia"),
                     "Zürich": ("lea", "noah")}  # fmt: skip
HISTORY_PROBLEMS = {
    "router-wifi": ("Wi-Fi is slow in the evenings.", "The router needs a new password and a "
                    "guest network.", "Devices keep losing the Wi-Fi connection."),
    "tv-decoder": ("TV decoder shows an error code after a restart.", "Need a decoder connected "
                   "to the new TV.", "Channels are missing after the last update."),
    "fibre-terminal": ("Fibre terminal lights are off after the technician left.",
                       "Need the fibre box connected to the router."),
    "smart-home": ("Smart thermostat does not connect to the app.", "Help to set up a few "
                   "smart bulbs and a speaker."),
    "pc-help": ("Laptop does not start the video calls app.", "Need antivirus installed and "
                "old programs removed."),
    "phone-setup": ("Move photos and WhatsApp to a new phone.", "Set up a tablet for my "
                    "grandmother, large fonts please."),
}  # fmt: skip
HISTORY_CONTEXTS = (
    "At my parents' flat.", "In the home office.", "Third floor, no lift.",
    "Ring twice at the gate.", "Small shop after closing time.", "At our holiday flat.",
    "Grandma's place, she will be at home.", "Student flat, shared Wi-Fi.",
)  # fmt: skip
HISTORY_WINDOWS = ((9, 12), (10, 14), (14, 18), (17, 20))
HISTORY_COMMENTS = {
    5: ("Great help, very friendly.", "Fast and explained everything.", ""),
    4: ("Good job, a bit late.", "Solved it, thank you.", ""),
    3: ("Okay, but needed a second try.", ""),
    2: ("Problem came back the next day.",),
    1: ("Did not solve the problem.",),
}


APPLICANTS = (
    ("applicant01@example.com", "Oskar Lewandowski", "Warszawa"),
    ("applicant02@example.com", "Maja Kamińska", "Kraków"),
    ("applicant03@example.com", "Tim Huber", "Zürich"),
    ("applicant04@example.com", "Chiara Bernasconi", "Zürich"),
)


@dataclass
class DemoSummary:
    created_users: int = 0
    created_helpers: int = 0
    vetted_helpers: int = 0
    created_jobs: int = 0
    helpers_by_city: dict[str, int] = field(default_factory=dict)
    applicants: int = 0
    customers: int = 0
    jobs_by_status: dict[str, int] = field(default_factory=dict)


# --- Deterministic specs -----------------------------------------------------------------------


def _offset(lat: float, lng: float, east_km: float, north_km: float) -> tuple[float, float]:
    return (
        round(lat + north_km / 111.32, 6),
        round(lng + east_km / (111.32 * math.cos(math.radians(lat))), 6),
    )


def _position(rng: random.Random, city: DemoCity, *, max_km: float) -> tuple[float, float]:
    """A home within `max_km` of the centre, denser towards the middle like real cities."""
    while True:
        east, north = rng.gauss(0, max_km / 2.5), rng.gauss(0, max_km / 2.5)
        if math.hypot(east, north) <= max_km:
            return _offset(city.lat, city.lng, east, north)


def _name(rng: random.Random, city: DemoCity) -> str:
    if city.market == "pl":
        first, gender = rng.choice(POLISH_FIRST)
        male, female = rng.choice(POLISH_LAST)
        return f"{first} {male if gender == 'm' else female}"
    return f"{rng.choice(SWISS_FIRST)} {rng.choice(SWISS_LAST)}"


def _phone(rng: random.Random, city: DemoCity) -> str:
    if city.market == "pl":
        return f"+48 {rng.randint(500, 799)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
    return f"+41 7{rng.choice('6789')} {rng.randint(100, 999)} {rng.randint(10, 99)} " + str(
        rng.randint(10, 99)
    )


def helper_specs() -> list[HelperSpec]:
    """The demo helpers, numbered helper01… across the three cities. Pure: no database access."""
    rng = random.Random(SEED)
    specs = []
    number = 0
    for city in CITIES:
        for i in range(city.helpers):
            number += 1
            generalist = i < GENERALISTS_PER_CITY
            if generalist:
                lat, lng = _position(rng, city, max_km=5)
                skills = tuple(SKILL_ODDS)
                pattern, slots = "every day 7–22", ANYTIME
                radius = 20
            else:
                lat, lng = _position(rng, city, max_km=SPREAD_KM)
                skills = tuple(s for s, odds in SKILL_ODDS.items() if rng.random() < odds) or (
                    rng.choice(list(SKILL_ODDS)),
                )
                pattern, slots = rng.choice(AVAILABILITY)
                radius = rng.choice(RADII_KM)
            years = rng.randint(1, 12)
            specs.append(
                HelperSpec(
                    email=f"helper{number:02d}@example.com",
                    full_name=_name(rng, city),
                    phone=_phone(rng, city),
                    city=city,
                    lat=lat,
                    lng=lng,
                    radius_km=radius,
                    skills=skills,
                    slots=tuple(slots),
                    languages=rng.choice(city.languages),
                    bio=(
                        f"Helping neighbours with {', '.join(s.replace('-', ' ') for s in skills)}"
                        f" for {years} year{'s' if years > 1 else ''}. Available {pattern}."
                    ),
                    vetted=True,
                )
            )
    for email, full_name, city_name in APPLICANTS:
        city = CITY[city_name]
        lat, lng = _position(rng, city, max_km=SPREAD_KM)
        specs.append(
            HelperSpec(
                email=email,
                full_name=full_name,
                phone=_phone(rng, city),
                city=city,
                lat=lat,
                lng=lng,
                radius_km=rng.choice(RADII_KM),
                skills=("router-wifi", "phone-setup"),
                slots=tuple(AVAILABILITY[0][1]),
                languages=city.languages[0],
                bio="Studying IT, happy to help with home networks in the evenings.",
                vetted=False,
            )
        )
    return specs


def history_specs() -> list[JobSpec]:
    """Generated past jobs (confirmed and reviewed), deterministic. Pure: no database access."""
    rng = random.Random(SEED + 1)
    locality = OfflineGazetteer()
    used: set[str] = set()
    specs = []
    for city in CITIES:
        for i in range(HISTORY_PER_CITY):
            customer = HISTORY_CUSTOMERS[city.name][i % 2]
            category = rng.choice(list(HISTORY_PROBLEMS))
            while True:
                description = (
                    f"{rng.choice(HISTORY_PROBLEMS[category])} {rng.choice(HISTORY_CONTEXTS)}"
                )
                if (customer, description) not in used:
                    used.add((customer, description))
                    break
            lat, lng = _position(rng, city, max_km=10)
            rating = rng.choices((5, 4, 3, 2, 1), weights=(50, 30, 12, 5, 3))[0]
            nps = {5: rng.randint(9, 10), 4: rng.randint(7, 9), 3: rng.randint(5, 7)}.get(
                rating, rng.randint(0, 4)
            )
            specs.append(
                JobSpec(
                    customer,
                    category,
                    description,
                    "confirmed",
                    days_ago=rng.randint(4, 42),
                    window=rng.choice(HISTORY_WINDOWS),
                    rating=rating,
                    nps=nps,
                    comment=rng.choice(HISTORY_COMMENTS[rating]),
                    helper_rating=rng.choice((5, 5, 5, 4)),
                    address=_locality_name(locality, lat, lng, city),
                    lat=lat,
                    lng=lng,
                )
            )
    return specs


def job_specs() -> list[JobSpec]:
    """Every demo job in the order it is created: history oldest first, then live requests."""
    history = [spec for spec in (*JOBS, *history_specs()) if spec.days_ago]
    live = [spec for spec in JOBS if not spec.days_ago]
    return sorted(history, key=lambda spec: -spec.days_ago) + live


def _locality_name(locality: OfflineGazetteer, lat: float, lng: float, city: DemoCity) -> str:
    """ "Mokotów, Warszawa": the nearest gazetteer locality, for addresses."""
    place = locality.reverse((lat, lng), max_distance_km=30)
    if place is None:
        return city.name
    name, part_of = place.raw["name"], place.raw["part_of"]
    return f"{name}, {part_of}" if part_of else name


# --- Writing -----------------------------------------------------------------------------------


class _Seeder:
    def __init__(self, out: TextIO | None):
        self.out = out
        self.summary = DemoSummary()
        self.now = timezone.now()
        self.hashes: dict[str, str] = {}
        self.locality = OfflineGazetteer()

    def say(self, text: str = "") -> None:
        if self.out is not None:
            self.out.write(text + "\n")

    def user(self, email: str, password: str, **fields) -> tuple[User, bool]:
        existing = User.objects.filter(email=email).first()
        if existing is not None:
            return existing, False
        if password not in self.hashes:  # one (slow) hash per password, shared by demo users
            self.hashes[password] = make_password(password)
        user = User(email=email, password=self.hashes[password], **fields)
        user.save()
        self.summary.created_users += 1
        return user, True

    def helper(self, spec: HelperSpec, operator: User, categories: dict) -> HelperProfile:
        user, _ = self.user(
            spec.email,
            HELPER_PASSWORD,
            full_name=spec.full_name,
            phone=spec.phone,
            role=Role.HELPER,
        )
        profile = HelperProfile.objects.filter(user=user).first()
        if profile is None:
            profile = helper_apply(
                user=user,
                market=Market.objects.get(code=spec.city.market),
                lat=spec.lat,
                lng=spec.lng,
                city=spec.city.name,
                home_address=_locality_name(self.locality, spec.lat, spec.lng, spec.city),
                service_radius_km=spec.radius_km,
                bio=spec.bio,
                languages=spec.languages,
                skills=[categories[slug] for slug in spec.skills],
                slots=list(spec.slots),
                accept_code_of_conduct=True,
            )
            self.summary.created_helpers += 1
        if spec.vetted and profile.status == HelperStatus.APPLIED:
            profile = helper_vet(profile=profile, actor=operator, id_checked=True)
        return profile

    def when(self, spec: JobSpec, city: DemoCity) -> tuple[datetime, datetime, datetime]:
        """(posted at, window start, window end) for a demo job, in the city's local time."""
        tz = ZoneInfo(city.time_zone)
        local_now = self.now.astimezone(tz)
        today = local_now.date()
        if spec.days_ago:  # history: that day, posted in the morning
            day = today - timedelta(days=spec.days_ago)
            start, end = _local(day, spec.window[0], tz), _local(day, spec.window[1], tz)
            return start - timedelta(hours=3), start, end
        if spec.outcome in ("in_progress", "completed"):  # the helper is (was) there just now
            start = _recent_daytime_hour(local_now)
            return start - timedelta(hours=2), start, start + timedelta(hours=3)
        # Live requests for tomorrow; offers of the "offered" ones are still pending.
        posted = self.now if spec.outcome == "offered" else self.now - timedelta(minutes=30)
        day = today + timedelta(days=1)
        return posted, _local(day, spec.window[0], tz), _local(day, spec.window[1], tz)

    def job(self, spec: JobSpec, customers: dict, categories: dict) -> JobRequest:
        customer_spec = CUSTOMER[spec.customer]
        customer = customers[spec.customer]
        existing = JobRequest.objects.filter(
            customer=customer, description=spec.description
        ).first()
        if existing is not None:
            return existing
        posted, start, end = self.when(spec, CITY[customer_spec.city])
        job = job_post(
            customer=customer,
            category=categories[spec.category],
            description=spec.description,
            address=spec.address or customer_spec.address,
            lat=customer_spec.lat if spec.lat is None else spec.lat,
            lng=customer_spec.lng if spec.lng is None else spec.lng,
            window_start=start,
            window_end=end,
            now=posted,
        )
        self.summary.created_jobs += 1
        outcome = spec.outcome
        if outcome == "expired":
            return job_expire(job=job, now=end)
        if outcome == "cancelled":
            return job_cancel(
                job=job,
                actor=customer,
                reason="A neighbour offered to help after all",
                now=posted + timedelta(minutes=20),
            )
        if outcome == "offered":
            return _expect(job, JobStatus.OFFERED, spec)
        offer = job.offers.filter(status=OfferStatus.PENDING).order_by("distance_km", "id").first()
        if offer is None:
            raise RuntimeError(f"Demo job {spec.description!r} found no helper ({job.status})")
        helper = offer.helper
        job = job_accept(job=job, helper=helper, now=posted + timedelta(minutes=12))
        if outcome == "accepted":
            return job
        job = job_check_in(job=job, helper=helper, now=start + timedelta(minutes=10))
        if outcome == "in_progress":
            return job
        job = job_complete(
            job=job,
            helper=helper,
            note="Done: everything works, showed the customer how to restart it.",
            now=start + timedelta(minutes=65),
        )
        if outcome == "completed":
            return job
        job = job_confirm(job=job, actor=customer, now=end + timedelta(hours=2))
        review_create(
            job=job, author=customer, rating=spec.rating or 5, nps=spec.nps, comment=spec.comment
        )
        review_create(job=job, author=helper, rating=spec.helper_rating, comment="")
        return _expect(job, JobStatus.CONFIRMED, spec)

    def run(self) -> DemoSummary:
        ensure_reference_data()
        categories = {c.slug: c for c in ServiceCategory.objects.all()}
        operator, _ = self.user(
            OPERATOR_EMAIL,
            OPERATOR_PASSWORD,
            full_name="Olga Operator",
            role=Role.OPERATOR,
            is_staff=True,
            is_superuser=True,
        )
        customers = {
            key: self.user(
                spec.email,
                CUSTOMER_PASSWORD,
                full_name=spec.full_name,
                phone=spec.phone,
                role=Role.CUSTOMER,
            )[0]
            for key, spec in CUSTOMER.items()
        }
        for spec in helper_specs():
            self.helper(spec, operator, categories)
        for spec in job_specs():
            self.job(spec, customers, categories)
        self.count(customers)
        return self.summary

    def count(self, customers: dict) -> None:
        s = self.summary
        demo_helpers = HelperProfile.objects.filter(
            user__email__in=[spec.email for spec in helper_specs()]
        )
        vetted = demo_helpers.filter(status=HelperStatus.VETTED)
        s.vetted_helpers = vetted.count()
        s.helpers_by_city = {city.name: vetted.filter(city=city.name).count() for city in CITIES}
        s.applicants = demo_helpers.filter(status=HelperStatus.APPLIED).count()
        s.customers = len(customers)
        jobs = JobRequest.objects.filter(customer__in=customers.values())
        s.jobs_by_status = {}
        for status in jobs.values_list("status", flat=True):
            s.jobs_by_status[status] = s.jobs_by_status.get(status, 0) + 1


def _local(day: date, hour: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=tz)


def _recent_daytime_hour(local_now: datetime) -> datetime:
    """The start of a window that began an hour or so ago, moved into the daytime (when the
    demo generalists work) if it is night now."""
    if 8 <= local_now.hour <= 21:
        return local_now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    if local_now.hour < 8:
        return _local(local_now.date() - timedelta(days=1), 18, local_now.tzinfo)
    return _local(local_now.date(), 19, local_now.tzinfo)


def _expect(job: JobRequest, status: str, spec: JobSpec) -> JobRequest:
    if job.status != status:
        raise RuntimeError(f"Demo job {spec.description!r} is {job.status}, expected {status}")
    return job


def seed_demo(stdout: TextIO | None = None) -> DemoSummary:
    """Create (or complete) the demo data and print a short summary with the demo logins."""
    seeder = _Seeder(stdout)
    with transaction.atomic():
        summary = seeder.run()
    _print_summary(seeder, summary)
    return summary


def _print_summary(seeder: _Seeder, s: DemoSummary) -> None:
    say = seeder.say
    if s.created_users or s.created_jobs:
        say(
            f"Demo data created: {s.created_users} users, {s.created_helpers} helper profiles, "
            f"{s.created_jobs} jobs."
        )
    else:
        say("Demo data already present: nothing to create.")
    cities = ", ".join(f"{name} {n}" for name, n in s.helpers_by_city.items())
    statuses = ", ".join(f"{status} {n}" for status, n in sorted(s.jobs_by_status.items()))
    say(f"  {s.vetted_helpers} vetted helpers ({cities}); {s.applicants} waiting for vetting")
    say(f"  {s.customers} customers; jobs: {statuses}")
    specs = helper_specs()
    vetted = [spec.email for spec in specs if spec.vetted]
    applicants = [spec.email for spec in specs if not spec.vetted]
    say("Demo logins (e-mail / password):")
    say(f"  operator   {OPERATOR_EMAIL} / {OPERATOR_PASSWORD}  (also the Django admin)")
    emails = [c.email for c in CUSTOMERS]
    say(f"  customers  {', '.join(emails[:3])} / {CUSTOMER_PASSWORD}")
    say(f"             (also {', '.join(emails[3:])})")
    say(f"  helpers    {vetted[0]} … {vetted[-1]} / {HELPER_PASSWORD}")
    say(f"  applicants {applicants[0]} … {applicants[-1]} / {HELPER_PASSWORD}")
