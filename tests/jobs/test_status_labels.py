"""Status labels from the viewer's side (issue 12 item 3): the customer, the assigned helper and
the operator each read a job's status in their own words, on the job pages, in the API's
`status_label` and in the notification list; every label is translated."""

import re

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from marketplace.jobs import services
from marketplace.jobs.labels import LABELS, TAKEN_BY_ANOTHER_HELPER, status_label
from marketplace.jobs.models import JobRequest, JobStatus
from tests.factories import job_at

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"

EXPECTED = {
    JobStatus.OPEN: (
        "Looking for a helper",
        "Open for helpers",
        "Open, looking for a helper",
    ),
    JobStatus.OFFERED: (
        "Offered to helpers",
        "Offered to helpers",
        "Offered, waiting for helpers to answer",
    ),
    JobStatus.ACCEPTED: ("Helper assigned", "Assigned to you", "Accepted by a helper"),
    JobStatus.IN_PROGRESS: ("Helper on site", "You are on site", "In progress, helper on site"),
    JobStatus.COMPLETED: (
        "Done, waiting for your confirmation",
        "Done, waiting for the customer's confirmation",
        "Completed, awaiting customer confirmation",
    ),
    JobStatus.CONFIRMED: ("Confirmed", "Confirmed by the customer", "Confirmed by the customer"),
    JobStatus.CANCELLED: ("Cancelled", "Cancelled", "Cancelled"),
    JobStatus.EXPIRED: (
        "No helper found",
        "Expired, no helper took it",
        "Expired, no helper found",
    ),
    JobStatus.DISPUTED: ("In dispute", "In dispute", "Disputed"),
    JobStatus.PROFESSIONAL: (
        "Professional visit booked",
        "Handed to a professional technician",
        "Professional visit booked",
    ),
}
ROLES = ("customer", "helper", "operator")
CASES = [(status, role) for status in EXPECTED for role in ROLES]


@pytest.fixture
def job(alice, bob, router_wifi) -> JobRequest:
    """Alice's job, assigned to Bob; each test then puts it in the status it looks at."""
    return job_at(
        JobStatus.ACCEPTED,
        customer=alice,
        helper=bob,
        category=router_wifi,
        description="Router keeps dropping the connection",
    )


def _set_status(job: JobRequest, status: str) -> JobRequest:
    JobRequest.objects.filter(pk=job.pk).update(status=status)
    job.refresh_from_db()
    return job


def _viewer(role, alice, bob, olga):
    return {"customer": alice, "helper": bob, "operator": olga}[role]


def _page_status(html: str) -> str:
    """The text of the status badge (templates/partials/status.html) on a page."""
    match = re.search(r'<span class="status status-[a-z_]+">([^<]*)</span>', html)
    assert match, "no status badge on the page"
    return match.group(1).replace("&#x27;", "'")


def _page_url(role: str, job: JobRequest) -> str:
    return reverse(f"{role}:job", args=[job.pk])


def test_the_table_has_a_label_for_every_status_and_role():
    for role in ROLES:
        assert set(LABELS[role]) == set(JobStatus.values), role


@pytest.mark.parametrize(("status", "role"), CASES)
def test_status_label_in_each_role(job, alice, bob, olga, status, role):
    job = _set_status(job, status)
    expected = EXPECTED[status][ROLES.index(role)]
    assert str(status_label(job, viewer=_viewer(role, alice, bob, olga))) == expected
    assert str(status_label(status, viewer=role)) == expected


@pytest.mark.parametrize(("status", "role"), CASES)
def test_each_job_page_shows_the_viewers_label(client, job, alice, bob, olga, status, role):
    job = _set_status(job, status)
    client.force_login(_viewer(role, alice, bob, olga))
    response = client.get(_page_url(role, job))
    assert response.status_code == 200
    assert _page_status(response.content.decode()) == EXPECTED[status][ROLES.index(role)]


