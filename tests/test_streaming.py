"""Large samples in bounded memory: the linear-time statistics streamed over row blocks
(and per-column / per-direction chunks) equal the in-memory computation.

Streaming is forced on small samples by shrinking the block and chunk sizes, so every
multi-block and multi-chunk code path runs here in seconds."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import gausstest as gt
import gausstest.chunks as chunks
import gausstest.sample as sample_mod
from gausstest.registry import REGISTRY
from gausstest.sample import as_sample

LINEAR = ("prior_moments", "mardia_kurtosis", "radii", "projections", "marginals")


def _samples():
    rng = np.random.default_rng(5)
    z = rng.standard_normal((3000, 7))
    z[:, 2] *= 0.3
    z[:, 0] += rng.choice([-2.0, 2.0], 3000)
    yield "mixture", z
    yield "t5_float32", rng.standard_t(5, size=(2600, 12)).astype(np.float32)
    z = rng.standard_normal((6000, 5)) * 1.3 + 0.2  # beyond SHAPIRO_MAX_N: normal_ad
    z[:, 4] += 3.0 * rng.choice([-1.0, 1.0], 6000)  # A^2 > 13, where normal_ad's p-value
    yield "shifted_bimodal", z                       # differs for one column and several


def _numbers(obs) -> list[float]:
    """statistic, effect and every float found in the details (depth-first)."""
    out = [obs.statistic, obs.effect if obs.effect is not None else 0.0]

    def walk(v):
        if isinstance(v, dict):
            for k in sorted(v):
                walk(v[k])
        elif isinstance(v, (list, tuple, np.ndarray)):
            for x in v:
                walk(x)
        elif isinstance(v, (int, float, np.floating)) and not isinstance(v, bool):
            out.append(float(v))

    walk(dict(obs.details))
    return out


@pytest.fixture
def forced_streaming(monkeypatch):
    def force():
        monkeypatch.setattr(sample_mod, "BLOCK_FLOATS", 2048)  # blocks of a few hundred rows
        monkeypatch.setattr(chunks, "PASS_FLOATS", 9000)       # 1-3 columns per pass
        monkeypatch.setattr(chunks, "EDF_FLOATS", 5000)        # 1 column per EDF sub-chunk
    return force


@pytest.mark.parametrize("name,z", list(_samples()), ids=lambda v: v if isinstance(v, str) else "")
def test_streamed_statistics_equal_in_memory(name, z, forced_streaming):
    plain = as_sample(z)
    assert not plain.streamed
    ref = {(c, nl): _numbers(REGISTRY[c].observe(plain, nl, {}))
           for c in LINEAR for nl in REGISTRY[c].nulls}
    forced_streaming()
    big = as_sample(z)
    assert big.streamed and big.block_rows < z.shape[0] // 5
    if z.dtype == np.float32:
        assert big.source.dtype == np.float32  # kept as given, converted block by block
    for (code, nl), want in ref.items():
        got = _numbers(REGISTRY[code].observe(big, nl, {}))
        assert len(got) == len(want)
        got, want = np.array(got), np.array(want)
        # statistic and effect to 1e-10 relative; details to 1e-10 relative or, for
        # quantities that are 0 up to rounding (means of whitened data), 1e-12 absolute
        np.testing.assert_allclose(got[:2], want[:2], rtol=1e-10, err_msg=f"{code} {nl}")
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=f"{code} {nl}")
    if z.dtype == np.float32:
        assert "data" not in big.__dict__, "a streamed test materialised the float64 copy"


def test_summaries_streamed_equal(forced_streaming):
    z = np.random.default_rng(2).standard_normal((4000, 9)).astype(np.float32) * 2 + 1
    plain = as_sample(z)
    forced_streaming()
    big = as_sample(z)
    for attr in ("mean", "cov", "second_moment", "radii", "mahalanobis", "whitening"):
        np.testing.assert_allclose(getattr(big, attr), getattr(plain, attr), rtol=1e-11,
                                   atol=1e-13, err_msg=attr)
    idx = np.array([5, 17, 3999])
    np.testing.assert_array_equal(big.take(idx).data, plain.data[idx])
    assert "data" not in big.__dict__


def test_streamed_nonfinite_rows_found_and_dropped(forced_streaming):
    forced_streaming()
    z = np.random.default_rng(3).standard_normal((3000, 5)).astype(np.float32)
    z[1234, 2] = np.nan
    z[2999, 0] = np.inf
    with pytest.raises(gt.NonFiniteError, match="2 of 3000 rows"):
        as_sample(z)
    s = as_sample(z, nan_policy="omit")
    assert s.n == 2998 and s.dropped_rows == 2


def test_assess_on_memmap_never_materialises(tmp_path, forced_streaming):
    forced_streaming()
    path = tmp_path / "z.npy"
    np.save(path, np.random.default_rng(4).standard_normal((3000, 6)).astype(np.float32))
    z = np.load(path, mmap_mode="r")
    s = as_sample(z)
    rep = gt.assess(s, tests=list(LINEAR), method=gt.MonteCarlo(n_resamples=19),
                    max_quadratic_n=1000)
    assert {r.test for r in rep.results} == set(LINEAR)
    assert "data" not in s.__dict__
    np.testing.assert_array_equal(np.load(path), z)  # the input is untouched
    idx = np.array([0, 7, 2999, -1])
    np.testing.assert_array_equal(s.take(idx).data, np.load(path)[idx].astype(np.float64))


def test_memory_of_linear_tests_is_bounded(tmp_path, monkeypatch):
    """tracemalloc peak of the per-column and per-direction tests on a float32 memmap:
    bounded by the chunk sizes, not by the n x d float64 data (12x of it before)."""
    monkeypatch.setenv("GAUSSTEST_THREADS", "1")  # one worker's temporaries
    monkeypatch.setattr(sample_mod, "BLOCK_FLOATS", 1 << 17)  # 1 MiB row blocks
    monkeypatch.setattr(chunks, "PASS_FLOATS", 1 << 18)       # 2 MiB column chunks
    monkeypatch.setattr(chunks, "EDF_FLOATS", 1 << 17)        # 1 MiB EDF sub-chunks
    n, d = 40_000, 96
    path = tmp_path / "z.npy"
    np.save(path, np.random.default_rng(6).standard_normal((n, d)).astype(np.float32))
    s = as_sample(np.load(path, mmap_mode="r"))
    float64_mb = n * d * 8 / 2**20  # 29 MiB; a column is 0.3 MiB
    for code in ("marginals", "projections", "radii", "mardia_kurtosis", "mardia_skewness",
                 "prior_moments"):
        for nl in REGISTRY[code].nulls:
            REGISTRY[code].observe(as_sample(np.random.default_rng(0).standard_normal((300, d))),
                                  nl, {})  # first-use imports, outside the trace
            tracemalloc.start()
            REGISTRY[code].observe(s, nl, {})
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            print(f"{code} {nl}: peak {peak:.1f} MiB")
            assert peak < 0.5 * float64_mb, f"{code} {nl}: {peak:.1f} MiB"
