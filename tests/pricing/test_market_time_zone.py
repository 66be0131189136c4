"""Times customers type are read on the market's clock (issue 12 item 13): 10:00 typed for an
address in Zürich is 10:00 Europe/Zurich, one in Warsaw 10:00 Europe/Warsaw, whatever
settings.TIME_ZONE says; the job page shows them back as 10:00. The request form hands
`job_post` a `WallClockTime`; the API keeps asking for an offset
(tests/project/test_api_validation.py)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.core.errors import ValidationFailed
from marketplace.jobs import services
from marketplace.jobs.models import JobRequest
from marketplace.jobs.services import WallClockTime

pytestmark = pytest.mark.django_db

ZURICH_ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"
WARSAW_ADDRESS = "Marszałkowska 1, Warszawa"
DESCRIPTION = "The router keeps dropping the connection"


def form_data(category, address, start: datetime, hours=3, quoted=None):
    data = {
        "category": category.pk,
        "description": DESCRIPTION,
        "address": address,
        "choice": "helper",
        "window_start": start.strftime("%Y-%m-%dT%H:%M"),
        "window_end": (start + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M"),
    }
    if quoted:
        data["quoted"] = quoted
    return data


@pytest.mark.parametrize("server_zone", ["UTC", "America/New_York", "Europe/Warsaw"])
def test_ten_oclock_typed_in_zurich_is_ten_oclock_in_zurich(
    client, alice, router_wifi, settings, server_zone
):
    settings.TIME_ZONE = server_zone  # the server's clock must not matter
    zurich = ZoneInfo("Europe/Zurich")
    day = timezone.now().astimezone(zurich).date() + timedelta(days=1)
    typed = datetime.combine(day, time(10, 0))
    client.force_login(alice)
    resp = client.post(
        reverse("customer:request"),
        form_data(router_wifi, ZURICH_ADDRESS, typed, quoted="CHF:6000:22000"),
    )
    assert resp.status_code == 302, resp.content.decode()[:500]
    job = JobRequest.objects.get(customer=alice)
    assert job.market.code == "ch"
    assert job.window_start == typed.replace(tzinfo=zurich)
    assert job.window_end == (typed + timedelta(hours=3)).replace(tzinfo=zurich)
    html = client.get(reverse("customer:job", args=[job.pk])).content.decode()
    assert ", 10:00 – " in html and ", 13:00</dd>" in html


def test_ten_oclock_typed_in_warsaw_is_ten_oclock_in_warsaw(client, alice, router_wifi, settings):
    settings.TIME_ZONE = "UTC"
    warsaw = ZoneInfo("Europe/Warsaw")
    day = timezone.now().astimezone(warsaw).date() + timedelta(days=1)
    typed = datetime.combine(day, time(10, 0))
    client.force_login(alice)
    resp = client.post(
        reverse("customer:request"),
        form_data(router_wifi, WARSAW_ADDRESS, typed, quoted="PLN:6000:0"),
    )
    assert resp.status_code == 302, resp.content.decode()[:500]
    job = JobRequest.objects.get(customer=alice)
    assert job.market.code == "pl"
    assert job.window_start == typed.replace(tzinfo=warsaw)
    html = client.get(reverse("customer:job", args=[job.pk])).content.decode()
    assert ", 10:00 – " in html


def test_in_winter_ten_in_zurich_is_nine_utc(alice, router_wifi, settings):
    settings.TIME_ZONE = "America/New_York"
    now = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
    job = services.job_post(
        customer=alice,
        category=router_wifi,
        description=DESCRIPTION,
        address=ZURICH_ADDRESS,
        window_start=WallClockTime(2026, 1, 12, 10, 0),  # what the customer typed
        window_end=WallClockTime(2026, 1, 12, 14, 0),
        now=now,
    )
    assert job.window_start == datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
    assert job.window_end == datetime(2026, 1, 12, 13, 0, tzinfo=UTC)
    # In summer Zürich is UTC+2.
    summer = services.job_post(
        customer=alice,
        category=router_wifi,
        description=DESCRIPTION,
        address=ZURICH_ADDRESS,
        window_start=WallClockTime(2026, 7, 13, 10, 0),
        window_end=WallClockTime(2026, 7, 13, 14, 0),
        now=datetime(2026, 7, 12, 8, 0, tzinfo=UTC),
    )
    assert summer.window_start == datetime(2026, 7, 13, 8, 0, tzinfo=UTC)


def test_times_with_an_offset_are_kept_as_given(alice, router_wifi):
    now = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
    start = datetime(2026, 1, 12, 10, 0, tzinfo=ZoneInfo("America/New_York"))
    job = services.job_post(
        customer=alice,
        category=router_wifi,
        description=DESCRIPTION,
        address=ZURICH_ADDRESS,
        window_start=start,
        window_end=start + timedelta(hours=2),
        now=now,
    )
    assert job.window_start == start


def test_a_time_the_clock_change_skips_is_refused(alice, router_wifi):
    # 29 March 2026, 02:30 does not exist in Zürich (clocks go from 02:00 to 03:00).
    with pytest.raises(ValidationFailed, match="does not exist or is ambiguous"):
        services.job_post(
            customer=alice,
            category=router_wifi,
            description=DESCRIPTION,
            address=ZURICH_ADDRESS,
            window_start=WallClockTime(2026, 3, 29, 2, 30),
            window_end=WallClockTime(2026, 3, 29, 6, 0),
            now=datetime(2026, 3, 28, 8, 0, tzinfo=UTC),
        )
    assert not JobRequest.objects.exists()


def test_a_naive_end_alone_is_read_in_the_market_zone_too(alice, router_wifi):
    now = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
    job = services.job_post(
        customer=alice,
        category=router_wifi,
        description=DESCRIPTION,
        address=WARSAW_ADDRESS,
        window_end=WallClockTime(2026, 1, 10, 12, 0),
        now=now,
    )
    assert job.window_start == now
    assert job.window_end == datetime(2026, 1, 10, 11, 0, tzinfo=UTC)


def test_a_plain_naive_datetime_is_still_refused(alice, router_wifi):
    """Only the form's wall-clock times are read on the market's clock; code and API clients
    must say which clock they mean."""
    with pytest.raises(ValidationFailed, match="time zone offset"):
        services.job_post(
            customer=alice,
            category=router_wifi,
            description=DESCRIPTION,
            address=ZURICH_ADDRESS,
            window_start=datetime(2026, 1, 12, 10, 0),
            window_end=datetime(2026, 1, 12, 14, 0),
            now=datetime(2026, 1, 10, 8, 0, tzinfo=UTC),
        )


def test_the_form_gives_wall_clock_times_and_keeps_offsets():
    from marketplace.jobs.forms import WallClockDateTimeField

    field = WallClockDateTimeField(required=False)
    typed = field.clean("2026-01-12T10:00")
    assert isinstance(typed, WallClockTime) and typed.tzinfo is None
    assert (typed.hour, typed.minute) == (10, 0)
    assert field.clean("2026-01-12 10:00") == datetime(2026, 1, 12, 10, 0)
    aware = field.clean("2026-01-12T10:00+01:00")
    assert not isinstance(aware, WallClockTime) and aware.utcoffset() == timedelta(hours=1)
    assert field.clean("") is None
    with pytest.raises(Exception, match="valid date/time"):
        field.clean("not a date")
