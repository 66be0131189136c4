"""Who may apply as a helper (issue 21): one account, one role.

A helper account applies as it is. A customer account becomes a helper account for good (it can
no longer post requests), so it must confirm the change, and may not while any of its requests
is still open, assigned, in progress, awaiting confirmation or disputed. Operators cannot apply;
anonymous callers get 401. The rule lives in helpers.services.helper_apply; the API and the web
page only pass the confirmation on.
"""

import pytest
from django.urls import reverse

from marketplace.accounts.models import Role
from marketplace.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from marketplace.helpers.models import HelperProfile
from marketplace.helpers.services import helper_apply
from marketplace.jobs import services as job_services
from marketplace.jobs.models import JobRequest, JobStatus
from tests.factories import ZURICH, UserFactory, posted_job

pytestmark = pytest.mark.django_db

BODY = {"market": "ch", "lat": ZURICH[0], "lng": ZURICH[1], "accept_code_of_conduct": True}


def post_job(customer, category):
    return posted_job(customer=customer, category=category, lat=ZURICH[0], lng=ZURICH[1])


def apply(user, market, **extra):
    return helper_apply(
        user=user,
        market=market,
        lat=ZURICH[0],
        lng=ZURICH[1],
        accept_code_of_conduct=True,
        **extra,
    )


def walk(job, helper, customer, *, until):
    """Move `job` forward: accepted, in_progress, completed, confirmed."""
    job = job_services.job_accept(job=job, helper=helper)
    if until == JobStatus.ACCEPTED:
        return job
    job = job_services.job_check_in(job=job, helper=helper)
    if until == JobStatus.IN_PROGRESS:
        return job
    job = job_services.job_complete(job=job, helper=helper)
    if until == JobStatus.COMPLETED:
        return job
    return job_services.job_confirm(job=job, actor=customer)


def still_a_customer(user):
    user.refresh_from_db()
    return user.role == Role.CUSTOMER and not HelperProfile.objects.filter(user=user).exists()


# --- The service ------------------------------------------------------------------------------


def test_customer_without_requests_must_confirm_the_role_change(alice, ch):
    with pytest.raises(ValidationFailed) as refused:
        apply(alice, ch)
    assert refused.value.code == "confirm_role_change"
    assert "can no longer post requests" in refused.value.message
    assert still_a_customer(alice)


def test_customer_without_requests_who_confirms_becomes_a_helper_and_cannot_post(
    alice, ch, router_wifi
):
    profile = apply(alice, ch, confirm_role_change=True)

    alice.refresh_from_db()
    assert (alice.role, profile.user_id) == (Role.HELPER, alice.pk)
    with pytest.raises(NotAllowed, match="Only customers can post requests"):
        post_job(alice, router_wifi)


@pytest.mark.parametrize("until", [JobStatus.CONFIRMED, JobStatus.CANCELLED])
def test_customer_whose_requests_are_all_closed_may_apply(alice, bob, ch, router_wifi, until):
    job = post_job(alice, router_wifi)
    if until == JobStatus.CANCELLED:
        job_services.job_cancel(job=job, actor=alice, reason="Fixed it myself")
    else:
        walk(job, bob, alice, until=until)

    apply(alice, ch, confirm_role_change=True)

    alice.refresh_from_db()
    assert alice.role == Role.HELPER
    # Their history stays theirs.
    assert JobRequest.objects.get(pk=job.pk).customer_id == alice.pk


@pytest.mark.parametrize(
    "until", [JobStatus.OFFERED, JobStatus.ACCEPTED, JobStatus.IN_PROGRESS, JobStatus.COMPLETED]
)
def test_customer_with_a_request_still_going_is_refused_even_when_confirming(
    alice, bob, ch, router_wifi, until
):
    job = post_job(alice, router_wifi)
    if until != JobStatus.OFFERED:
        walk(job, bob, alice, until=until)

    with pytest.raises(InvalidTransition) as refused:
        apply(alice, ch, confirm_role_change=True)

    assert refused.value.code == "open_requests"
    assert refused.value.status_code == 409
    assert "still open or in progress" in refused.value.message
    assert still_a_customer(alice)
    assert JobRequest.objects.get(pk=job.pk).status == until


def test_a_disputed_request_also_blocks_the_change(alice, bob, ch, router_wifi):
    from marketplace.jobs.disputes import dispute_open

    job = walk(post_job(alice, router_wifi), bob, alice, until=JobStatus.COMPLETED)
    dispute_open(job=job, customer=alice, reason="The Wi-Fi still drops")
    assert JobRequest.objects.get(pk=job.pk).status == JobStatus.DISPUTED

    with pytest.raises(InvalidTransition):
        apply(alice, ch, confirm_role_change=True)
    assert still_a_customer(alice)


def test_helper_account_applies_without_confirming(ch, reference):
    newbie = UserFactory(role=Role.HELPER)
    assert apply(newbie, ch).user_id == newbie.pk


def test_helper_re_applying_is_refused(bob, ch):
    with pytest.raises(InvalidTransition, match="already applied"):
        apply(bob, ch, confirm_role_change=True)


def test_operators_cannot_apply(olga, ch):
    with pytest.raises(NotAllowed, match="Operators cannot be helpers"):
        apply(olga, ch, confirm_role_change=True)
    assert not HelperProfile.objects.filter(user=olga).exists()


