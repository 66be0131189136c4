"""Issue 12, items 4, 5, 6, 7, 8 and 10: what a person sees on the page (the browser side of the
same defects is in tests/browser/test_page_defects.py).

4. An applicant reads that the application is being reviewed, with no pause button.
5. Each role lands on its own home after logging in; a safe `next` wins; `/` shows shortcuts.
6. The vetting card: labelled reason box, only the actions valid in the helper's state,
   languages by name.
7. The country given at sign-up is already chosen on the helper application.
8. An expired job whose window is over asks for a new window before a professional visit.
10. The layout fixes that live in markup: the "More" group in the operator nav, the price table.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from marketplace.core.errors import ValidationFailed
from marketplace.helpers.models import HelperProfile, HelperStatus
from marketplace.jobs.dispatch import job_expire
from marketplace.jobs.models import JobStatus
from marketplace.jobs.services import job_book_professional, job_post
from marketplace.web.templatetags.labels import language_names
from tests.factories import UserFactory, helper_profile

pytestmark = pytest.mark.django_db

ZURICH = "Bahnhofstrasse 1, 8001 Zürich"
PASSWORD = "correct-horse-battery"


def text_of(response) -> str:
    return " ".join(response.content.decode().split())


# --- 4. The applicant's own pages ----------------------------------------------------------------


def test_an_applicant_reads_that_the_application_is_being_reviewed(client, dave):
    client.force_login(dave)
    page = text_of(client.get(reverse("helper:profile")))
    assert "Your application is being reviewed" in page
    assert "You are taking jobs" not in page
    assert "Pause new offers" not in page
    assert reverse("helper:pause") not in page
    offers = text_of(client.get(reverse("helper:offers")))
    assert "Your application is being reviewed" in offers


@pytest.mark.parametrize(
    ("status", "heading"),
    [
        (HelperStatus.REJECTED, "Your application was not accepted"),
        (HelperStatus.SUSPENDED, "Your account is suspended"),
    ],
)
def test_a_rejected_or_suspended_helper_reads_an_honest_message(client, dave, status, heading):
    HelperProfile.objects.filter(user=dave).update(status=status, status_reason="ID unreadable")
    client.force_login(dave)
    page = text_of(client.get(reverse("helper:profile")))
    assert heading in page
    assert "ID unreadable" in page
    assert "You are taking jobs" not in page
    assert "Pause new offers" not in page


def test_an_applicant_cannot_pause_by_posting_either(client, dave):
    client.force_login(dave)
    page = client.post(reverse("helper:pause"), follow=True)
    assert "You can pause offers once you are vetted." in text_of(page)
    assert HelperProfile.objects.get(user=dave).is_available


def test_a_vetted_helper_still_has_the_pause_button(client, bob):
    client.force_login(bob)
    page = text_of(client.get(reverse("helper:profile")))
    assert "You are taking jobs" in page
    assert "Pause new offers" in page


# --- 5. Each role's home after logging in ---------------------------------------------------------


def log_in(client, email, **extra):
    return client.post(reverse("login"), {"username": email, "password": PASSWORD, **extra})


@pytest.mark.parametrize(
    ("who", "home", "heading"),
    [
        ("alice", "home", "Help with your home tech, from a vetted neighbour"),
        ("bob", "helper:offers", "Offers for you"),
        ("dave", "helper:offers", "Your application is being reviewed"),
        ("olga", "operator:vetting", "Vetting queue"),
    ],
)
def test_each_role_lands_on_its_own_home(client, request, who, home, heading):
    user = request.getfixturevalue(who)
    resp = log_in(client, user.email)
    assert resp.status_code == 302
    assert resp.headers["Location"] == reverse(home)
    assert heading in text_of(client.get(resp.headers["Location"]))


def test_a_helper_without_a_profile_lands_on_the_application(client, reference):
    user = UserFactory(email="new-helper@example.com", role="helper")
    resp = log_in(client, user.email)
    assert resp.headers["Location"] == reverse("helper:apply")


def test_the_operator_home_links_the_economics_dashboard(client, olga):
    log_in(client, olga.email)
    page = client.get(reverse("operator:vetting")).content.decode()
    assert f'href="{reverse("operator:economics")}"' in page
    assert "Economics dashboard" in page


def test_a_safe_next_wins_and_an_unsafe_one_is_ignored(client, olga):
    resp = log_in(client, olga.email, next=reverse("operator:jobs"))
    assert resp.headers["Location"] == reverse("operator:jobs")
    client.logout()
    resp = log_in(client, olga.email, next="https://evil.example/")
    assert resp.headers["Location"] == reverse("operator:vetting")


@pytest.mark.parametrize(
    ("who", "shortcut", "marketing"),
    [
        ("bob", "helper:offers", True),
        ("olga", "operator:economics", True),
        ("alice", "customer:request", False),
    ],
)
def test_the_home_page_shows_helpers_and_operators_their_shortcuts(
    client, request, who, shortcut, marketing
):
    user = request.getfixturevalue(who)
    client.force_login(user)
    page = text_of(client.get(reverse("home")))
    assert f'href="{reverse(shortcut)}"' in page
    # The customer pitch is for customers (and visitors); the others are welcomed back.
    assert ("Welcome back" in page) == marketing
    assert ("Help with your home tech, from a vetted neighbour" in page) != marketing


# --- 6. The operator's vetting card ---------------------------------------------------------------


def test_the_vetting_card_labels_its_reason_box_and_offers_no_suspend(client, olga, dave):
    HelperProfile.objects.filter(user=dave).update(languages="pl,en")
    client.force_login(olga)
    page = text_of(client.get(reverse("operator:vetting")))
    assert "Reason for rejecting" in page
    assert ">Reject<" in page.replace("> ", ">").replace(" <", "<")
    assert reverse("operator:suspend", args=[dave.helper_profile.pk]) not in page
    assert "Polish, English" in page
    assert "pl,en" not in page


def test_the_vetting_card_names_languages_in_the_page_language(client, olga, dave):
    HelperProfile.objects.filter(user=dave).update(languages="pl,en")
    olga.language = "de"
    olga.save(update_fields=["language"])
    client.force_login(olga)
    page = text_of(client.get(reverse("operator:vetting")))
    assert "Polnisch, Englisch" in page


def test_language_names_filter():
    with override("en"):
        assert language_names("pl,en") == "Polish, English"
        assert language_names("") == "—"
        assert language_names("xx") == "xx"
    with override("pl"):
        assert language_names("de") == "niemiecki"


@pytest.mark.parametrize(
    ("status", "present", "absent"),
    [
        (HelperStatus.VETTED, ["Suspend", "Reason for suspending"], ["Reinstate"]),
        (HelperStatus.SUSPENDED, ["Reinstate"], ["Suspend", "Reason for"]),
        (HelperStatus.REJECTED, ["Vet after all"], ["Suspend", "Reinstate"]),
    ],
)
def test_the_helpers_list_offers_only_the_actions_valid_in_each_state(
    client, olga, reference, status, present, absent
):
    helper_profile(status=status)
    client.force_login(olga)
    page = text_of(client.get(reverse("operator:helpers"), {"status": status}))
    table = page[page.index("<table") : page.index("</table>")]
    for word in present:
        assert word in table
    for word in absent:
        assert word not in table


# --- 7. The country is asked once ----------------------------------------------------------------


def test_the_country_chosen_at_sign_up_is_chosen_on_the_application(client, pl):
    resp = client.post(
        reverse("signup"),
        {
            "role": "helper",
            "full_name": "Piotr Pomocny",
            "email": "piotr@example.com",
            "password": "a-long-pass-phrase-42",
            "market": pl.pk,
            "language": "en",
        },
    )
    assert resp.headers["Location"] == reverse("helper:apply")
    page = client.get(reverse("helper:apply")).content.decode()
    assert f'<option value="{pl.pk}" selected>' in page


def test_a_customer_applying_gets_the_country_of_their_requests(client, alice, router_wifi, ch):
    job_post(
        customer=alice, category=router_wifi, description="Router keeps dropping", address=ZURICH
    )
    client.force_login(alice)
    page = client.get(reverse("helper:apply")).content.decode()
    assert f'<option value="{ch.pk}" selected>' in page


# --- 8. A professional visit needs a window that is not over --------------------------------------


def expired_in_the_past(customer, category):
    """A job posted two days ago for that afternoon, expired: its window is over."""
    then = timezone.now() - timedelta(days=2)
    job = job_post(
        customer=customer,
        category=category,
        description="The router keeps dropping the connection",
        address=ZURICH,
        window_start=then,
        window_end=then + timedelta(hours=4),
        now=then,
    )
    if job.status != JobStatus.EXPIRED:
        job = job_expire(job=job, now=then + timedelta(hours=1))
    assert job.status == JobStatus.EXPIRED
    assert job.window_end < timezone.now()
    return job


def test_the_service_refuses_a_professional_for_a_window_that_is_over(alice, router_wifi):
    job = expired_in_the_past(alice, router_wifi)
    with pytest.raises(ValidationFailed) as refused:
        job_book_professional(job=job, customer=alice)
    assert refused.value.code == "window_in_past"
    assert "choose a new time window" in refused.value.message
    past = timezone.now() - timedelta(hours=3)
    with pytest.raises(ValidationFailed, match="in the past"):
        job_book_professional(
            job=job, customer=alice, window_start=past, window_end=past + timedelta(hours=1)
        )
    job.refresh_from_db()
    assert job.status == JobStatus.EXPIRED


def test_the_service_books_the_professional_in_the_new_window(alice, router_wifi):
    job = expired_in_the_past(alice, router_wifi)
    start = timezone.now() + timedelta(days=1)
    job = job_book_professional(
        job=job, customer=alice, window_start=start, window_end=start + timedelta(hours=3)
    )
    assert job.status == JobStatus.PROFESSIONAL
    assert (job.window_start, job.window_end) == (start, start + timedelta(hours=3))


def test_the_api_answers_422_for_a_window_that_is_over(api_as, alice, router_wifi):
    job = expired_in_the_past(alice, router_wifi)
    client = api_as(alice)
    resp = client.post(f"/api/jobs/{job.pk}/book-professional")
    assert resp.status_code == 422, resp.content
    assert resp.json()["code"] == "window_in_past"
    past = (timezone.now() - timedelta(hours=6)).isoformat()  # ends 4 h later: still past
    resp = client.post(f"/api/jobs/{job.pk}/book-professional", {"window_start": past})
    assert resp.status_code == 422, resp.content
    start = (timezone.now() + timedelta(days=1)).isoformat()
    resp = client.post(f"/api/jobs/{job.pk}/book-professional", {"window_start": start})
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "professional"


def test_the_expired_job_page_asks_for_a_new_window_first(client, alice, router_wifi):
    job = expired_in_the_past(alice, router_wifi)
    client.force_login(alice)
    page = text_of(client.get(reverse("customer:job", args=[job.pk])))
    assert "is over. When should the technician come?" in page
    assert 'name="window_start"' in page
    assert "Earliest time" in page

    resp = client.post(
        reverse("customer:book_professional", args=[job.pk]),
        {"window_start": "2020-01-01T10:00", "window_end": "2020-01-01T12:00"},
    )
    assert resp.status_code == 422
    assert "The time window is in the past" in text_of(resp)
    job.refresh_from_db()
    assert job.status == JobStatus.EXPIRED

    tomorrow = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%d")
    resp = client.post(
        reverse("customer:book_professional", args=[job.pk]),
        {"window_start": f"{tomorrow}T10:00", "window_end": f"{tomorrow}T12:00"},
        follow=True,
    )
    assert "Professional visit booked" in text_of(resp)
    job.refresh_from_db()
    assert job.status == JobStatus.PROFESSIONAL
    # Typed on the Zürich clock, stored as that moment.
    assert job.window_start.astimezone(ZoneInfo(job.market.time_zone)).hour == 10


def test_an_expired_job_with_a_window_still_ahead_keeps_the_one_click_booking(
    client, alice, router_wifi
):
    job = job_post(
        customer=alice, category=router_wifi, description="Router keeps dropping", address=ZURICH
    )
    job = job if job.status == JobStatus.EXPIRED else job_expire(job=job)
    client.force_login(alice)
    page = text_of(client.get(reverse("customer:job", args=[job.pk])))
    assert "Book a professional technician for CHF 220.00" in page
    assert 'name="window_start"' not in page


# --- 10. Layout fixes in the markup ---------------------------------------------------------------


def test_the_operator_nav_folds_the_rarely_used_pages_under_more(client, olga):
    client.force_login(olga)
    page = text_of(client.get(reverse("operator:vetting")))
    nav = page[page.index('<nav aria-label="Main"') : page.index("</nav>")]
    more = nav[nav.index('class="nav-more"') :]
    assert "<summary>More</summary>" in more
    for name in ("operator:invoices", "operator:tasks", "admin:index"):
        assert reverse(name) in more
    for name in ("operator:vetting", "operator:economics"):
        assert reverse(name) not in more


def test_the_price_table_aligns_amounts_as_numbers(client, olga, reference):
    client.force_login(olga)
    page = text_of(client.get(reverse("operator:prices")))
    assert '<table class="price-book">' in page
    assert '<td class="num">CHF 60.00</td>' in page
