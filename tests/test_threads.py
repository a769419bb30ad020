"""BLAS threads chosen on purpose: assess and the pairwise engine run their products on
GAUSSTEST_BLAS_THREADS threads (1 unless set), whatever the BLAS default."""

from __future__ import annotations

import numpy as np
import pytest

threadpoolctl = pytest.importorskip("threadpoolctl")

from gausstest.chunks import for_each  # noqa: E402
from gausstest.pairwise import iter_sqdist_blocks  # noqa: E402
from gausstest.threads import blas_threads, default_blas_threads  # noqa: E402


def _blas_threads_now() -> set[int]:
    return {i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"}


def test_default_and_environment(monkeypatch):
    monkeypatch.delenv("GAUSSTEST_BLAS_THREADS", raising=False)
    assert default_blas_threads() == 1
    monkeypatch.setenv("GAUSSTEST_BLAS_THREADS", "2")
    assert default_blas_threads() == 2
    monkeypatch.setenv("GAUSSTEST_BLAS_THREADS", "many")
    assert default_blas_threads() == 1


def test_engine_limits_blas_during_a_large_pass(monkeypatch):
    monkeypatch.delenv("GAUSSTEST_BLAS_THREADS", raising=False)
    if not _blas_threads_now():
        pytest.skip("no BLAS library seen by threadpoolctl")
    with blas_threads(2):  # whatever the surrounding setting
        before = _blas_threads_now()
        seen = set()
        x = np.random.default_rng(0).standard_normal((5 * 512, 3))
        for _, _, d2, _ in iter_sqdist_blocks(x):
            seen |= _blas_threads_now()
        assert seen == {1}
        assert _blas_threads_now() == before  # restored after the pass


def test_for_each_equals_serial():
    out_serial, out_threads = np.empty(10), np.empty(10)

    def work(out):
        def fn(i):
            out[i] = np.sort(np.random.default_rng(i).standard_normal(1000))[500]
        return fn

    for_each(range(10), work(out_serial), workers=1)
    for_each(range(10), work(out_threads), workers=2)
    np.testing.assert_array_equal(out_serial, out_threads)


def test_assess_side_by_side_equals_serial(monkeypatch, tmp_path):
    import json

    import gausstest as gt

    monkeypatch.setenv("GAUSSTEST_CACHE_DIR", str(tmp_path))
    z = np.random.default_rng(8).standard_normal((300, 3))
    z[:, 1] += 0.4 * z[:, 1] ** 2
    kw = {"tests": ["prior_moments", "mardia_kurtosis", "radii", "marginals", "projections",
                    "energy"], "method": gt.MonteCarlo(n_resamples=29), "rng": 4}
    monkeypatch.setenv("GAUSSTEST_THREADS", "1")
    gt.assess(z, **kw)  # builds the null caches, so both calls below read them
    serial = gt.assess(z, **kw).to_dict()
    monkeypatch.setenv("GAUSSTEST_THREADS", "2")
    parallel = gt.assess(z, **kw).to_dict()
    assert json.dumps(serial, sort_keys=True) == json.dumps(parallel, sort_keys=True)
    assert [r["test"] for r in parallel["results"]] == [r["test"] for r in serial["results"]]
