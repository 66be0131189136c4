"""Before 0004 adds a check constraint per bounded number (marketplace/pricing/bounds.py), move any
stored value outside its range to the nearest end of it, so the constraints can be added to a
database where someone already saved an absurd price (issue 21: pro_expected_minutes 1e9). Each
such change lands in the price history (source "migration"), like every other price edit.

The ranges are copied here, not imported: a migration must keep doing what it did when written.
Clamping each field on its own keeps min_helper_fee <= helper_fee <= max_helper_fee (already a
constraint), because clamping into one range never reverses an order. A separate migration from
0004 so that PostgreSQL does not alter tables with this migration's row changes still pending."""

from django.db import migrations
from django.utils import timezone

MARKET = {
    "commission_bps": (0, 10_000),
    "fixed_cost_per_month": (0, 1_000_000_000),
    "cancellation_free_minutes": (0, 7 * 24 * 60),
    "cancellation_fee": (0, 10_000_000),
    "dispatch_k": (1, 20),
    "offer_deadline_minutes": (1, 24 * 60),
    "max_radius_km": (1, 500),
}
ENTRY = {
    "helper_fee": (0, 10_000_000),
    "min_helper_fee": (0, 10_000_000),
    "max_helper_fee": (0, 10_000_000),
    "pro_callout_fee": (0, 10_000_000),
    "pro_hourly_rate": (0, 10_000_000),
    "pro_expected_minutes": (0, 24 * 60),
    "pro_flat_price": (0, 10_000_000),
}
REASON = "Out of range: moved into the allowed range (migration pricing 0003)"


def _clamp(obj, ranges) -> list[tuple[str, int, int]]:
    diffs = []
    for name, (low, high) in ranges.items():
        old = getattr(obj, name)
        if old is None:
            continue
        new = min(max(old, low), high)
        if new != old:
            setattr(obj, name, new)
            diffs.append((name, old, new))
    return diffs


def clamp_into_bounds(apps, schema_editor):
    Market = apps.get_model("pricing", "Market")
    PriceBookEntry = apps.get_model("pricing", "PriceBookEntry")
    PriceChange = apps.get_model("pricing", "PriceChange")
    now = timezone.now()
    changes = []

    def record(market_id, entry_id, diffs):
        changes.extend(
            PriceChange(
                market_id=market_id,
                entry_id=entry_id,
                field=name,
                old_value=str(old),
                new_value=str(new),
                changed_at=now,
                source="migration",
                reason=REASON,
            )
            for name, old, new in diffs
        )

    for market in Market.objects.all():
        diffs = _clamp(market, MARKET)
        if diffs:
            market.save(update_fields=[name for name, _old, _new in diffs])
            record(market.pk, None, diffs)
    for entry in PriceBookEntry.objects.all():
        diffs = _clamp(entry, ENTRY)
        if diffs:
            entry.save(update_fields=[name for name, _old, _new in diffs])
            record(entry.market_id, entry.pk, diffs)
    PriceChange.objects.bulk_create(changes)


class Migration(migrations.Migration):
    dependencies = [
        ("pricing", "0002_price_change_history"),
    ]

    operations = [
        migrations.RunPython(clamp_into_bounds, migrations.RunPython.noop),
    ]
