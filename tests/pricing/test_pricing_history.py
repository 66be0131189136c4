"""Editing markets and the price book records every change (who, when, old → new), and jobs keep
the quote they were booked with."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.core.errors import ValidationFailed
from marketplace.jobs.services import job_post
from marketplace.pricing.models import PriceBookEntry, PriceChange
from marketplace.pricing.services import market_update, price_entry_update, quote, value_in_force


@pytest.mark.django_db
def test_changing_the_helper_fee_records_who_when_and_old_to_new(ch_router, olga):
    old = ch_router.helper_fee
    price_entry_update(entry=ch_router, actor=olga, reason="summer promo", helper_fee=old - 500)

    change = PriceChange.objects.get()
    assert (change.field, change.old_value, change.new_value) == (
        "helper_fee",
        str(old),
        str(old - 500),
    )
    assert change.changed_by == olga
    assert change.entry == ch_router
    assert change.market == ch_router.market
    assert change.reason == "summer promo"
    ch_router.refresh_from_db()
    assert ch_router.helper_fee == old - 500


@pytest.mark.django_db
def test_unchanged_values_write_no_history(ch_router, olga):
    price_entry_update(entry=ch_router, actor=olga, helper_fee=ch_router.helper_fee)
    assert not PriceChange.objects.exists()


@pytest.mark.django_db
def test_a_fee_outside_the_market_bounds_is_refused_and_nothing_is_recorded(ch_router, olga):
    with pytest.raises(ValidationFailed, match="between"):
        price_entry_update(entry=ch_router, actor=olga, helper_fee=ch_router.max_helper_fee + 1)
    assert not PriceChange.objects.exists()
    assert PriceBookEntry.objects.get(pk=ch_router.pk).helper_fee == ch_router.helper_fee


@pytest.mark.django_db
def test_fields_outside_the_editable_set_are_refused(ch_router, olga):
    with pytest.raises(ValidationFailed, match="cannot be changed"):
        price_entry_update(entry=ch_router, actor=olga, market_id=999)


@pytest.mark.django_db
def test_market_settings_changes_are_recorded_without_an_entry(ch, olga):
    market_update(market=ch, actor=olga, commission_bps=1800, fixed_cost_per_month=123_400)
    fields = dict(PriceChange.objects.filter(entry=None).values_list("field", "new_value"))
    assert fields == {"commission_bps": "1800", "fixed_cost_per_month": "123400"}


@pytest.mark.django_db
def test_bad_radius_steps_are_refused(ch, olga):
    with pytest.raises(ValidationFailed, match="Radius steps"):
        market_update(market=ch, actor=olga, radius_steps_km="2,five")


@pytest.mark.django_db
def test_commission_above_100_percent_is_refused(ch, olga):
    with pytest.raises(ValidationFailed):
        market_update(market=ch, actor=olga, commission_bps=10_001)


@pytest.mark.django_db
def test_the_value_in_force_at_any_moment_comes_from_the_history(ch_router, olga):
    first = ch_router.helper_fee
    t0 = timezone.now()
    price_entry_update(entry=ch_router, actor=olga, helper_fee=first + 500, now=t0)
    price_entry_update(
        entry=ch_router, actor=olga, helper_fee=first + 900, now=t0 + timedelta(days=7)
    )
    ch_router.refresh_from_db()

    assert value_in_force(entry=ch_router, field="helper_fee", at=t0 - timedelta(days=1)) == str(
        first
    )
    assert value_in_force(entry=ch_router, field="helper_fee", at=t0 + timedelta(days=1)) == str(
        first + 500
    )
    assert value_in_force(entry=ch_router, field="helper_fee", at=t0 + timedelta(days=8)) == str(
        first + 900
    )


@pytest.mark.django_db
def test_a_booked_job_keeps_its_quote_when_prices_change(alice, ch_router, olga, router_wifi):
    job = job_post(
        customer=alice,
        category=router_wifi,
        description="Set up the new router please",
        address="Zürich",
    )
    booked = (job.price, job.platform_fee, job.helper_payout, job.professional_price)
    price_entry_update(entry=ch_router, actor=olga, helper_fee=ch_router.helper_fee + 1000)
    market_update(market=ch_router.market, actor=olga, commission_bps=3000)

    job.refresh_from_db()
    assert (job.price, job.platform_fee, job.helper_payout, job.professional_price) == booked
    new = quote(market=ch_router.market, category=router_wifi)
    assert new.helper_price == booked[0] + 1000