# --- The API ----------------------------------------------------------------------------------


def test_api_customer_without_confirmation_gets_422_with_the_explanation(api_as, alice, ch):
    resp = api_as(alice).post("/api/helpers/apply", BODY)

    assert resp.status_code == 422, resp.content
    body = resp.json()
    assert body["code"] == "confirm_role_change"
    assert "helper account" in body["detail"]
    assert still_a_customer(alice)


def test_api_customer_who_confirms_becomes_a_helper_and_can_no_longer_post(
    api_as, alice, ch, router_wifi
):
    client = api_as(alice)
    resp = client.post("/api/helpers/apply", {**BODY, "confirm_role_change": True})

    assert resp.status_code == 201, resp.content
    alice.refresh_from_db()
    assert alice.role == Role.HELPER
    job = {"category": "router-wifi", "description": "Router blinks", "lat": 47.37, "lng": 8.54}
    assert client.post("/api/jobs", job).status_code == 403


def test_api_customer_with_an_active_request_gets_409(api_as, alice, bob, ch, router_wifi):
    post_job(alice, router_wifi)

    resp = api_as(alice).post("/api/helpers/apply", {**BODY, "confirm_role_change": True})

    assert resp.status_code == 409, resp.content
    assert resp.json()["code"] == "open_requests"
    assert "still open or in progress" in resp.json()["detail"]
    assert still_a_customer(alice)


def test_api_helper_account_applies_without_confirming(api_as, ch, reference):
    newbie = UserFactory(role=Role.HELPER)
    resp = api_as(newbie).post("/api/helpers/apply", BODY)
    assert resp.status_code == 201, resp.content


def test_api_helper_re_applying_gets_409(api_as, bob, ch):
    resp = api_as(bob).post("/api/helpers/apply", BODY)
    assert (resp.status_code, resp.json()["code"]) == (409, "conflict")


def test_api_operator_gets_403(api_as, olga, ch):
    resp = api_as(olga).post("/api/helpers/apply", {**BODY, "confirm_role_change": True})
    assert (resp.status_code, resp.json()["code"]) == (403, "forbidden")


def test_api_anonymous_gets_401(api_as, ch):
    assert api_as().post("/api/helpers/apply", BODY).status_code == 401


def test_the_rule_is_in_the_openapi_description(client, reference):
    operation = client.get("/api/openapi.json").json()["paths"]["/api/helpers/apply"]["post"]
    text = operation["description"]
    assert "confirm_role_change" in text
    assert "open_requests" in text
    assert "operators cannot apply" in text.lower()


# --- The web page -----------------------------------------------------------------------------


def web_data(ch, **extra):
    from tests.jobs.test_web_helper import apply_data

    return apply_data(ch, **extra)


def test_web_customer_sees_what_applying_means_and_a_confirmation_box(client, alice, ch):
    client.force_login(alice)
    page = client.get(reverse("helper:apply"))
    assert page.status_code == 200
    assert "Your account becomes a helper account" in page.text
    assert "can no longer post requests" in page.text
    assert "confirm_role_change" in page.context["form"].fields


def test_web_customer_without_the_box_is_asked_again(client, alice, ch):
    client.force_login(alice)
    resp = client.post(reverse("helper:apply"), web_data(ch))
    assert resp.status_code == 200
    assert "Confirm the change to go ahead" in " ".join(resp.context["form"].non_field_errors())
    assert still_a_customer(alice)


def test_web_customer_who_confirms_becomes_a_helper(client, alice, ch):
    client.force_login(alice)
    resp = client.post(reverse("helper:apply"), web_data(ch, confirm_role_change="on"), follow=True)
    assert resp.redirect_chain[-1][0] == reverse("helper:profile")
    assert "Your account is now a helper account" in resp.text
    alice.refresh_from_db()
    assert alice.role == Role.HELPER
    assert client.get(reverse("customer:request")).status_code == 403


def test_web_customer_with_an_active_request_is_told_to_finish_it_first(
    client, alice, bob, ch, router_wifi
):
    post_job(alice, router_wifi)
    client.force_login(alice)
    page = client.get(reverse("helper:apply"))
    assert page.status_code == 200
    assert "Finish your requests first" in page.text
    assert "Send application" not in page.text
    resp = client.post(reverse("helper:apply"), web_data(ch, confirm_role_change="on"))
    assert resp.status_code == 200
    assert "still open or in progress" in " ".join(resp.context["form"].non_field_errors())
    assert still_a_customer(alice)


def test_web_helper_account_sees_no_confirmation_box(client, ch, reference):
    newbie = UserFactory(role=Role.HELPER)
    client.force_login(newbie)
    page = client.get(reverse("helper:apply"))
    assert page.status_code == 200
    assert "confirm_role_change" not in page.context["form"].fields
    assert "Your account becomes a helper account" not in page.text


def test_web_operator_gets_403(client, olga):
    client.force_login(olga)
    assert client.get(reverse("helper:apply")).status_code == 403


def test_web_anonymous_is_sent_to_log_in(client, reference):
    resp = client.get(reverse("helper:apply"))
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith(reverse("login"))
