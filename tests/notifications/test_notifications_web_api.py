"""Notification pages and API: own notifications only, unread badge, mark read, preferences;
the helper's "on the way" button and endpoint."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.jobs.models import JobStatus
from marketplace.notifications.models import EmailPreference, Kind, Notification
from marketplace.notifications.services import notify
from tests.factories import job_at

pytestmark = pytest.mark.django_db


def _note(user, title="Something happened", url="/customer/jobs/", **extra):
    return notify(user=user, kind=extra.pop("kind", Kind.JOB_ACCEPTED), title=title, url=url)


@pytest.fixture
def alice_notes(alice):
    return [_note(alice, title=f"Note {i}") for i in range(3)]


@pytest.fixture
def accepted(alice, bob, router_wifi):
    return job_at(
        JobStatus.ACCEPTED,
        customer=alice,
        helper=bob,
        category=router_wifi,
        description="Router keeps dropping the connection",
    )


# --- Web ------------------------------------------------------------------------------------


def test_the_nav_shows_the_unread_count_from_one_count_query(client, alice, alice_notes):
    Notification.objects.filter(pk=alice_notes[0].pk).update(read_at="2030-01-01T00:00Z")
    client.force_login(alice)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("customer:jobs"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="/notifications/"' in html
    assert '>2<span class="visually-hidden"> unread</span>' in html
    touching = [q["sql"] for q in queries if "notifications_notification" in q["sql"]]
    assert len(touching) == 1 and "COUNT" in touching[0].upper()


def test_no_badge_without_unread_notifications(client, alice):
    client.force_login(alice)
    html = client.get(reverse("customer:jobs")).content.decode()
    assert 'href="/notifications/"' in html
    assert 'visually-hidden"> unread' not in html


def test_the_list_shows_own_notifications_newest_first_with_unread_highlighted(
    client, alice, mallory, alice_notes
):
    _note(mallory, title="Mallory's secret")
    Notification.objects.filter(pk=alice_notes[0].pk).update(read_at="2030-01-01T00:00Z")
    client.force_login(alice)

    html = client.get(reverse("notifications:list")).content.decode()

    assert html.index("Note 2") < html.index("Note 1") < html.index("Note 0")
    assert html.count('class="card notice unread"') == 2
    assert "Mallory&#x27;s secret" not in html and "Mallory's secret" not in html


def test_the_list_is_paginated(client, alice):
    for i in range(25):
        _note(alice, title=f"Item {i:02d}")
    client.force_login(alice)
    first = client.get(reverse("notifications:list")).content.decode()
    second = client.get(reverse("notifications:list"), {"page": 2}).content.decode()
    assert "Item 24" in first and "Item 04" not in first
    assert "Item 04" in second and "Item 24" not in second


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, alice):
    note = _note(alice, url="/customer/jobs/")
    client.force_login(alice)

    response = client.post(reverse("notifications:open", args=[note.pk]))

    assert response.status_code == 302 and response["Location"] == "/customer/jobs/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_a_link_to_another_site_is_not_followed(client, alice):
    note = _note(alice, url="https://evil.example/")
    client.force_login(alice)
    response = client.post(reverse("notifications:open", args=[note.pk]))
    assert response["Location"] == reverse("notifications:list")


def test_nobody_can_open_someone_elses_notification(client, alice, mallory):
    note = _note(alice)
    client.force_login(mallory)

    response = client.post(reverse("notifications:open", args=[note.pk]))

    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_opening_needs_a_post(client, alice):
    note = _note(alice)
    client.force_login(alice)
    assert client.get(reverse("notifications:open", args=[note.pk])).status_code == 405


def test_mark_all_read_marks_only_ones_own(client, alice, mallory, alice_notes):
    other = _note(mallory)
    client.force_login(alice)

    response = client.post(reverse("notifications:read_all"))

    assert response.status_code == 302
    assert not Notification.objects.filter(user=alice, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_preferences_form_saves_a_checkbox_per_kind(client, alice):
    client.force_login(alice)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert page.count('type="checkbox"') == len(Kind.values)
    assert page.count("checked") >= len(Kind.values)  # all on by default

    on = [k for k in Kind.values if k != Kind.REVIEW_REQUEST]
    response = client.post(reverse("notifications:preferences"), {k: "on" for k in on})

    assert response.status_code == 302
    assert list(
        EmailPreference.objects.filter(user=alice, email=False).values_list("kind", flat=True)
    ) == [Kind.REVIEW_REQUEST]


@pytest.mark.parametrize("name", ["notifications:list", "notifications:preferences"])
def test_notification_pages_need_a_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_helper_job_page_has_an_on_the_way_button_that_tells_the_customer(
    client, accepted, alice, bob
):
    client.force_login(bob)
    page = client.get(reverse("helper:job", args=[accepted.pk])).content.decode()
    assert reverse("helper:on_the_way", args=[accepted.pk]) in page

    response = client.post(reverse("helper:on_the_way", args=[accepted.pk]))

    assert response.status_code == 302
    assert Notification.objects.filter(user=alice, kind=Kind.ON_THE_WAY).count() == 1


def test_another_helper_cannot_press_on_the_way(client, accepted, carol):
    client.force_login(carol)
    response = client.post(reverse("helper:on_the_way", args=[accepted.pk]))
    assert response.status_code == 404  # not their job: it is not even shown to them
    assert not Notification.objects.filter(kind=Kind.ON_THE_WAY).exists()


# --- API ------------------------------------------------------------------------------------


def test_api_lists_own_notifications_with_unread_filter_and_count(api_as, alice, mallory):
    notes = [_note(alice, title=f"N{i}") for i in range(3)]
    _note(mallory)
    Notification.objects.filter(pk=notes[0].pk).update(read_at="2030-01-01T00:00Z")

    body = api_as(alice).get("/api/notifications", limit=2).json()
    assert body["count"] == 3 and body["unread_count"] == 2
    assert [n["title"] for n in body["items"]] == ["N2", "N1"]

    unread = api_as(alice).get("/api/notifications", unread="true").json()
    assert unread["count"] == 2 and all(not n["read"] for n in unread["items"])


def test_api_marks_one_read(api_as, alice):
    note = _note(alice)
    response = api_as(alice).post(f"/api/notifications/{note.pk}/read")
    assert response.status_code == 200 and response.json()["read"] is True
    assert api_as(alice).get("/api/notifications").json()["unread_count"] == 0


def test_api_answers_404_for_someone_elses_notification(api_as, alice, mallory):
    note = _note(alice)
    response = api_as(mallory).post(f"/api/notifications/{note.pk}/read")
    assert response.status_code == 404
    assert all(
        n["id"] != note.pk for n in api_as(mallory).get("/api/notifications").json()["items"]
    )
    note.refresh_from_db()
    assert note.read_at is None


def test_api_marks_all_read(api_as, alice, alice_notes):
    response = api_as(alice).post("/api/notifications/read-all")
    assert response.json() == {"marked": 3, "unread_count": 0}


def test_api_preferences_default_to_all_on_and_can_be_changed(api_as, alice):
    client = api_as(alice)
    prefs = client.get("/api/notifications/preferences").json()
    assert {p["kind"] for p in prefs} == set(Kind.values)
    assert all(p["email"] and p["in_app"] for p in prefs)

    response = client.put("/api/notifications/preferences", {"email": {"new_offer": False}})

    assert response.status_code == 200
    by_kind = {p["kind"]: p["email"] for p in response.json()}
    assert by_kind["new_offer"] is False and by_kind["job_accepted"] is True


def test_api_refuses_an_unknown_kind(api_as, alice):
    response = api_as(alice).put("/api/notifications/preferences", {"email": {"spam": True}})
    assert response.status_code == 422
    assert not EmailPreference.objects.exists()


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/api/notifications"),
        ("post", "/api/notifications/1/read"),
        ("post", "/api/notifications/read-all"),
        ("get", "/api/notifications/preferences"),
    ],
)
def test_api_notifications_need_authentication(api_as, method, path):
    assert getattr(api_as(), method)(path).status_code == 401


def test_api_on_the_way_for_the_assigned_helper_only(api_as, accepted, alice, bob, carol):
    assert api_as(carol).post(f"/api/jobs/{accepted.pk}/on-the-way").status_code == 404
    response = api_as(bob).post(f"/api/jobs/{accepted.pk}/on-the-way")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    assert Notification.objects.filter(user=alice, kind=Kind.ON_THE_WAY).count() == 1
