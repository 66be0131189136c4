from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from marketplace.jobs import services
from marketplace.jobs.models import JobRequest, JobStatus, Review
from tests.factories import posted_job

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"


ZURICH_ROUTER_QUOTE = "CHF:6000:22000"  # what the request page shows before booking


def request_data(category, /, **overrides):
    """The form as submitted with the "book a helper" button under the quote."""
    data = {
        "category": category.pk,
        "description": "The router keeps dropping the connection",
        "address": ADDRESS,
        "choice": "helper",
        "quoted": ZURICH_ROUTER_QUOTE,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- Quote preview ------------------------------------------------------------------------------


def test_quote_page_compares_helper_and_professional_price(client, ch, router_wifi):
    resp = client.get(reverse("quote"), {"market": ch.pk, "category": router_wifi.pk})
    assert resp.status_code == 200
    assert "CHF 60.00" in resp.text
    assert "CHF 220.00" in resp.text
    assert "CHF 160.00" in resp.text  # the saving


def test_quote_page_is_honest_when_professional_installation_is_free(client, pl, router_wifi):
    resp = client.get(reverse("quote"), {"market": pl.pk, "category": router_wifi.pk})
    assert resp.status_code == 200
    assert "60,00 zł" in resp.text
    assert "for free" in resp.text
    assert "You save" not in resp.text


def test_quote_page_with_bad_input_shows_errors(client, reference):
    resp = client.get(reverse("quote"), {"market": "999", "category": "x"})
    assert resp.status_code == 200
    assert resp.context["form"].errors
    assert resp.context["quote"] is None


# --- Request form ------------------------------------------------------------------------------


def test_the_first_step_shows_helper_and_professional_prices_and_books_nothing(
    client, alice, router_wifi
):
    client.force_login(alice)
    resp = client.post(
        reverse("customer:request"), request_data(router_wifi, choice=None, quoted=None)
    )
    assert resp.status_code == 200
    assert "CHF 60.00" in resp.text and "CHF 220.00" in resp.text and "CHF 160.00" in resp.text
    assert 'name="choice" value="helper"' in resp.text
    assert 'name="choice" value="professional"' in resp.text
    assert f'value="{ZURICH_ROUTER_QUOTE}"' in resp.text
    assert not JobRequest.objects.exists()


def test_choosing_the_professional_books_a_technician_and_records_the_choice(
    client, alice, bob, router_wifi
):
    client.force_login(alice)
    resp = client.post(
        reverse("customer:request"), request_data(router_wifi, choice="professional")
    )
    assert resp.status_code == 302
    job = JobRequest.objects.get(customer=alice)
    assert (job.status, job.fulfilment) == (JobStatus.PROFESSIONAL, "professional")
    assert not job.offers.exists()  # no helper is bothered
    assert job.events.filter(kind="professional_booked", data__source="posting").exists()
    page = client.get(resp.headers["Location"])
    assert "Professional visit booked" in page.text


def test_a_changed_price_between_quote_and_booking_shows_the_new_quote(client, alice, router_wifi):
    client.force_login(alice)
    resp = client.post(
        reverse("customer:request"), request_data(router_wifi, quoted="CHF:5000:22000")
    )
    assert resp.status_code == 200
    assert "The price has changed" in resp.text
    assert not JobRequest.objects.exists()


def test_in_poland_the_free_professional_installation_is_offered_honestly(
    client, alice, router_wifi
):
    client.force_login(alice)
    resp = client.post(
        reverse("customer:request"),
        request_data(router_wifi, address="Marszałkowska 1, Warszawa", choice=None, quoted=None),
    )
    assert resp.status_code == 200
    assert "for free" in resp.text
    assert "Book the free professional installation" in resp.text
    assert "You save" not in resp.text


def test_request_form_prefills_phone_and_a_time_window(client, alice, reference):
    client.force_login(alice)
    resp = client.get(reverse("customer:request"))
    assert resp.status_code == 200
    assert 'value="+41 79 111"' in resp.text
    assert 'type="datetime-local"' in resp.text
    assert "data-geolocate" in resp.text  # progressive-enhancement button, hidden without JS
    assert 'type="hidden" name="lat"' in resp.text


def test_request_reads_datetime_local_in_the_local_time_zone(client, alice, bob, router_wifi):
    client.force_login(alice)
    local = ZoneInfo(settings.TIME_ZONE)
    start = (timezone.now().astimezone(local) + timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    resp = client.post(
        reverse("customer:request"),
        request_data(
            router_wifi,
            window_start=start.strftime("%Y-%m-%dT%H:%M"),
            window_end=(start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        ),
    )
    assert resp.status_code == 302
    job = JobRequest.objects.get(customer=alice)
    assert job.window_start == start
    assert job.window_end == start + timedelta(hours=3)


def test_request_with_browser_location_needs_no_address(client, alice, bob, router_wifi):
    client.force_login(alice)
    resp = client.post(
        reverse("customer:request"),
        request_data(router_wifi, address="", lat="47.3769", lng="8.5417"),
    )
    assert resp.status_code == 302
    job = JobRequest.objects.get(customer=alice)
    assert (job.lat, job.lng, job.city) == (47.3769, 8.5417, "Zürich")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"address": ""}, "address", "Give an address or use your location"),
        ({"address": "Nowhere Street 1, Atlantis"}, "address", "could not find that address"),
        ({"description": "help"}, "description", "at least 10 characters"),
        ({"category": "999"}, "category", "Select a valid choice"),
        ({"window_start": "not a date"}, "window_start", "Enter a valid date/time"),
        ({"lat": "91", "lng": "8.5"}, "lat", "less than or equal to 90"),
        ({"address": "", "lat": "0", "lng": "0"}, "address", "does not operate at this address"),
    ],
)
def test_request_form_errors_are_shown_not_500(
    client, alice, router_wifi, overrides, field, message
):
    client.force_login(alice)
    resp = client.post(reverse("customer:request"), request_data(router_wifi, **overrides))
    assert resp.status_code == 200
    assert message in " ".join(resp.context["form"].errors[field])
    assert not JobRequest.objects.exists()


