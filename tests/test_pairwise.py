"""The blocked pairwise engine against brute force."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from gausstest.pairwise import gram_sum, iter_sqdist_blocks, pairwise_sum


@pytest.mark.parametrize("block", [1, 7, 64, 5000])
def test_self_sum_matches_cdist(rng, block):
    x = rng.standard_normal((53, 4))
    D = cdist(x, x, "sqeuclidean")
    assert pairwise_sum(x, np.sqrt, block=block) == pytest.approx(np.sqrt(D).sum(), rel=1e-10)
    f = lambda d: np.exp(-d)  # noqa: E731
    off = f(D)
    np.fill_diagonal(off, 0)
    assert pairwise_sum(x, f, exclude_diagonal=True, block=block) == pytest.approx(off.sum(), rel=1e-10)


@pytest.mark.parametrize("block", [3, 100])
def test_cross_sum(rng, block):
    x, y = rng.standard_normal((31, 3)), rng.standard_normal((17, 3))
    assert pairwise_sum(x, np.sqrt, y, block=block) == pytest.approx(
        np.sqrt(cdist(x, y, "sqeuclidean")).sum(), rel=1e-10)


def test_gram_sum(rng):
    x = rng.standard_normal((45, 3))
    assert gram_sum(x, lambda g: g ** 3, block=8) == pytest.approx(((x @ x.T) ** 3).sum(), rel=1e-10)


def test_blocks_cover_each_pair_once_with_weights(rng):
    x = rng.standard_normal((23, 2))
    counts = np.zeros((23, 23))
    for i0, j0, d2, w in iter_sqdist_blocks(x, block=5):
        counts[i0:i0 + d2.shape[0], j0:j0 + d2.shape[1]] += w
    # every unordered pair {i, j} carries total weight 2 (ordered pairs (i,j) and (j,i)),
    # every diagonal term weight 1
    sym = counts + counts.T
    np.fill_diagonal(sym, np.diag(counts))
    assert np.array_equal(sym, 2 * np.ones((23, 23)) - np.eye(23))


def test_no_negative_distances_on_duplicates():
    x = np.repeat(np.array([[1e8, -3e7, 2.5]]), 5, axis=0)
    for _, _, d2, _ in iter_sqdist_blocks(x):
        assert (d2 >= 0).all()


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 40), d=st.integers(1, 5), block=st.integers(1, 50), seed=st.integers(0, 2**16))
def test_property_sum_of_distances(n, d, block, seed):
    x = np.random.default_rng(seed).standard_normal((n, d))
    ref = np.sqrt(cdist(x, x, "sqeuclidean")).sum()
    assert pairwise_sum(x, np.sqrt, block=block) == pytest.approx(ref, rel=1e-8, abs=1e-8)


@pytest.mark.parametrize("n, block", [(70, 5), (70, 16), (70, 512), (300, 512), (1100, 512)])
@pytest.mark.parametrize("scale", [1.0, -0.35])
def test_sqdist_reduce_matches_brute_force(rng, n, block, scale):
    """Also where the default block is split into smaller ones (n = 300: 3 of 128 rows;
    n = 1100: 4 of 275), so that diagonal blocks waste less."""
    from gausstest.pairwise import sqdist_reduce

    x = rng.standard_normal((n, 6)) * 3.0
    D = cdist(x, x, "sqeuclidean")

    def fn(s, diag):
        v = np.exp(s) if scale < 0 else np.sqrt(s)
        if diag:
            np.fill_diagonal(v, 0.0)
        return np.array([v.sum(), float((s != 0).sum())])

    got = sqdist_reduce(x, fn, 2, scale=scale, block=block)
    ref = np.exp(scale * D) if scale < 0 else np.sqrt(D)
    np.fill_diagonal(ref, 0.0)
    assert got[0] == pytest.approx(ref.sum(), rel=1e-12)
    assert got[1] == n * (n - 1)  # every ordered off-diagonal pair once; the diagonal exactly 0


def test_sqdist_reduce_does_not_depend_on_threads(rng):
    from gausstest.pairwise import sqdist_reduce
    from gausstest.threads import engine_threads, serial_section

    x = rng.standard_normal((900, 4))

    def fn(s, diag):
        return np.array([np.sqrt(s).sum(), np.exp(-s).sum()])

    ref = sqdist_reduce(x, fn, 2, block=64, threads=1)
    for threads in (2, 3):
        assert np.array_equal(sqdist_reduce(x, fn, 2, block=64, threads=threads), ref)
    with serial_section():  # inside a worker the engine stays on its thread
        assert engine_threads() == 1
    assert engine_threads() >= 1


def test_sqdist_reduce_raises_a_block_error(rng):
    from gausstest.pairwise import sqdist_reduce

    def fn(s, diag):
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError):
        sqdist_reduce(rng.standard_normal((300, 2)), fn, 1, block=32, threads=2)
