"""The whole marketplace loop through the web pages, as people would click through it."""

import pytest
from django.urls import reverse

from marketplace.helpers.models import HelperStatus
from marketplace.jobs.models import JobRequest, JobStatus, Review, ReviewDirection

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"


def test_customer_helper_and_operator_complete_the_loop(
    client, alice, bob, carol, dave, olga, router_wifi
):
    # Alice asks for help through the form.
    client.force_login(alice)
    form = client.get(reverse("customer:request"))
    assert form.status_code == 200
    resp = client.post(
        reverse("customer:request"),
        {
            "category": router_wifi.pk,
            "description": "My new router does not connect to the fibre box",
            "address": ADDRESS,
            "contact_phone": "+41 79 111",
        },
    )
    assert resp.status_code == 200  # first the quote: helper beside professional
    assert "CHF 220.00" in resp.text
    resp = client.post(
        reverse("customer:request"),
        {
            "category": router_wifi.pk,
            "description": "My new router does not connect to the fibre box",
            "address": ADDRESS,
            "contact_phone": "+41 79 111",
            "choice": "helper",
            "quoted": resp.context["quoted"],
        },
    )
    assert resp.status_code == 302, resp.content
    job = JobRequest.objects.get(customer=alice)
    assert resp.headers["Location"] == reverse("customer:job", args=[job.pk])
    assert job.status == JobStatus.OFFERED
    page = client.get(resp.headers["Location"])
    assert "CHF 60.00" in page.text  # helper price
    assert "CHF 220.00" in page.text  # professional: 80 call-out + 1 h × 140
    assert "Looking for a helper" in page.text

    # Dispatch offered it to Carol (nearest); her offer shows the town, not the address.
    client.force_login(carol)
    offers = client.get(reverse("helper:offers"))
    assert reverse("helper:accept", args=[job.pk]) in offers.text
    assert "Zürich" in offers.text
    assert "Bahnhofstrasse" not in offers.text
    assert "+41 79 111" not in offers.text

    # Bob sees it in his nearby feed, again without the address.
    client.force_login(bob)
    nearby = client.get(reverse("helper:nearby"))
    assert nearby.status_code == 200
    assert reverse("helper:job", args=[job.pk]) in nearby.text
    assert "Zürich" in nearby.text
    assert "Bahnhofstrasse" not in nearby.text
    before = client.get(reverse("helper:job", args=[job.pk]))
    assert "Bahnhofstrasse" not in before.text
    assert "+41 79 111" not in before.text

    # He accepts from the feed and now sees the address and phone.
    resp = client.post(reverse("helper:accept", args=[job.pk]))
    assert resp.headers["Location"] == reverse("helper:job", args=[job.pk])
    after = client.get(resp.headers["Location"])
    assert ADDRESS in after.text
    assert "+41 79 111" in after.text
    assert reverse("helper:job", args=[job.pk]) in client.get(reverse("helper:jobs")).text

    # Carol's offer is gone; accepting now is refused with a message, not an error page.
    client.force_login(carol)
    assert reverse("helper:accept", args=[job.pk]) not in client.get(reverse("helper:offers")).text
    resp = client.post(reverse("helper:accept", args=[job.pk]), follow=True)
    assert resp.status_code == 200
    assert "Bahnhofstrasse" not in resp.text
    job.refresh_from_db()
    assert job.assigned_helper == bob

    # Bob checks in and completes.
    client.force_login(bob)
    client.post(reverse("helper:check_in", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == JobStatus.IN_PROGRESS
    client.post(reverse("helper:complete", args=[job.pk]), {"note": "Replaced the cable"})
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert job.completion_note == "Replaced the cable"

    # Alice sees the helper, the timeline, confirms and reviews with NPS.
    client.force_login(alice)
    page = client.get(reverse("customer:job", args=[job.pk]))
    assert "Bob Helper" in page.text
    assert "Helper arrived" in page.text
    assert "Replaced the cable" in page.text
    assert reverse("customer:confirm", args=[job.pk]) in page.text
    client.post(reverse("customer:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == JobStatus.CONFIRMED
    resp = client.post(
        reverse("customer:review", args=[job.pk]),
        {"rating": "5", "comment": "Quick and friendly", "nps": "9"},
    )
    assert resp.status_code == 302
    review = Review.objects.get(job=job, direction=ReviewDirection.OF_HELPER)
    assert (review.rating, review.nps, review.comment) == (5, 9, "Quick and friendly")
    page = client.get(reverse("customer:job", args=[job.pk]))
    assert "You rated this job 5" in page.text
    assert 'name="nps"' not in page.text

    # Bob rates Alice; the address is gone now the job is closed.
    client.force_login(bob)
    page = client.get(reverse("helper:job", args=[job.pk]))
    assert "Bahnhofstrasse" not in page.text
    client.post(reverse("helper:review", args=[job.pk]), {"rating": "4"})
    assert Review.objects.get(job=job, direction=ReviewDirection.OF_CUSTOMER).rating == 4

    # Olga vets Dave.
    client.force_login(olga)
    queue = client.get(reverse("operator:vetting"))
    assert "Dave Applicant" in queue.text
    profile = dave.helper_profile
    resp = client.post(reverse("operator:vet", args=[profile.pk]), {"id_checked": "on"})
    assert resp.status_code == 302
    profile.refresh_from_db()
    assert profile.status == HelperStatus.VETTED
    assert profile.vetted_by == olga
    queue = client.get(reverse("operator:vetting"))
    assert "Dave Applicant is vetted" in queue.text
    assert list(queue.context["applications"]) == []
