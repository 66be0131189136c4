"""The economics benchmark's core on a small generated dataset: its extra rows (payments, ledger,
reviews) insert on this database, and the dashboard figures read through the rollup equal the
naive loop over the rows for each benchmark scope. No timing assertions (that is
`python -m benchmarks --suite economics`)."""

import pytest
from django.db import connection

from benchmarks import economics, supply_data
from marketplace.economics.metrics import metrics
from marketplace.economics.rollup import rollup_refresh
from marketplace.payments.models import Payment

pytestmark = pytest.mark.django_db


def test_rollup_figures_equal_the_naive_loop_on_a_generated_year(reference):
    supply_data.generate(3_000, seed=11)
    with connection.cursor() as cursor:
        for statement in economics._EXTRAS:
            cursor.execute(statement)
        cursor.execute("ANALYZE")  # bulk-inserted tables: give the planner statistics
    assert Payment.objects.filter(amount_captured__gt=0).exists()
    run = rollup_refresh()
    assert run.full and run.rows_written > 0
    for label, scope, _share in economics.scopes():
        assert metrics(scope).posted == economics.naive_metrics(scope)["posted"] > 0, label
        _timing, identical, mismatches = economics.time_naive(scope, 1)
        assert identical, (label, mismatches)
