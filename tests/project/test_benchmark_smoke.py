"""The matching benchmark's core on a tiny generated dataset: `helpers_near` and the naive scan
must return identical top-k everywhere. No timing assertions (that is `make bench`)."""

import pytest

from benchmarks import matching
from marketplace.helpers.models import HelperProfile

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("cities", "helpers"),
    [
        pytest.param(matching.CITIES, 400, id="sparse-12-cities"),  # the search widens a lot
        pytest.param(matching.CITIES[:1], 300, id="dense-one-city"),  # it stops early
    ],
)
def test_fast_and_naive_matching_agree(reference, cities, helpers):
    assert matching.generate_helpers(helpers, seed=7, cities=cities, batch_size=128) == helpers
    assert HelperProfile.objects.count() == helpers
    queries = matching.make_queries(80, seed=8, cities=cities)
    result = matching.run_matching(queries, fast_runs=80, naive_runs=80, warmup=0)
    assert result.compared == 80
    assert result.identical == result.compared, result.mismatches[:2]
    assert result.fast.runs == 80 and result.naive.runs == 80
    diagnostics = matching.diagnose(queries, sample=20)
    assert diagnostics["sql_queries_per_match"] >= 1
    assert diagnostics["plan"]


def test_generated_helpers_look_like_the_benchmark_describes(reference):
    matching.generate_helpers(500, seed=3)
    profiles = list(HelperProfile.objects.all())
    vetted = [p for p in profiles if p.status == "vetted"]
    assert 0.7 <= len(vetted) / len(profiles) <= 0.9
    assert {p.service_radius_km for p in profiles} <= set(range(5, 26))
    assert all(p.skills_mask for p in profiles)
    assert all(p.active_jobs <= p.max_active_jobs for p in profiles)
    assert len({p.city for p in profiles}) >= 8
    assert len({p.availability_hours for p in profiles}) > 10


def test_dataset_is_cached_by_size_and_seed(reference):
    logs = []
    assert matching.ensure_dataset(150, seed=5, log=logs.append) is True
    assert matching.ensure_dataset(150, seed=5, log=logs.append) is False
    assert HelperProfile.objects.count() == 150
    assert matching.ensure_dataset(120, seed=5, log=logs.append) is True
    assert HelperProfile.objects.count() == 120
