"""Notification wording (issue 12 item 9): one date format, the pages' ("Thu 3 Dec, 10:13"), on
the market's clock, in the list, the texts and the e-mails; and the payment message worded for
the provider: a telecom-invoice line is not a charge on a card."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from marketplace.core.formatting import DATETIME_FORMAT, datetime_text
from marketplace.helpers.services import helper_vet
from marketplace.jobs.models import JobStatus
from marketplace.jobs.services import (
    job_check_in,
    job_complete,
    job_confirm,
    job_post,
)
from marketplace.notifications import messages
from marketplace.notifications.models import Kind, Notification
from marketplace.payments.models import Provider
from tests.factories import job_at

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    def run(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return run


@pytest.fixture
def accepted(alice, bob, router_wifi):
    return job_at(
        JobStatus.ACCEPTED,
        customer=alice,
        helper=bob,
        category=router_wifi,
        description="Router drops out",
    )


def _captured(alice) -> Notification:
    return Notification.objects.filter(user=alice, kind=Kind.PAYMENT_CAPTURED).latest("pk")


# --- The payment message follows the provider ---------------------------------------------------


def test_a_bill_to_account_job_says_it_goes_on_the_telecom_invoice(accepted, alice, bob, on_commit):
    assert accepted.payment.provider == Provider.BILL_TO_ACCOUNT
    job_check_in(job=accepted, helper=bob)
    job = job_complete(job=accepted, helper=bob, note="Router works")
    mail.outbox.clear()
    on_commit(job_confirm, job=job, actor=alice)

    note = _captured(alice)
    assert note.body == (
        f"CHF 60.00 will be on your telecom invoice for {job.category.name} (job #{job.pk})."
    )
    assert "charged" not in note.body
    [email] = [m for m in mail.outbox if m.subject == note.title]
    assert "CHF 60.00 will be on your telecom invoice" in email.body


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        (Provider.BILL_TO_ACCOUNT, "60,00 zł will be on your telecom invoice for"),
        (Provider.STRIPE, "We charged your card 60,00 zł for"),
    ],
)
def test_the_wording_fits_each_provider(accepted, alice, provider, expected):
    payment = accepted.payment
    payment.provider, payment.currency = provider, "PLN"
    messages.payment_captured(
        payment=payment,
        captured=6_000,
        fee=1_200,
        on_invoice=payment.provider == Provider.BILL_TO_ACCOUNT,
    )

    body = _captured(alice).body
    assert body.startswith(expected)
    assert body.endswith(f"(job #{accepted.pk}).")
    if provider == Provider.BILL_TO_ACCOUNT:
        assert "charged" not in body


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        (Provider.BILL_TO_ACCOUNT, "60,00 zł znajdzie się na Twoim rachunku telekomunikacyjnym"),
        (Provider.STRIPE, "Obciążyliśmy Twoją kartę kwotą 60,00 zł"),
    ],
)
def test_the_provider_wording_in_polish(accepted, alice, provider, expected):
    payment = accepted.payment
    payment.job.customer.language = "pl"
    payment.job.customer.save(update_fields=["language"])
    payment.provider, payment.currency = provider, "PLN"
    messages.payment_captured(
        payment=payment,
        captured=6_000,
        fee=1_200,
        on_invoice=payment.provider == Provider.BILL_TO_ACCOUNT,
    )
    assert _captured(alice).body.startswith(expected)


def test_the_helper_still_hears_of_their_payout(accepted, bob):
    payment = accepted.payment
    payment.provider = Provider.STRIPE
    messages.payment_captured(
        payment=payment,
        captured=6_000,
        fee=1_200,
        on_invoice=payment.provider == Provider.BILL_TO_ACCOUNT,
    )
    note = Notification.objects.get(user=bob, kind=Kind.PAYMENT_CAPTURED)
    assert note.title == "Your payout: CHF 48.00"


# --- One date format -----------------------------------------------------------------------------


def test_the_format_is_the_pages_one():
    moment = datetime(2026, 12, 3, 9, 13, tzinfo=UTC)
    assert DATETIME_FORMAT == "D j M, H:i"
    with translation.override("en"):
        assert datetime_text(moment, "Europe/Zurich") == "Thu 3 Dec, 10:13"
        assert datetime_text(moment, "Europe/London") == "Thu 3 Dec, 09:13"


def test_texts_and_emails_write_dates_as_the_pages_do_on_the_markets_clock(
    accepted, alice, bob, settings, on_commit
):
    settings.AUTO_CONFIRM_HOURS = 48
    settings.TIME_ZONE = "UTC"  # the server's clock must not matter
    job_check_in(job=accepted, helper=bob)
    mail.outbox.clear()
    on_commit(
        job_complete,
        job=accepted,
        helper=bob,
        note="",
        now=datetime(2026, 12, 1, 9, 13, tzinfo=UTC),
    )
    note = Notification.objects.get(user=alice, kind=Kind.JOB_COMPLETED)
    assert "confirm it by Thu 3 Dec, 10:13;" in note.body  # Zürich time
    assert "a.m." not in note.body and "2026" not in note.body
    [email] = [m for m in mail.outbox if m.to == ["alice@example.com"]]
    assert "confirm it by Thu 3 Dec, 10:13;" in email.body


def test_the_offer_deadline_uses_the_same_format(alice, bob, router_wifi):
    job = job_post(
        customer=alice, category=router_wifi, description="Router drops out", address=ADDRESS
    )
    offer = job.offers.get(helper=bob)
    note = Notification.objects.get(user=bob, kind=Kind.NEW_OFFER)
    assert f"Accept or decline before {datetime_text(offer.expires_at, 'Europe/Zurich')}." in (
        note.body
    )
    assert "m." not in note.body.split("before")[-1]  # no "a.m." / "p.m."


def _note_at(user, moment, job=None, kind=Kind.JOB_ACCEPTED) -> Notification:
    return Notification.objects.create(
        user=user, kind=kind, job=job, title="Something happened", created_at=moment
    )


def test_the_list_page_writes_each_date_on_the_markets_clock(client, accepted, alice, settings):
    settings.TIME_ZONE = "UTC"
    _note_at(alice, datetime(2026, 12, 3, 9, 13, tzinfo=UTC), job=accepted)
    client.force_login(alice)
    html = client.get(reverse("notifications:list")).content.decode()
    assert ">Thu 3 Dec, 10:13</time>" in html
    assert "Dec. 3" not in html and "a.m." not in html


def test_the_list_page_in_polish(client, accepted, alice):
    alice.language = "pl"
    alice.save(update_fields=["language"])
    _note_at(alice, datetime(2026, 12, 3, 9, 13, tzinfo=UTC), job=accepted)
    client.force_login(alice)
    html = client.get(reverse("notifications:list")).content.decode()
    with translation.override("pl"):
        expected = datetime_text(datetime(2026, 12, 3, 9, 13, tzinfo=UTC), "Europe/Zurich")
    assert expected.endswith(" 3 Gru, 10:13")
    assert f">{expected}</time>" in html


def test_a_notification_without_a_job_uses_the_helpers_market_clock(client, dave, olga, settings):
    settings.TIME_ZONE = "UTC"
    helper_vet(profile=dave.helper_profile, actor=olga)
    note = Notification.objects.get(user=dave, kind=Kind.VETTING_RESULT)
    Notification.objects.filter(pk=note.pk).update(
        created_at=datetime(2026, 12, 3, 9, 13, tzinfo=UTC)
    )
    note.refresh_from_db()
    assert note.time_zone == dave.helper_profile.market.time_zone
    client.force_login(dave)
    html = client.get(reverse("notifications:list")).content.decode()
    expected = datetime_text(note.created_at, dave.helper_profile.market.time_zone)
    assert f">{expected}</time>" in html
