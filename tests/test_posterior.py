"""VAE posteriors: assess_posterior, posterior_summary, the seeded (mu, logvar) generator."""

from __future__ import annotations

import json

import numpy as np
import pytest

import gausstest as gt
from gausstest.cli import main
from gausstest.posterior import _sample_aggregate, posterior_summary, vae_like_posterior

FAST = ["prior_moments", "radii"]


class TestGenerator:
    def test_seeded_and_known_inactive_units(self):
        a = vae_like_posterior(300, 8, inactive=[1, 6], rng=3)
        b = vae_like_posterior(300, 8, inactive=[1, 6], rng=3)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
        mu, logvar = a
        assert np.all(mu[:, [1, 6]].var(axis=0) < 1e-3)
        assert np.all(np.delete(mu, [1, 6], axis=1).var(axis=0) > 0.5)
        assert vae_like_posterior(50, 5, inactive=2, rng=0)[0][:, 3:].var(axis=0).max() < 1e-3

    def test_posterior_samples_of_inactive_units_are_standard_normal(self):
        from scipy import stats
        mu, logvar = vae_like_posterior(4000, 4, inactive=[2], rng=4)
        z = _sample_aggregate(mu, logvar, 0)
        assert stats.kstest(z[:, 2], "norm").pvalue > 0.01


class TestSummary:
    def test_exact_moments_match_samples_of_the_aggregate(self):
        rng = np.random.default_rng(5)
        mu = rng.standard_normal((400, 3)) * [0.5, 1.0, 2.0] + [0.1, -0.2, 0.0]
        logvar = rng.normal(-1.0, 0.3, size=(400, 3))
        s = posterior_summary(mu, logvar)
        # many draws of q(z) = (1/n) sum_i N(mu_i, diag exp(logvar_i))
        z = np.concatenate([_sample_aggregate(mu, logvar, k) for k in range(200)])
        np.testing.assert_allclose(s["mean"], z.mean(axis=0), atol=0.01)
        np.testing.assert_allclose(s["covariance"], np.cov(z, rowvar=False), atol=0.03)

    def test_kl_per_dimension(self):
        mu = np.array([[0.0, 1.0], [0.0, -1.0], [0.0, 1.0], [0.0, -1.0]])
        logvar = np.log(np.array([[1.0, 0.25]] * 4))
        kl = posterior_summary(mu, logvar)["kl_per_dimension"]
        # KL(N(m, s^2) || N(0, 1)) = (m^2 + s^2 - 1 - log s^2) / 2
        assert kl[0] == pytest.approx(0.0, abs=1e-15)
        assert kl[1] == pytest.approx(0.5 * (1 + 0.25 - 1 - np.log(0.25)))

    def test_burda_and_scale_free_rules(self):
        mu, logvar = vae_like_posterior(500, 6, inactive=[4], rng=6)
        s = posterior_summary(mu, logvar)
        assert s["inactive"] == [4]
        assert s["active_burda"].tolist() == s["active_calibrated"].tolist()
        # a tiny-scale encoder: Burda's absolute 0.01 calls every unit inactive, the
        # scale-free share does not; gausstest names the units inactive by either rule
        small = posterior_summary(0.05 * mu, logvar + 2 * np.log(0.05))
        assert not small["active_burda"].any() and small["active_calibrated"].sum() == 5

    def test_shape_mismatch_names_the_fix(self):
        with pytest.raises(gt.ShapeError, match="same shape"):
            posterior_summary(np.zeros((10, 3)), np.zeros((10, 2)))
        with pytest.raises(gt.ExtremeValueError, match="log-variance"):
            posterior_summary(np.zeros((10, 3)), np.full((10, 3), 100.0))


