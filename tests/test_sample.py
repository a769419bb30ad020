"""Input validation and the cached sample object."""

from __future__ import annotations

import numpy as np
import pytest

import gausstest as gt
from gausstest.sample import as_sample, whiten_batch


class ArrayOnly:
    """Stand-in for a foreign array (torch/jax on CPU) exposing only __array__."""

    def __init__(self, a):
        self._a = np.asarray(a)

    def __array__(self, dtype=None, copy=None):
        return self._a if dtype is None else self._a.astype(dtype)


class DLPackOnly:
    """Stand-in exposing only the DLPack protocol."""

    def __init__(self, a):
        self._a = np.ascontiguousarray(a)

    def __dlpack__(self, *args, **kwargs):
        return self._a.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._a.__dlpack_device__()


class GradTensor:
    """Stand-in for a torch tensor that requires grad: __array__ refuses."""

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("Can't call numpy() on Tensor that requires grad.")


class TestAsSample:
    def test_numpy_float32_becomes_float64(self, rng):
        s = as_sample(rng.standard_normal((20, 3)).astype(np.float32))
        assert s.data.dtype == np.float64 and (s.n, s.d) == (20, 3)

    def test_list_input(self):
        s = as_sample([[0.0, 1.0], [1.0, 2.0], [3.0, -1.0]])
        assert s.data.shape == (3, 2)

    def test_array_protocol(self, rng):
        a = rng.standard_normal((10, 2))
        np.testing.assert_array_equal(as_sample(ArrayOnly(a)).data, a)

    def test_dlpack_protocol(self, rng):
        a = rng.standard_normal((10, 2))
        np.testing.assert_array_equal(as_sample(DLPackOnly(a)).data, a)

    def test_grad_tensor_message(self):
        with pytest.raises(gt.DtypeError, match="detach"):
            as_sample(GradTensor())

    def test_memmap(self, tmp_path, rng):
        a = rng.standard_normal((50, 4))
        np.save(tmp_path / "z.npy", a)
        mm = np.load(tmp_path / "z.npy", mmap_mode="r")
        np.testing.assert_array_equal(as_sample(mm).data, a)

    def test_one_d_names_fix(self):
        with pytest.raises(gt.ShapeError, match=r"2-D \(n, d\); got shape \(100,\).*z\[:, None\]"):
            as_sample(np.zeros(100))

    def test_three_d(self):
        with pytest.raises(gt.ShapeError, match="reshape"):
            as_sample(np.zeros((4, 3, 2)))

    def test_single_row(self):
        with pytest.raises(gt.TooFewSamplesError, match="at least 3 rows"):
            as_sample(np.zeros((1, 5)))

    def test_nan_rows_named(self):
        z = np.ones((10, 2))
        z[3, 1] = np.nan
        z[7, 0] = np.inf
        # rows are numbered from 1 everywhere (the CSV parser's rows too)
        with pytest.raises(gt.NonFiniteError, match=r"2 of 10 rows .*rows 4, 8, counting from 1"
                                                      r".*nan_policy='omit'") as info:
            as_sample(z)
        assert "--nan-policy omit" in info.value.cli_message

    def test_masked_entries_are_missing(self):
        z = np.ma.masked_array(np.arange(20.0).reshape(10, 2), mask=False)
        z[5, 1] = np.ma.masked  # the value under the mask (11.0) must not be used
        with pytest.raises(gt.NonFiniteError, match=r"1 of 10 rows contain NaN, inf or masked "
                                                      r"values \(row 6,"):
            as_sample(z)
        s = as_sample(z, nan_policy="omit")
        assert s.n == 9 and s.dropped_rows == 1 and 11.0 not in s.data
        # a masked array with nothing masked is an ordinary array
        np.testing.assert_array_equal(as_sample(np.ma.masked_array(np.eye(4))).data, np.eye(4))

    def test_nan_policy_omit(self, rng):
        z = rng.standard_normal((10, 2))
        z[3, 1] = np.nan
        s = as_sample(z, nan_policy="omit")
        assert s.n == 9 and s.dropped_rows == 1

    def test_object_dtype(self):
        with pytest.raises(gt.DtypeError, match="non-numeric"):
            as_sample(np.array([["a", "b"], ["c", "d"], ["e", "f"]], dtype=object))

    def test_string_dtype(self):
        with pytest.raises(gt.DtypeError, match="non-numeric dtype"):
            as_sample(np.array([["a", "b"], ["c", "d"], ["e", "f"]]))

    def test_complex(self):
        with pytest.raises(gt.DtypeError, match="complex"):
            as_sample(np.ones((5, 2), dtype=complex))

    def test_errors_are_value_errors(self):
        with pytest.raises(ValueError):
            as_sample(np.zeros(3))


class TestComposite:
    def test_too_few_rows_for_d(self, rng):
        s = as_sample(rng.standard_normal((6, 5)))
        with pytest.raises(gt.TooFewSamplesError, match="n > d \\+ 1"):
            s.require_composite()

    def test_singular_names_direction(self, rng):
        z = rng.standard_normal((100, 4))
        z[:, 2] = 3.0  # a constant dimension
        with pytest.raises(gt.SingularCovarianceError, match=r"z\[2\]"):
            as_sample(z).whitened

    def test_collinear_names_both(self, rng):
        z = rng.standard_normal((100, 3))
        z[:, 1] = 2 * z[:, 0]
        with pytest.raises(gt.SingularCovarianceError) as info:
            as_sample(z).require_composite()
        assert "z[0]" in str(info.value) and "z[1]" in str(info.value)

    def test_whitened_has_identity_covariance(self, rng):
        z = rng.standard_normal((200, 3)) @ np.array([[2, 0, 0], [1, 1, 0], [0, 3, 0.5]]) + 5
        y = as_sample(z).whitened
        np.testing.assert_allclose(y.mean(0), 0, atol=1e-12)
        np.testing.assert_allclose(y.T @ y / 200, np.eye(3), atol=1e-10)

    def test_whiten_batch_matches_sample(self, rng):
        x = rng.standard_normal((3, 40, 4)) * [1, 2, 3, 4]
        yb = whiten_batch(x)
        for b in range(3):
            np.testing.assert_allclose(yb[b], as_sample(x[b]).whitened, atol=1e-10)

    def test_whiten_batch_any_rotation_is_a_rotation_of_the_symmetric_root(self, rng):
        # the Cholesky path (d >= 8): identity covariance, and the same Gram matrix y y^T
        # (so the same value of every rotation-invariant statistic) as the symmetric root
        x = rng.standard_normal((3, 30, 12)) @ rng.standard_normal((12, 12)) + 2.0
        ys, yc = whiten_batch(x), whiten_batch(x, any_rotation=True)
        assert not np.allclose(ys, yc)  # a different root was taken
        for b in range(3):
            np.testing.assert_allclose(yc[b].T @ yc[b] / 30, np.eye(12), atol=1e-9)
            np.testing.assert_allclose(yc[b] @ yc[b].T, ys[b] @ ys[b].T, atol=1e-9)

    def test_mahalanobis_matches_direct(self, rng):
        z = rng.standard_normal((60, 3))
        s = as_sample(z)
        c = z - z.mean(0)
        direct = np.einsum("ij,jk,ik->i", c, np.linalg.inv(np.cov(z.T, bias=True)), c)
        np.testing.assert_allclose(s.mahalanobis, direct, rtol=1e-10)
