"""One contract for every registered test, parametrised over the registry."""

from __future__ import annotations

import json

import numpy as np
import pytest

import gausstest as gt
from gausstest.registry import REGISTRY, run_test

PAIRS = [(code, null) for code in sorted(REGISTRY) for null in REGISTRY[code].nulls]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(99)
    z = rng.standard_normal((60, 3))
    z[:, 0] = 0.7 * rng.standard_t(5, size=60)
    return z


@pytest.mark.parametrize("code, null", PAIRS)
class TestContract:
    def test_result_type_and_range(self, code, null, data):
        r = run_test(code, data, null=null)
        assert isinstance(r, gt.TestResult)
        assert r.test == code and r.null == null and (r.n, r.d) == data.shape
        assert 0 < r.pvalue <= 1 and np.isfinite(r.statistic)
        assert r.pvalue_method.description
        assert r.effect is None or np.isfinite(r.effect)
        assert r.effect_name

    def test_json_roundtrip(self, code, null, data):
        doc = run_test(code, data, null=null).to_dict()
        assert json.loads(json.dumps(doc, allow_nan=False))["test"] == code

    def test_row_order_invariant(self, code, null, data):
        perm = np.random.default_rng(1).permutation(len(data))
        a, b = run_test(code, data, null=null), run_test(code, data[perm], null=null)
        assert b.statistic == pytest.approx(a.statistic, rel=1e-8, abs=1e-12)
        assert b.pvalue == pytest.approx(a.pvalue, rel=1e-8)

    def test_affine_invariant_under_composite(self, code, null, data):
        if null != "gaussian":
            pytest.skip("the standard null is not affine invariant by design")
        if REGISTRY[code].affine_invariant:
            a_mat = np.array([[2.0, 0.3, 0.0], [0.0, 0.5, -0.4], [1.0, 0.0, 3.0]])
        else:  # per-coordinate or fixed-direction tests: invariant to location and scale
            a_mat = 2.5 * np.eye(3)
        moved = data @ a_mat + np.array([5.0, -1.0, 0.25])
        a, b = run_test(code, data, null=null), run_test(code, moved, null=null)
        assert b.statistic == pytest.approx(a.statistic, rel=1e-6, abs=1e-9)

    def test_same_rng_same_result(self, code, null, data):
        a = run_test(code, data, null=null, rng=7)
        b = run_test(code, data, null=null, rng=7)
        assert (a.statistic, a.pvalue) == (b.statistic, b.pvalue)

    def test_bad_input(self, code, null, data):
        bad = data.copy()
        bad[2, 1] = np.nan
        with pytest.raises(gt.NonFiniteError):
            run_test(code, bad, null=null)
        with pytest.raises(gt.ShapeError):
            run_test(code, data[:, 0], null=null)
        omitted = run_test(code, bad, null=null, nan_policy="omit")
        assert omitted.n == len(data) - 1 and omitted.details["dropped_rows"] == 1

    def test_repr_readable(self, code, null, data):
        text = repr(run_test(code, data, null=null))
        assert code in text and "pvalue=" in text