class TestAssessPosterior:
    @pytest.mark.parametrize("inactive", [[0], [2, 5, 7], list(range(4, 12))])
    def test_every_inactive_unit_is_named(self, inactive):
        mu, logvar = vae_like_posterior(600, 12, inactive=inactive, rng=len(inactive))
        rep = gt.assess_posterior(mu, logvar, tests=FAST)
        rec = [x for x in rep.diagnoses if x.kind == "inactive_units"]
        assert len(rec) == 1 and list(rec[0].dimensions) == inactive
        for j in inactive:
            assert f"{j} (Var(mu)" in rec[0].text
        assert rep.posterior["inactive"] == inactive

    def test_samples_look_gaussian_while_units_are_inactive(self):
        mu, logvar = vae_like_posterior(800, 6, inactive=[1, 3], rng=8)
        rep = gt.assess_posterior(mu, logvar, tests=FAST)
        assert rep.verdict == "pass"  # the posterior samples hide the inactive units
        assert any("look Gaussian" in f and "2 of 6 units are inactive" in f
                   for f in rep.findings)
        doc = json.loads(rep.to_json())
        assert doc["posterior"]["inactive"] == [1, 3]
        assert doc["diagnoses"][0]["kind"] == "inactive_units"
        for text in (rep.to_text(), rep.to_markdown(), rep.to_html()):
            assert "VAE posterior" in text

    def test_no_inactive_units_no_record(self):
        mu, logvar = vae_like_posterior(400, 4, inactive=[], rng=9)
        rep = gt.assess_posterior(mu, logvar, tests=FAST)
        assert not any(x.kind == "inactive_units" for x in rep.diagnoses)
        assert rep.posterior["inactive"] == []

    def test_same_seed_same_report(self):
        mu, logvar = vae_like_posterior(200, 3, inactive=[0], rng=10)
        a = gt.assess_posterior(mu, logvar, tests=FAST, rng=4)
        b = gt.assess_posterior(mu, logvar, tests=FAST, rng=4)
        assert [r.pvalue for r in a.results] == [r.pvalue for r in b.results]


class TestCli:
    @pytest.fixture
    def npz(self, tmp_path):
        mu, logvar = vae_like_posterior(400, 5, inactive=[2], rng=11)
        p = tmp_path / "vae.npz"
        np.savez(p, mu=mu, logvar=logvar)
        return p

    def test_report_mu_logvar(self, npz, capsys):
        code = main(["report", str(npz), "--mu", "mu", "--logvar", "logvar",
                     "--select", "prior_moments,radii", "--format", "json"])
        doc = json.loads(capsys.readouterr().out)
        assert code == 0 and doc["posterior"]["inactive"] == [2]
        assert "unit 2" in doc["findings"][1]

    def test_one_of_mu_logvar_is_a_usage_error(self, npz, capsys):
        assert main(["report", str(npz), "--mu", "mu"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--mu and --logvar go together" in err
        assert main(["report", str(npz), "--mu", "mu", "--logvar", "sigma"]) == 2
        assert "has no array 'sigma'" in capsys.readouterr().err


def test_nan_policy_omit_drops_rows_non_finite_in_either_array():
    from gausstest.posterior import vae_like_posterior

    mu, lv = vae_like_posterior(500, 6, inactive=[1, 4], rng=0)
    lv[3, 2] = np.nan
    mu[7, 0] = np.inf
    with pytest.raises(gt.NonFiniteError, match="^mu: "):
        gt.assess_posterior(mu, lv, tests=["radii"])
    rep = gt.assess_posterior(mu, lv, tests=["radii"], nan_policy="omit", progress=False)
    assert rep.n == 498 and rep.posterior["inactive"] == [1, 4]


def test_inactive_unit_with_tiny_posterior_variance_is_not_the_priors_noise():
    """A unit with a constant mu and logvar = -30 (KL 14.5 nats) is inactive, but its
    aggregate posterior has variance 1e-13, not the prior's noise (sweep 7)."""
    import gausstest as gt

    rs = np.random.default_rng(0)
    mu = 0.9 * rs.standard_normal((1000, 8))
    lv = np.full((1000, 8), np.log(0.19))
    mu[:, 3], lv[:, 3] = 0.0, -30.0
    mu[:, 5], lv[:, 5] = 0.0, 0.0  # a unit collapsed to the prior: its noise is the prior's
    rep = gt.assess_posterior(mu, lv, progress=False)
    rec = next(x for x in rep.diagnoses if x.kind == "inactive_units")
    assert rec.dimensions == (3, 5)
    assert "except along 3 (E[sigma^2] 9.4e-14)" in rec.text, rec.text