@pytest.mark.parametrize(("status", "role"), CASES)
def test_the_api_status_label_is_the_callers(api_as, job, alice, bob, olga, status, role):
    job = _set_status(job, status)
    response = api_as(_viewer(role, alice, bob, olga)).get(f"/api/jobs/{job.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == status
    assert body["status_label"] == EXPECTED[status][ROLES.index(role)]


def test_the_live_status_fragment_and_its_summary_use_the_helpers_words(client, job, bob):
    job = _set_status(job, JobStatus.COMPLETED)
    client.force_login(bob)
    html = client.get(reverse("helper:job_status", args=[job.pk])).content.decode()
    assert _page_status(html) == "Done, waiting for the customer's confirmation"
    assert "Status: Done, waiting for the customer&#x27;s confirmation." in html
    assert "your confirmation" not in html


def test_the_job_lists_use_the_viewers_words(client, job, alice, bob, olga):
    job = _set_status(job, JobStatus.COMPLETED)
    for user, url, expected in (
        (alice, reverse("customer:jobs"), "Done, waiting for your confirmation"),
        (bob, reverse("helper:jobs"), "Done, waiting for the customer's confirmation"),
        (olga, reverse("operator:jobs"), "Completed, awaiting customer confirmation"),
    ):
        client.force_login(user)
        assert _page_status(client.get(url).content.decode()) == expected


def test_another_helper_reads_that_the_job_was_taken(job, carol):
    for status in (JobStatus.ACCEPTED, JobStatus.COMPLETED):
        job = _set_status(job, status)
        assert status_label(job, viewer=carol) == TAKEN_BY_ANOTHER_HELPER
    job = _set_status(job, JobStatus.CANCELLED)
    assert str(status_label(job, viewer=carol)) == "Cancelled"


def test_a_bare_status_reads_as_the_customer_and_an_unknown_role_is_refused():
    assert str(status_label("completed", viewer=None)) == "Done, waiting for your confirmation"
    with pytest.raises(ValueError):
        status_label("completed", viewer="admin")
    with pytest.raises(ValueError):
        status_label("nonsense", viewer="operator")


def test_the_template_tag(job, bob, olga):
    job = _set_status(job, JobStatus.COMPLETED)
    template = Template("{% load labels %}{% status_label job viewer %}")
    assert template.render(Context({"job": job, "viewer": olga})) == (
        "Completed, awaiting customer confirmation"
    )
    assert template.render(Context({"job": job, "viewer": bob})) == (
        "Done, waiting for the customer&#x27;s confirmation"
    )


@pytest.mark.parametrize("lang", ["pl", "de", "fr"])
def test_every_label_is_translated(lang):
    with translation.override(lang):
        for role in ROLES:
            for status, label in LABELS[role].items():
                english = EXPECTED[status][ROLES.index(role)]
                assert str(label) != english or english in {"Cancelled"}, (lang, role, status)
        assert str(TAKEN_BY_ANOTHER_HELPER) != "Taken by another helper"


def test_the_helper_page_in_polish(client, job, bob):
    job = _set_status(job, JobStatus.COMPLETED)
    bob.language = "pl"
    bob.save(update_fields=["language"])
    client.force_login(bob)
    html = client.get(_page_url("helper", job)).content.decode()
    assert _page_status(html) == "Wykonane, czeka na potwierdzenie klienta"


# --- Notifications: each recipient reads the status in their own words -------------------------


def test_the_notification_list_shows_each_recipient_their_label(client, job, alice, bob):
    from marketplace.notifications.models import Kind, Notification

    job = _set_status(job, JobStatus.COMPLETED)
    for user, expected in (
        (alice, "Done, waiting for your confirmation"),
        (bob, "Done, waiting for the customer's confirmation"),
    ):
        Notification.objects.create(user=user, kind=Kind.JOB_COMPLETED, job=job, title="Done")
        client.force_login(user)
        html = client.get(reverse("notifications:list")).content.decode()
        assert f"Job #{job.pk}: " in html
        assert _page_status(html) == expected


def test_notification_emails_carry_the_recipients_label(
    job, alice, bob, django_capture_on_commit_callbacks
):
    from django.core import mail

    services.job_check_in(job=job, helper=bob)
    job = services.job_complete(job=job, helper=bob, note="Router works")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.job_confirm(job=job, actor=alice)
    by_recipient = {m.to[0]: m.body for m in mail.outbox if "payment" in m.subject.lower()}
    by_recipient |= {m.to[0]: m.body for m in mail.outbox if "payout" in m.subject.lower()}
    assert "Status: Confirmed.\n" in by_recipient[alice.email]
    assert "Status: Confirmed by the customer.\n" in by_recipient[bob.email]


def test_notification_emails_are_labelled_in_the_recipients_language(job, alice, bob):
    from marketplace.notifications.models import Kind, Notification
    from marketplace.notifications.tasks import email_text

    job = _set_status(job, JobStatus.COMPLETED)
    bob.language = "pl"
    bob.save(update_fields=["language"])
    note = Notification.objects.create(user=bob, kind=Kind.JOB_COMPLETED, job=job, title="x")
    assert "Wykonane, czeka na potwierdzenie klienta" in email_text(note)
