"""The supply benchmark's core on a small generated dataset: the selector and the naive loop over
the rows agree cell by cell. No timing assertions (that is `python -m benchmarks --suite
supply`)."""

import pytest

from benchmarks import supply_data
from marketplace.jobs.models import JobRequest
from marketplace.supply.models import SupplyDemandStat
from marketplace.supply.services import _COLUMNS

pytestmark = pytest.mark.django_db


def test_selector_and_naive_loop_agree_on_a_generated_year(reference):
    assert supply_data.generate(3_000, seed=11) == 3_000
    assert JobRequest.objects.count() == 3_000
    full = supply_data.full_refresh()
    assert full.rows_written == SupplyDemandStat.objects.count() > 0
    result = supply_data.run(fast_runs=2, naive_runs=1)
    assert result["cells"] > 10
    assert result["identical"], "selector and naive loop disagree"
    assert supply_data.time_incremental().incremental


def test_the_refresh_insert_names_every_column():
    columns = {f.column for f in SupplyDemandStat._meta.concrete_fields if not f.primary_key}
    assert set(_COLUMNS) == columns