def test_request_with_a_reversed_time_window_shows_the_service_error(client, alice, router_wifi):
    client.force_login(alice)
    start = timezone.localtime() + timedelta(days=1)
    resp = client.post(
        reverse("customer:request"),
        request_data(
            router_wifi,
            window_start=start.strftime("%Y-%m-%dT%H:%M"),
            window_end=(start - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        ),
    )
    assert resp.status_code == 200
    assert "must end after it starts" in resp.text
    assert not JobRequest.objects.exists()


# --- Job page ----------------------------------------------------------------------------------


def test_my_jobs_lists_only_my_jobs(client, alice, mallory, router_wifi):
    mine = posted_job(customer=alice, category=router_wifi)
    theirs = posted_job(customer=mallory, category=router_wifi)
    client.force_login(alice)
    resp = client.get(reverse("customer:jobs"))
    assert reverse("customer:job", args=[mine.pk]) in resp.text
    assert reverse("customer:job", args=[theirs.pk]) not in resp.text


def test_expired_job_offers_the_professional_visit_with_its_price(client, alice, router_wifi):
    job = posted_job(
        customer=alice, category=router_wifi, address="Genève"
    )  # no helper anywhere near
    assert job.status == JobStatus.EXPIRED
    client.force_login(alice)
    resp = client.get(reverse("customer:job", args=[job.pk]))
    assert "No helper was free in time" in resp.text
    assert "professional technician instead, for CHF 220.00" in resp.text


def test_expired_job_where_installation_is_free_says_so(client, alice, router_wifi):
    job = posted_job(customer=alice, category=router_wifi, address="Marszałkowska 10, Warszawa")
    assert job.status == JobStatus.EXPIRED
    client.force_login(alice)
    resp = client.get(reverse("customer:job", args=[job.pk]))
    assert "No helper was free in time" in resp.text
    assert "installs this <strong>for free</strong>" in resp.text


def test_job_page_shows_assigned_helper_with_rating_and_timeline(client, alice, bob, router_wifi):
    job = posted_job(customer=alice, category=router_wifi)
    services.job_accept(job=job, helper=bob)
    client.force_login(alice)
    resp = client.get(reverse("customer:job", args=[job.pk]))
    assert "Bob Helper" in resp.text
    assert "new helper" in resp.text
    assert "Request posted" in resp.text
    assert "Helper assigned — Bob Helper" in resp.text


def test_cancel_before_acceptance_is_free(client, alice, bob, router_wifi):
    job = posted_job(customer=alice, category=router_wifi)
    client.force_login(alice)
    page = client.get(reverse("customer:cancel", args=[job.pk]))
    assert "Cancelling now is <strong>free</strong>" in page.text
    resp = client.post(
        reverse("customer:cancel", args=[job.pk]), {"reason": "Fixed it", "expected_fee": "0"}
    )
    assert resp.headers["Location"] == reverse("customer:job", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.cancellation_fee) == (JobStatus.CANCELLED, 0)


def test_cancel_after_the_grace_period_shows_the_fee_before_charging(
    client, alice, bob, router_wifi
):
    job = posted_job(customer=alice, category=router_wifi)
    services.job_accept(job=job, helper=bob, now=timezone.now() - timedelta(hours=2))
    client.force_login(alice)
    assert (
        "Cancelling now costs CHF 20.00" in client.get(reverse("customer:job", args=[job.pk])).text
    )
    page = client.get(reverse("customer:cancel", args=[job.pk]))
    assert "CHF 20.00" in page.text
    # A form that showed "free" must not charge: the customer is asked again.
    resp = client.post(
        reverse("customer:cancel", args=[job.pk]), {"reason": "Changed plans", "expected_fee": "0"}
    )
    assert resp.status_code == 200
    assert "The cancellation fee is now CHF 20.00" in resp.text
    job.refresh_from_db()
    assert job.status == JobStatus.ACCEPTED
    client.post(
        reverse("customer:cancel", args=[job.pk]),
        {"reason": "Changed plans", "expected_fee": "2000"},
    )
    job.refresh_from_db()
    assert (job.status, job.cancellation_fee) == (JobStatus.CANCELLED, 2000)


def test_cancel_without_reason_shows_an_error(client, alice, bob, router_wifi):
    job = posted_job(customer=alice, category=router_wifi)
    client.force_login(alice)
    resp = client.post(
        reverse("customer:cancel", args=[job.pk]), {"reason": "", "expected_fee": "0"}
    )
    assert resp.status_code == 200
    assert resp.context["form"].errors["reason"]
    job.refresh_from_db()
    assert job.status == JobStatus.OFFERED


def test_cancel_page_for_a_closed_job_explains_instead_of_failing(client, alice, router_wifi):
    job = posted_job(customer=alice, category=router_wifi, address="Genève")  # expired at once
    client.force_login(alice)
    resp = client.get(reverse("customer:cancel", args=[job.pk]), follow=True)
    assert resp.status_code == 200
    assert "cannot be cancelled" in resp.text


def test_confirm_before_completion_shows_a_message(client, alice, bob, router_wifi):
    job = posted_job(customer=alice, category=router_wifi)
    client.force_login(alice)
    resp = client.post(reverse("customer:confirm", args=[job.pk]), follow=True)
    assert resp.status_code == 200
    assert "cannot go to confirmed" in resp.text
    job.refresh_from_db()
    assert job.status == JobStatus.OFFERED


def _confirmed_job(alice, bob, category):
    job = posted_job(customer=alice, category=category)
    services.job_accept(job=job, helper=bob)
    services.job_check_in(job=job, helper=bob)
    services.job_complete(job=job, helper=bob, note="ok")
    return services.job_confirm(job=job, actor=alice)


@pytest.mark.parametrize(
    "data", [{"rating": "6"}, {"rating": ""}, {"rating": "5", "nps": "11"}, {"rating": "x"}]
)
def test_bad_review_input_re_renders_the_form_with_errors(client, alice, bob, router_wifi, data):
    job = _confirmed_job(alice, bob, router_wifi)
    client.force_login(alice)
    resp = client.post(reverse("customer:review", args=[job.pk]), data)
    assert resp.status_code == 200
    assert resp.context["review_form"].errors
    assert not Review.objects.exists()


def test_review_without_nps_is_fine_and_cannot_be_repeated(client, alice, bob, router_wifi):
    job = _confirmed_job(alice, bob, router_wifi)
    client.force_login(alice)
    client.post(reverse("customer:review", args=[job.pk]), {"rating": "4"})
    assert Review.objects.get().nps is None
    resp = client.post(reverse("customer:review", args=[job.pk]), {"rating": "1"}, follow=True)
    assert resp.status_code == 200
    assert "already reviewed" in resp.text
    assert Review.objects.count() == 1


def test_review_before_confirmation_is_refused_with_a_message(client, alice, bob, router_wifi):
    job = posted_job(customer=alice, category=router_wifi)
    client.force_login(alice)
    resp = client.post(reverse("customer:review", args=[job.pk]), {"rating": "5"}, follow=True)
    assert resp.status_code == 200
    assert "Reviews open once the job is confirmed" in resp.text
    assert not Review.objects.exists()
