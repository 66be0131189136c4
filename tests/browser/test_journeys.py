"""The marketplace in a real browser: a customer, a helper and an operator, each in their own
browser context, click through the whole journey; the same loop with JavaScript switched off;
the request form by keyboard alone; axe-core on the main pages.

The data mirrors tests/project/test_web_loop.py: a Zürich address, vetted helpers carol
(nearest, gets the offer) and bob, dave waiting for vetting, olga the operator."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone

try:
    from playwright.sync_api import expect
except ImportError:  # the dev extra installs it; CI must have it
    if os.environ.get("CI_REQUIRE_BROWSER") == "1":
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)

from marketplace.helpers.models import HelperStatus
from marketplace.jobs.models import JobRequest, JobStatus, Review, ReviewDirection
from marketplace.jobs.services import (
    job_accept,
    job_check_in,
    job_complete,
    job_confirm,
    job_post,
    review_create,
)
from marketplace.payments.models import Payment, PaymentStatus
from tests.browser.support import (
    ADDRESS,
    assert_focus_visible,
    log_in,
    tab_to,
)

pytestmark = pytest.mark.browser

HELPER_PRICE = "CHF 60.00"
PRO_PRICE = "CHF 220.00"  # 80 call-out + 1 h × 140
SAVING = "CHF 160.00"
PROBLEM = "My new router does not connect to the fibre box"


def h1(page):
    return page.get_by_role("heading", level=1)


def nav(page, name: str):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def status(page):
    return page.locator("#main .status").first


def past_weeks_of_jobs(*, customer, helper, category, weeks: int = 8) -> int:
    """A little history for the economics charts: a confirmed, reviewed helper job a week (two
    in odd weeks). Returns how many requests were posted."""
    posted = 0
    for week in range(1, weeks + 1):
        for n in range(1 + week % 2):
            t = timezone.now() - timedelta(weeks=week, hours=3 * n)
            job = job_post(
                customer=customer,
                category=category,
                description="Please set up my new router",
                address=ADDRESS,
                now=t,
            )
            job = job_accept(job=job, helper=helper, now=t + timedelta(minutes=10))
            job = job_check_in(job=job, helper=helper, now=t + timedelta(hours=1))
            job = job_complete(job=job, helper=helper, note="Works", now=t + timedelta(hours=2))
            job = job_confirm(job=job, actor=customer, now=t + timedelta(hours=3))
            review_create(job=job, author=customer, rating=5, nps=9 + n)
            posted += 1
    return posted


def post_request(page, *, shot=None) -> None:
    """On the request form: describe the job, see the quote, book the helper."""
    expect(h1(page)).to_have_text("Request help")
    page.get_by_label("What do you need help with?").select_option(label="Router & Wi-Fi setup")
    page.get_by_label("Describe the problem").fill(PROBLEM)
    page.get_by_label("Address").fill(ADDRESS)
    page.get_by_role("button", name="See the price").click()
    quote = page.locator("dl.quote")
    expect(quote).to_contain_text("Community helper")
    expect(quote).to_contain_text(HELPER_PRICE)
    expect(quote).to_contain_text("Professional technician")
    expect(quote).to_contain_text(PRO_PRICE)
    expect(quote).to_contain_text(f"You save{SAVING}")
    if shot:
        shot(page, "request-quote")
    page.get_by_role("button", name=f"Book a community helper for {HELPER_PRICE}").click()
    expect(h1(page)).to_have_text("Router & Wi-Fi setup")
    expect(page.get_by_role("status").first).to_contain_text(
        f"Request posted. Price: {HELPER_PRICE}."
    )
    expect(status(page)).to_have_text("Offered to helpers")


def helper_does_the_job(page, job_id: int, *, shot=None) -> None:
    """A logged-in helper: the offer, accept, check in, complete."""
    nav(page, "Offers").click()
    expect(h1(page)).to_have_text("Offers for you")
    offer = page.locator("li.card").filter(has_text="Router & Wi-Fi setup")
    expect(offer).to_contain_text("Zürich")
    expect(offer).to_contain_text("you earn CHF")
    expect(offer).not_to_contain_text("Bahnhofstrasse")  # no address before accepting
    if shot:
        shot(page, "helper-offers")
    offer.get_by_role("link", name="Router & Wi-Fi setup").click()
    expect(h1(page)).to_have_text("Router & Wi-Fi setup")
    expect(page.locator("dl.details")).not_to_contain_text("Bahnhofstrasse")
    page.get_by_role("button", name="Accept this job").click()
    assert page.url.endswith(f"/helper/jobs/{job_id}/")
    expect(status(page)).to_have_text("Assigned to you")  # in the helper's own words
    expect(page.locator("dl.details")).to_contain_text(ADDRESS)  # now the exact address
    if shot:
        shot(page, "helper-job")
    page.get_by_role("button", name="Check in").click()
    expect(status(page)).to_have_text("You are on site")
    page.get_by_label("What did you do?").fill("Replaced the cable, Wi-Fi works")
    page.get_by_role("button", name="Mark as done").click()
    expect(status(page)).to_have_text("Done, waiting for the customer's confirmation")
    expect(page.get_by_text("Waiting for the customer to confirm.")).to_be_visible()


def customer_confirms(page, job_id: int) -> None:
    page.goto(f"/customer/jobs/{job_id}/")
    expect(status(page)).to_have_text("Done, waiting for your confirmation")
    expect(page.get_by_text("Replaced the cable, Wi-Fi works")).to_be_visible()
    page.get_by_role("button", name="Confirm the job is done").click()
    expect(status(page)).to_have_text("Confirmed")


def test_customer_helper_and_operator_journey(
    new_page, shot, axe, router_wifi, alice, carol, bob, dave, olga
):
    # (a) A new customer signs up from the home page and posts a request.
    customer = new_page()
    customer.goto("/")
    expect(h1(customer)).to_have_text("Help with your home tech, from a vetted neighbour")
    shot(customer, "home")
    customer.get_by_role("link", name="See prices").click()
    expect(h1(customer)).to_have_text("What does it cost?")
    customer.get_by_label("Country").select_option(label="Switzerland")
    customer.get_by_label("Service").select_option(label="Router & Wi-Fi setup")
    customer.get_by_role("button", name="Show price").click()
    expect(customer.locator("dl.quote")).to_contain_text(HELPER_PRICE)
    expect(customer.locator("dl.quote")).to_contain_text(PRO_PRICE)
    shot(customer, "quote")
    customer.get_by_role("link", name="Sign up to request help").click()
    expect(h1(customer)).to_have_text("Create your account")
    customer.get_by_label("Get help at home").check()
    customer.get_by_label("Full name").fill("Petra Kunde")
    customer.get_by_label("E-mail").fill("petra@example.com")
    customer.get_by_label("Password").fill("a-long-pass-phrase-42")
    customer.get_by_label("Phone").fill("+41 79 555 12 34")
    customer.get_by_role("button", name="Sign up").click()
    post_request(customer, shot=shot)
    job = JobRequest.objects.get(customer__email="petra@example.com")
    assert job.status == JobStatus.OFFERED
    expect(customer.locator("dl.quote")).to_contain_text(HELPER_PRICE)
    expect(customer.locator("#main")).to_contain_text("Looking for a helper near you…")

    # (b) Carol, nearest, has the offer; she accepts, checks in and completes.
    helper = new_page()
    log_in(helper, "carol@example.com")
    helper_does_the_job(helper, job.pk, shot=shot)

    # The customer pays on account: nothing to type, the invoice line follows confirmation.
    customer.reload()
    expect(status(customer)).to_have_text("Done, waiting for your confirmation")
    payment_card = customer.locator("section", has=customer.get_by_role("heading", name="Payment"))
    expect(payment_card).to_contain_text(
        f"{HELPER_PRICE} will be added to your telecom invoice once you confirm the job is done"
    )
    expect(customer.locator("#main")).to_contain_text("Carol Helper")
    shot(customer, "customer-job")

    # (c) The customer confirms and reviews: rating and NPS.
    customer_confirms(customer, job.pk)
    expect(payment_card).to_contain_text(f"{HELPER_PRICE} is on your next telecom invoice")
    review = customer.locator("section", has=customer.get_by_role("heading", name="Rate Carol"))
    assert not axe(customer), "the review form has serious accessibility violations"
    review.get_by_role("group", name="Your rating").get_by_label("5 ★").check()
    review.get_by_label("Comment").fill("Quick and friendly")
    recommend = review.get_by_role("group", name="How likely are you to recommend")
    recommend.get_by_label("9", exact=True).check()
    review.get_by_role("button", name="Send review").click()
    expect(customer.get_by_text("You rated this job 5 ★")).to_be_visible()
    expect(customer.locator('input[name="nps"]')).to_have_count(0)

    # (d) Olga vets Dave and opens the economics dashboard.
    # (a history of earlier weeks gives the charts something to draw)
    earlier = past_weeks_of_jobs(customer=alice, helper=bob, category=router_wifi)
    operator = new_page()
    log_in(operator, "olga@example.com")
    nav(operator, "Vetting").click()
    expect(h1(operator)).to_have_text("Vetting queue")
    application = operator.locator("li.card").filter(has_text="Dave Applicant")
    expect(application).to_contain_text("dave@example.com")
    shot(operator, "operator-vetting")
    application.get_by_label("ID checked").check()
    application.get_by_role("button", name="Vet").click()
    expect(operator.get_by_role("status").first).to_contain_text("Dave Applicant is vetted")
    expect(operator.locator("li.card").filter(has_text="Dave Applicant")).to_have_count(0)

    nav(operator, "Economics").click()
    operator.get_by_label("Market").select_option(label="Switzerland")
    operator.get_by_role("button", name="Show").click()
    expect(h1(operator)).to_have_text("Economics: Switzerland")
    expect(operator.get_by_role("heading", name="Headline figures")).to_be_visible()
    posted = operator.locator(
        ".metric-card", has=operator.get_by_text("Requests posted", exact=True)
    )
    expect(posted.locator(".metric-value")).to_have_text(str(earlier + 1))
    charts = operator.locator("section.econ-chart figure svg")
    expect(charts).to_have_count(4)
    for i in range(4):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100, box
        assert charts.nth(i).locator("rect, path, line, circle, polyline").count() > 0
    shot(operator, "economics")

    # And in the database: confirmed, captured, reviewed, vetted.
    job.refresh_from_db()
    assert job.status == JobStatus.CONFIRMED
    assert job.assigned_helper == carol
    payment = Payment.objects.get(job=job)
    assert payment.provider == "bill_to_account"
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.amount_captured == job.price == 6000
    review = Review.objects.get(job=job, direction=ReviewDirection.OF_HELPER)
    assert (review.rating, review.nps, review.comment) == (5, 9, "Quick and friendly")
    dave.helper_profile.refresh_from_db()
    assert dave.helper_profile.status == HelperStatus.VETTED
    assert dave.helper_profile.vetted_by == olga


def test_the_core_journey_works_without_javascript(new_page, router_wifi, alice, carol):
    customer = new_page(javascript=False)
    log_in(customer, "alice@example.com")
    nav(customer, "Request help").click()
    # Without JavaScript the "use my location" button stays hidden; nothing else depends on it.
    expect(customer.get_by_role("button", name="Use my location")).to_be_hidden()
    post_request(customer)
    job = JobRequest.objects.get(customer=alice)

    helper = new_page(javascript=False)
    log_in(helper, "carol@example.com")
    helper_does_the_job(helper, job.pk)

    customer_confirms(customer, job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.CONFIRMED
    assert Payment.objects.get(job=job).status == PaymentStatus.CAPTURED


def test_the_request_form_by_keyboard_alone(new_page, sign_in, router_wifi, alice, carol):
    page = new_page()
    sign_in(page, alice)
    page.goto("/customer/request/")
    page.locator("body").focus()

    # The first Tab stop is the skip link, shown when focused; it moves focus to the content.
    page.keyboard.press("Tab")
    info = assert_focus_visible(page)
    assert info["name"] == "Skip to content"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    assert page.evaluate("document.activeElement.id") == "main"

    tab_to(page, "category")
    page.keyboard.type("Router")  # a closed <select> picks the option by typing
    assert page.get_by_label("What do you need help with?").input_value() == str(router_wifi.pk)
    tab_to(page, "description")
    page.keyboard.type(PROBLEM)
    tab_to(page, "address")
    page.keyboard.type(ADDRESS)
    tab_to(page, "See the price")
    page.keyboard.press("Enter")

    expect(page.locator("dl.quote")).to_contain_text(HELPER_PRICE)
    expect(page.locator("dl.quote")).to_contain_text(PRO_PRICE)
    # Through the page again, past what was typed (kept), to the booking button.
    tab_to(page, f"Book a community helper for {HELPER_PRICE}", limit=60)
    page.keyboard.press("Enter")
    expect(h1(page)).to_have_text("Router & Wi-Fi setup")
    job = JobRequest.objects.get(customer=alice)
    assert (job.description, job.address, job.status) == (PROBLEM, ADDRESS, JobStatus.OFFERED)


def test_the_main_pages_have_no_serious_accessibility_violations(
    new_page, axe, sign_in, router_wifi, alice, carol, dave, olga
):
    job = job_post(customer=alice, category=router_wifi, description=PROBLEM, address=ADDRESS)
    assert job.status == JobStatus.OFFERED
    problems = []

    visitor = new_page()
    for url in ("/", "/quote/?market=ch&category=router-wifi", "/login/", "/signup/"):
        visitor.goto(url)
        problems += axe(visitor)

    customer = new_page()
    sign_in(customer, alice)
    customer.goto("/customer/request/")
    problems += axe(customer)
    customer.get_by_label("What do you need help with?").select_option(label="Router & Wi-Fi setup")
    customer.get_by_label("Describe the problem").fill(PROBLEM)
    customer.get_by_label("Address").fill(ADDRESS)
    customer.get_by_role("button", name="See the price").click()
    expect(customer.locator("dl.quote")).to_contain_text(HELPER_PRICE)
    problems += axe(customer)
    customer.goto(f"/customer/jobs/{job.pk}/")
    problems += axe(customer)

    helper = new_page()
    sign_in(helper, carol)
    for url in ("/helper/offers/", f"/helper/jobs/{job.pk}/"):
        helper.goto(url)
        problems += axe(helper)

    operator = new_page()
    sign_in(operator, olga)
    for url in ("/operator/vetting/", "/operator/economics/?market=ch"):
        operator.goto(url)
        problems += axe(operator)

    assert not problems, "\n".join(problems)
