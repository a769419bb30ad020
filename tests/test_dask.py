"""Dask arrays on a local cluster: exact all-row summaries, the rest on a stated subsample."""

from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import gausstest as gt  # noqa: E402
from gausstest.dasksample import dask_moments, is_dask_array, subsample_rows  # noqa: E402
from gausstest.sample import as_sample  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as c:
        yield c


def _data(n=60_000, d=6):
    rng = np.random.default_rng(11)
    z = rng.standard_normal((n, d)) * np.linspace(0.5, 2.0, d) + np.arange(d) * 0.3
    z[:, 1] += 0.3 * z[:, 1] ** 2  # a skewed column
    return z


def test_moments_equal_in_memory(client):
    z = _data()
    x = da.from_array(z, chunks=(7_000, 6))
    mom = dask_moments(x)
    s = as_sample(z)
    np.testing.assert_allclose(mom.mean, s.mean, rtol=1e-10)
    np.testing.assert_allclose(mom.cov, s.cov, rtol=1e-10, atol=1e-14)
    from scipy import stats
    np.testing.assert_allclose(mom.skewness, stats.skew(z, axis=0), rtol=1e-10)
    np.testing.assert_allclose(mom.excess_kurtosis, stats.kurtosis(z, axis=0), rtol=1e-10)


def test_assess_dask_prior_match_uses_all_rows(client, monkeypatch):
    import gausstest.dasksample as ds

    monkeypatch.setattr(ds, "SUBSAMPLE_ROWS", 20_000)
    z = _data().astype(np.float32)
    x = da.from_array(z, chunks=(5_000, 6))
    assert is_dask_array(x) and not is_dask_array(z)
    rep = gt.assess(x, tests=["prior_moments", "radii", "marginals"], rng=3,
                    method=gt.MonteCarlo(n_resamples=49))
    full = gt.assess(z, tests=["prior_moments"], rng=3, method=gt.MonteCarlo(n_resamples=49))
    pm = rep.result("prior_moments", "standard")
    assert pm.n == 60_000 and rep.n == 60_000
    np.testing.assert_allclose(pm.statistic, full.result("prior_moments", "standard").statistic,
                               rtol=1e-10)
    m = subsample_rows(60_000, 6)
    assert rep.result("radii", "standard").n == m < 60_000
    assert any("exact over all 60000 rows" in t for t in rep.notes)
    assert any(f"subsample of {m} of 60000 rows" in t for t in rep.notes)
    # seeded: the same subsample, so the same statistics, on a second call
    again = gt.assess(x, tests=["radii"], rng=3, method=gt.MonteCarlo(n_resamples=49))
    assert again.result("radii", "standard").statistic == rep.result("radii", "standard").statistic


def test_lazy_array_never_materialised(client):
    """A lazily generated 2,000,000 x 8 array (128 MB as float64) in chunks of 100,000 rows:
    each worker holds a chunk at a time; the subsample is what comes to this process."""
    rs = da.random.default_rng(5)
    x = rs.standard_normal((2_000_000, 8), chunks=(100_000, 8))
    rep = gt.assess(x, tests=["prior_moments", "mardia_kurtosis"], method=gt.MonteCarlo(n_resamples=19))
    assert rep.n == 2_000_000
    assert rep.result("mardia_kurtosis", "gaussian").n == subsample_rows(2_000_000, 8)


def test_dask_bad_inputs(client):
    z = _data(3000, 3)
    z[17, 2] = np.nan
    with pytest.raises(gt.NonFiniteError, match="1 of 3000 rows"):
        gt.assess(da.from_array(z, chunks=1000), tests=["prior_moments"])
    with pytest.raises(gt.InputError, match="nan_policy='omit' is not available"):
        gt.assess(da.from_array(z, chunks=1000), tests=["prior_moments"], nan_policy="omit")
    with pytest.raises(gt.ShapeError, match="2-D"):
        gt.assess(da.zeros((10, 2, 2), chunks=5))
