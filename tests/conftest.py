"""Shared fixtures.

Named users per role, the base for the permission tests everywhere in this suite (who may see
and do what: the owner, another person of the same role, each other role):

* alice: customer (the one who posts the jobs), phone +41 79 111;
* mallory: another customer (someone else's job → 404);
* bob: vetted helper about 1 km north of central Zürich (`ZURICH`), where the jobs are posted;
* carol: another vetted helper, about 1.4 km south of it;
* dave: helper who applied and is still waiting for vetting;
* olga: operator (staff).

They are built from the factories (`UserFactory`, `OperatorFactory`, `helper_profile` in
tests/factories.py), with the reference markets and categories (`reference`, `ch`, `pl`,
`router_wifi`). Jobs, offers, payments, reviews and disputes come from the same module: row
factories for read-only tests, `posted_job` / `job_at` to go through the services."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from marketplace.accounts.models import Role
from marketplace.accounts.services import api_token_create
from marketplace.helpers.models import HelperStatus
from marketplace.pricing.models import Market, PriceBookEntry, PriceChange, ServiceCategory
from marketplace.pricing.reference import ensure_reference_data
from marketplace.pricing.services import market_update, price_entry_update
from tests.factories import ZURICH, OperatorFactory, UserFactory, helper_profile


@pytest.fixture
def reference(db):
    ensure_reference_data()


@pytest.fixture
def ch(reference) -> Market:
    return Market.objects.get(code="ch")


@pytest.fixture
def pl(reference) -> Market:
    return Market.objects.get(code="pl")


@pytest.fixture
def router_wifi(reference) -> ServiceCategory:
    return ServiceCategory.objects.get(slug="router-wifi")


@pytest.fixture
def alice(reference):
    return UserFactory(email="alice@example.com", full_name="Alice Customer", phone="+41 79 111")


@pytest.fixture
def mallory(reference):
    return UserFactory(email="mallory@example.com", full_name="Mallory Other")


@pytest.fixture
def bob(reference):
    user = UserFactory(email="bob@example.com", full_name="Bob Helper", role=Role.HELPER)
    helper_profile(user=user, lat=ZURICH[0] + 0.01, lng=ZURICH[1])
    return user


@pytest.fixture
def carol(reference):
    user = UserFactory(email="carol@example.com", full_name="Carol Helper", role=Role.HELPER)
    helper_profile(user=user, lat=ZURICH[0] - 0.012, lng=ZURICH[1] + 0.005)
    return user


@pytest.fixture
def dave(reference):
    user = UserFactory(email="dave@example.com", full_name="Dave Applicant", role=Role.HELPER)
    helper_profile(user=user, status=HelperStatus.APPLIED)
    return user


@pytest.fixture
def olga(reference):
    return OperatorFactory(email="olga@example.com", full_name="Olga Operator")


class ApiClient:
    """Django test client speaking JSON with a bearer token."""

    def __init__(self, user=None):
        self.client = Client()
        self.headers = {}
        if user is not None:
            _token, raw = api_token_create(user=user)
            self.headers["Authorization"] = f"Bearer {raw}"

    def _call(self, method, path, data=None):
        kwargs = {"content_type": "application/json", "headers": self.headers}
        if data is not None:
            kwargs["data"] = data
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path, **params):
        return self.client.get(path, params, headers=self.headers)

    def post(self, path, data=None):
        return self._call("post", path, data if data is not None else {})

    def patch(self, path, data):
        return self._call("patch", path, data)

    def put(self, path, data):
        return self._call("put", path, data)

    def delete(self, path):
        return self._call("delete", path)


@pytest.fixture
def api_as():
    return ApiClient


# --- Pricing -------------------------------------------------------------------------------------


@pytest.fixture
def ch_router(ch, router_wifi) -> PriceBookEntry:
    return PriceBookEntry.objects.get(market=ch, category=router_wifi)


@pytest.fixture
def some_history(ch_router, pl, router_wifi, olga):
    """Three price changes on three days: CH router fee, PL commission, PL router fee (seed)."""
    t0 = timezone.now() - timedelta(days=3)
    price_entry_update(entry=ch_router, actor=olga, reason="first", helper_fee=5500, now=t0)
    market_update(
        market=pl, actor=olga, reason="second", commission_bps=1800, now=t0 + timedelta(days=1)
    )
    pl_router = PriceBookEntry.objects.get(market=pl, category=router_wifi)
    price_entry_update(
        entry=pl_router,
        actor=None,
        source="seed",
        reason="third",
        helper_fee=7000,
        now=t0 + timedelta(days=2),
    )
    return PriceChange.objects.all()
