"""The professional fallback (DESIGN §5): when no helper takes a job, or whenever the customer
prefers, a technician visit is booked in one step at the professional price quoted at booking.
The choice is recorded on the job and in its events, for the pilot's economics."""

import pytest
from django.urls import reverse

from marketplace.core.errors import InvalidTransition, NotAllowed
from marketplace.jobs.dispatch import job_expire
from marketplace.jobs.models import JobOffer, JobStatus, OfferStatus
from marketplace.jobs.services import job_accept, job_book_professional
from tests.factories import posted_job

pytestmark = pytest.mark.django_db

ZURICH = "Bahnhofstrasse 1, 8001 Zürich"
WARSAW = "Marszałkowska 1, Warszawa"


def expired(customer, category):
    """A job nobody took: with no helper in range it expires at once, else when its time is up."""
    job = posted_job(customer=customer, category=category)
    return job if job.status == JobStatus.EXPIRED else job_expire(job=job)


def test_an_expired_job_can_be_handed_to_a_professional_in_one_step(alice, bob, router_wifi):
    job = expired(alice, router_wifi)
    assert job.status == JobStatus.EXPIRED
    assert job.events.get(kind="expired").data["fallback"] == "professional"

    job = job_book_professional(job=job, customer=alice)

    assert (job.status, job.fulfilment) == (JobStatus.PROFESSIONAL, "professional")
    assert job.choice == "helper"  # the customer first chose a helper; the fallback is recorded
    event = job.events.get(kind="professional_booked")
    assert event.data == {
        "source": "fallback",
        "professional_price": 22_000,
        "professional_list_price": 22_000,
        "professional_install_free": False,
    }
    assert event.actor == alice


def test_while_helpers_are_asked_the_customer_can_switch_and_offers_are_withdrawn(
    alice, bob, carol, router_wifi
):
    job = posted_job(customer=alice, category=router_wifi)
    assert JobOffer.objects.filter(job=job, status=OfferStatus.PENDING).exists()

    job = job_book_professional(job=job, customer=alice)

    assert job.status == JobStatus.PROFESSIONAL
    assert job.events.get(kind="professional_booked").data["source"] == "customer_switch"
    assert not JobOffer.objects.filter(job=job, status=OfferStatus.PENDING).exists()
    with pytest.raises(InvalidTransition):
        job_accept(job=job, helper=bob)


def test_once_a_helper_accepted_a_professional_cannot_be_booked(alice, bob, router_wifi):
    job = job_accept(job=posted_job(customer=alice, category=router_wifi), helper=bob)
    with pytest.raises(InvalidTransition, match="no helper has taken"):
        job_book_professional(job=job, customer=alice)


def test_only_the_customer_who_posted_can_book_the_professional(alice, mallory, router_wifi):
    job = expired(alice, router_wifi)
    with pytest.raises(NotAllowed):
        job_book_professional(job=job, customer=mallory)


def test_choosing_the_professional_at_posting_skips_dispatch(alice, bob, router_wifi):
    job = posted_job(customer=alice, category=router_wifi, fulfilment="professional")
    assert job.status == JobStatus.PROFESSIONAL
    assert job.choice == "professional"
    assert not job.offers.exists()
    kinds = list(job.events.order_by("id").values_list("kind", flat=True))
    assert kinds == ["posted", "professional_booked"]
    assert job.events.get(kind="posted").data["choice"] == "professional"


def test_free_installation_is_recorded_with_the_list_price_it_replaced(alice, router_wifi):
    job = posted_job(
        customer=alice, category=router_wifi, address=WARSAW, fulfilment="professional"
    )
    assert job.professional_install_free is True
    assert job.professional_price == 0
    assert job.professional_list_price > 0
    assert job.events.get(kind="professional_booked").data["professional_install_free"] is True


# --- API -----------------------------------------------------------------------------------------


def test_api_posting_with_the_professional_choice(api_as, alice, router_wifi):
    resp = api_as(alice).post(
        "/api/jobs",
        {
            "category": "router-wifi",
            "description": "Please install the router",
            "address": ZURICH,
            "fulfilment": "professional",
        },
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["status"], body["fulfilment"]) == ("professional", "professional")
    assert body["quote"]["professional_list_price"] == 22_000


def test_api_rejects_an_unknown_choice_with_422(api_as, alice, router_wifi):
    resp = api_as(alice).post(
        "/api/jobs",
        {"category": "router-wifi", "description": "Please help", "fulfilment": "robot"},
    )
    assert resp.status_code == 422
    assert "detail" in resp.json()


@pytest.mark.parametrize(
    ("who", "status"), [("alice", 200), ("mallory", 404), ("bob", 404), ("olga", 403)]
)
def test_api_book_professional_by_role(request, api_as, alice, router_wifi, who, status):
    job = expired(alice, router_wifi)
    user = request.getfixturevalue(who)
    resp = api_as(user).post(f"/api/jobs/{job.pk}/book-professional")
    assert resp.status_code == status, resp.content
    job.refresh_from_db()
    assert (job.status == JobStatus.PROFESSIONAL) == (status == 200)


def test_api_book_professional_twice_is_a_conflict(api_as, alice, router_wifi):
    job = expired(alice, router_wifi)
    client = api_as(alice)
    assert client.post(f"/api/jobs/{job.pk}/book-professional").status_code == 200
    assert client.post(f"/api/jobs/{job.pk}/book-professional").status_code == 409


def test_api_anonymous_gets_401(api_as, alice, router_wifi):
    job = expired(alice, router_wifi)
    assert api_as().post(f"/api/jobs/{job.pk}/book-professional").status_code == 401


# --- Web -----------------------------------------------------------------------------------------


def test_the_expired_job_page_offers_the_one_click_professional_booking(client, alice, router_wifi):
    job = expired(alice, router_wifi)
    client.force_login(alice)
    page = client.get(reverse("customer:job", args=[job.pk]))
    assert "Book a professional technician for CHF 220.00" in page.text

    resp = client.post(reverse("customer:book_professional", args=[job.pk]))
    assert resp.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.PROFESSIONAL
    assert "Professional visit booked" in client.get(resp.headers["Location"]).text


def test_another_customer_cannot_book_the_professional_on_the_web(
    client, alice, mallory, router_wifi
):
    job = expired(alice, router_wifi)
    client.force_login(mallory)
    resp = client.post(reverse("customer:book_professional", args=[job.pk]))
    assert resp.status_code == 404
    job.refresh_from_db()
    assert job.status == JobStatus.EXPIRED


def test_booking_the_professional_needs_post(client, alice, router_wifi):
    job = expired(alice, router_wifi)
    client.force_login(alice)
    assert client.get(reverse("customer:book_professional", args=[job.pk])).status_code == 405
