"""Concurrent refunds and captures on PostgreSQL (issue 21): real threads, real connections,
real row locks, through the API and the web form as a double-clicking operator would.

Of concurrent refunds that together exceed the capture, exactly one is taken; the others answer
409 (another refund is still being processed) or 422 (more than is left) — never 500 — and no
provider call is left pending. In card mode only one refund reaches Stripe."""

import pytest
from django.db import connection
from django.test import Client

from marketplace.jobs.services import job_check_in, job_complete, job_confirm
from marketplace.payments import ledger
from marketplace.payments.models import CallStatus, Payment, PaymentStatus, ProviderCall
from marketplace.payments.selectors import unbalanced_jobs
from tests.conftest import ApiClient
from tests.jobs.test_concurrency_postgres import race
from tests.payments.test_payments_bill_to_account import ZURICH
from tests.payments.test_payments_stripe import bob_ready, fake, pay  # noqa: F401 (fixtures, shared)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def confirmed_job(alice, helper, router_wifi, *, paying=None):
    from marketplace.jobs.services import job_accept, job_post

    job = job_post(
        customer=alice, category=router_wifi, description="Set up my new router", address=ZURICH
    )
    job = job_accept(job=job, helper=helper)
    if paying:
        paying(job, alice)
    job = job_complete(job=job_check_in(job=job, helper=helper), helper=helper)
    job = job_confirm(job=job, actor=alice)  # transaction=True: its on-commit capture ran
    payment = Payment.objects.get(job=job)
    assert (payment.status, payment.amount_captured) == (PaymentStatus.CAPTURED, 6_000)
    return job


def api_refund(api: ApiClient, job_id: int, amount: int = 4_000):
    def prepare():
        return lambda: (
            api.post(
                f"/api/operator/payments/{job_id}/refund", {"amount": amount, "reason": "r"}
            ).status_code
        )

    return prepare


def assert_one_refund_of(job, amount: int) -> None:
    payment = Payment.objects.get(job=job)
    assert (payment.amount_refunded, payment.refund_reserved) == (amount, 0)
    assert not ProviderCall.objects.filter(status=CallStatus.PENDING).exists()
    assert ProviderCall.objects.filter(action="refund", status=CallStatus.SUCCEEDED).count() == 1
    assert ledger.balances(job_id=job.pk)["customer"] == -(6_000 - amount)
    assert list(unbalanced_jobs()) == []


@pytest.mark.parametrize("clicks", [10, 50])
def test_concurrent_api_refunds_take_exactly_one_and_answer_409_or_422(
    alice, bob, olga, router_wifi, clicks
):
    job = confirmed_job(alice, bob, router_wifi)
    apis = [ApiClient(olga) for _ in range(clicks)]

    outcomes = race(*(api_refund(api, job.pk) for api in apis))

    statuses = sorted(status for status, exc in outcomes if exc is None)
    assert [exc for _status, exc in outcomes if exc is not None] == []
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 409, 422}, statuses
    assert_one_refund_of(job, 4_000)


def test_concurrent_card_refunds_send_one_refund_to_stripe(
    fake,  # noqa: F811
    alice,
    bob_ready,  # noqa: F811
    olga,
    router_wifi,
):
    job = confirmed_job(alice, bob_ready, router_wifi, paying=pay)
    apis = [ApiClient(olga) for _ in range(10)]

    outcomes = race(*(api_refund(api, job.pk) for api in apis))

    statuses = sorted(status for status, _exc in outcomes)
    assert statuses.count(200) == 1 and set(statuses) <= {200, 409, 422}, outcomes
    assert len(fake.requests_to("/v1/refunds")) == 1
    assert_one_refund_of(job, 4_000)


def test_refunds_racing_the_capture_never_exceed_it(alice, bob, olga, router_wifi):
    """The customer confirms (which captures, after the commit) while nine refunds arrive:
    refunds before the capture answer 409, at most one after it is taken, the money adds up."""
    from marketplace.jobs.services import job_accept, job_post

    job = job_post(
        customer=alice, category=router_wifi, description="Set up my new router", address=ZURICH
    )
    job = job_complete(
        job=job_check_in(job=job_accept(job=job, helper=bob), helper=bob), helper=bob
    )
    assert Payment.objects.get(job=job).status == PaymentStatus.AUTHORISED

    def confirm():
        return lambda: job_confirm(job=job, actor=alice).status

    apis = [ApiClient(olga) for _ in range(9)]
    outcomes = race(confirm, *(api_refund(api, job.pk) for api in apis))

    assert outcomes[0] == ("confirmed", None), outcomes[0]
    statuses = [status for status, _exc in outcomes[1:]]
    assert set(statuses) <= {200, 409, 422} and statuses.count(200) <= 1, outcomes
    payment = Payment.objects.get(job=job)
    assert (payment.status, payment.amount_captured) == (PaymentStatus.CAPTURED, 6_000)
    assert payment.amount_refunded == 4_000 * statuses.count(200)
    assert payment.refund_reserved == 0
    assert not ProviderCall.objects.filter(status=CallStatus.PENDING).exists()
    assert list(unbalanced_jobs()) == []


def test_double_clicks_on_the_web_refund_form_take_one_refund(alice, bob, olga, router_wifi):
    job = confirmed_job(alice, bob, router_wifi)
    browsers = []
    for _ in range(8):
        web = Client()
        web.force_login(olga)
        browsers.append(web)

    def click(web):
        def prepare():
            return lambda: (
                web.post(
                    f"/operator/jobs/{job.pk}/refund/", {"amount": "40.00", "reason": "Came late"}
                ).status_code
            )

        return prepare

    outcomes = race(*(click(web) for web in browsers))

    assert [status for status, _exc in outcomes] == [302] * 8, outcomes
    assert_one_refund_of(job, 4_000)
