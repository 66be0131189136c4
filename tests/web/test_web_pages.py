"""Sanity pass: every page renders for its role, in every job state, with the layout's basics
(one h1, footer credit, CSRF on POST forms) and a label for every visible input."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from marketplace.jobs import services

pytestmark = pytest.mark.django_db


class PageAudit(HTMLParser):
    def __init__(self):
        super().__init__()
        self.h1 = 0
        self.inputs: list[dict] = []
        self.label_for: set[str] = set()
        self.post_forms = 0
        self.csrf_inputs = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "h1":
            self.h1 += 1
        elif tag == "label" and a.get("for"):
            self.label_for.add(a["for"])
        elif tag == "form" and (a.get("method") or "").lower() == "post":
            self.post_forms += 1
        elif tag == "input" and a.get("name") == "csrfmiddlewaretoken":
            self.csrf_inputs += 1
        elif tag in ("select", "textarea") or (
            tag == "input" and a.get("type") not in ("hidden", "submit", "button")
        ):
            self.inputs.append(a)

    def unlabelled(self):
        return [
            a
            for a in self.inputs
            if not a.get("aria-label") and (not a.get("id") or a["id"] not in self.label_for)
        ]


def audit(resp):
    assert resp.status_code == 200, resp
    page = PageAudit()
    page.feed(resp.text)
    assert page.h1 == 1, f"{resp.request['PATH_INFO']}: {page.h1} h1"
    assert page.unlabelled() == [], resp.request["PATH_INFO"]
    assert page.csrf_inputs >= page.post_forms, resp.request["PATH_INFO"]
    assert "GeoNames" in resp.text
    assert "None" not in resp.text.replace("NoneType", ""), resp.request["PATH_INFO"]
    return page


@pytest.fixture
def jobs(alice, bob, carol, router_wifi):
    """One job in each interesting state, all Alice's, Bob the helper where there is one."""

    def post(address="Bahnhofstrasse 1, 8001 Zürich"):
        return services.job_post(
            customer=alice,
            category=router_wifi,
            description="The router keeps dropping the connection",
            address=address,
        )

    offered = post()
    accepted = post()
    services.job_accept(job=accepted, helper=bob)
    in_progress = post()
    services.job_accept(job=in_progress, helper=bob)
    services.job_check_in(job=in_progress, helper=bob)
    # Bob is at his limit of two active jobs; Carol takes the rest.
    completed = post()
    services.job_accept(job=completed, helper=carol)
    services.job_check_in(job=completed, helper=carol)
    services.job_complete(job=completed, helper=carol, note="Swapped the cable")
    confirmed = post()
    services.job_accept(job=confirmed, helper=carol)
    services.job_check_in(job=confirmed, helper=carol)
    services.job_complete(job=confirmed, helper=carol)
    services.job_confirm(job=confirmed, actor=alice)
    cancelled = post()
    services.job_cancel(job=cancelled, actor=alice, reason="Fixed it")
    expired = post(address="Genève")
    expired_free = post(address="Marszałkowska 10, Warszawa")
    return [offered, accepted, in_progress, completed, confirmed, cancelled, expired, expired_free]


def test_public_pages_render(client, ch, router_wifi):
    for url in (reverse("home"), reverse("quote"), reverse("login"), reverse("signup")):
        audit(client.get(url))
    audit(client.get(reverse("quote"), {"market": ch.pk, "category": router_wifi.pk}))


def test_customer_pages_render_in_every_job_state(client, alice, jobs):
    client.force_login(alice)
    for url in (reverse("home"), reverse("customer:request"), reverse("customer:jobs")):
        audit(client.get(url))
    for job in jobs:
        audit(client.get(reverse("customer:job", args=[job.pk])))
    audit(client.get(reverse("customer:cancel", args=[jobs[0].pk])))
    audit(client.get(reverse("customer:cancel", args=[jobs[1].pk])))


def test_helper_pages_render_in_every_job_state(client, bob, carol, dave, jobs):
    for helper in (bob, carol, dave):
        client.force_login(helper)
        for name in ("home", "helper:profile", "helper:offers", "helper:nearby", "helper:jobs"):
            audit(client.get(reverse(name)))
    for helper in (bob, carol):
        client.force_login(helper)
        for job in jobs:
            resp = client.get(reverse("helper:job", args=[job.pk]))
            if resp.status_code != 404:  # jobs they never saw stay hidden
                audit(resp)


def test_helper_application_page_renders(client, reference):
    from tests.factories import UserFactory

    client.force_login(UserFactory(role="helper"))
    audit(client.get(reverse("helper:apply")))


def test_operator_pages_render(client, olga, dave, jobs):
    client.force_login(olga)
    for url in (
        reverse("home"),
        reverse("operator:vetting"),
        reverse("operator:helpers"),
        reverse("operator:helpers") + "?status=suspended",
        reverse("operator:jobs"),
        reverse("operator:jobs") + "?status=confirmed",
    ):
        audit(client.get(url))
    for job in jobs:
        audit(client.get(reverse("operator:job", args=[job.pk])))


def test_error_pages_render_with_the_layout(client, alice, olga):
    client.force_login(alice)
    not_found = client.get(reverse("customer:job", args=[4242]))
    assert not_found.status_code == 404
    assert "Not found" in not_found.text
    forbidden = client.get(reverse("operator:vetting"))
    assert forbidden.status_code == 403
    assert "not for your account" in forbidden.text
