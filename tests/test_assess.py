"""assess() and the Report: verdict, findings, JSON schema, renderers."""

from __future__ import annotations

import json

import numpy as np
import pytest

import gausstest as gt
from gausstest.battery import select_tests

FAST = ["prior_moments", "mardia_kurtosis", "radii", "henze_zirkler"]


@pytest.fixture(scope="module")
def gaussian_report():
    return gt.assess(np.random.default_rng(1).standard_normal((400, 4)), tests=FAST)


@pytest.fixture(scope="module")
def collapsed_report():
    z = np.random.default_rng(2).standard_normal((400, 4))
    z[:, 2] *= 0.03
    return gt.assess(z, tests=FAST, null="standard")


def test_gaussian_passes(gaussian_report):
    assert gaussian_report.verdict == "pass" and gaussian_report.passed
    assert "no test rejects" in gaussian_report.findings[0]


def test_collapsed_fails_with_reason(collapsed_report):
    assert collapsed_report.verdict == "fail"
    assert any("dimension 2 has variance" in f and "collapsed" in f for f in collapsed_report.findings)


def test_json_schema(gaussian_report):
    doc = json.loads(gaussian_report.to_json())
    for key in ("schema_version", "n", "d", "alpha", "verdict", "findings", "results", "null", "notes",
                "skipped", "prior"):
        assert key in doc
    assert doc["n"] == 400 and doc["d"] == 4 and doc["verdict"] in ("pass", "fail")
    for row in doc["results"]:
        for key in ("test", "null", "statistic", "pvalue", "pvalue_method", "effect",
                    "adjusted_pvalue", "rejected", "pvalue_info", "details"):
            assert key in row
        assert row["pvalue_method"] in ("asymptotic", "monte_carlo", "exact", "table")


def test_verdict_adjustment_is_the_closed_weighted_holm(gaussian_report):
    from gausstest.battery import verdict_weights
    from gausstest.report import closed_verdict
    res = gaussian_report.results
    want = closed_verdict([r.null for r in res], [r.pvalue for r in res],
                          verdict_weights([(r.test, r.null) for r in res]))
    np.testing.assert_allclose(gaussian_report.adjusted_pvalues, want)
    assert gaussian_report.verdict_pvalue == pytest.approx(np.nanmin(want))


class TestWeightedHolm:
    def test_equal_weights_is_holm(self):
        from statsmodels.stats.multitest import multipletests
        from gausstest.report import weighted_holm
        rng = np.random.default_rng(3)
        for k in (1, 2, 5, 12):
            p = rng.uniform(0, 0.2, k) ** 2
            np.testing.assert_allclose(weighted_holm(p), multipletests(p, method="holm")[1],
                                       rtol=1e-12)

    def test_hand_computed(self):
        from gausstest.report import weighted_holm
        # weights 3, 1, 1 (total 5): order by p/w -> (0.01/3, 0.004/1, 0.03/1)
        # steps: 0.01 * 5/3 = 0.01667; 0.004 * 2/1 = 0.008 -> running max 0.01667; 0.03 * 1/1
        adj = weighted_holm([0.01, 0.004, 0.03], [3, 1, 1])
        np.testing.assert_allclose(adj, [0.05 / 3, 0.05 / 3, 0.03])

    def test_nan_left_out_and_bad_weights(self):
        from gausstest.report import weighted_holm
        adj = weighted_holm([0.01, np.nan, 0.02], [1, 1, 1])
        assert np.isnan(adj[1]) and adj[0] == pytest.approx(0.02) and adj[2] == pytest.approx(0.02)
        with pytest.raises(ValueError, match="positive"):
            weighted_holm([0.1, 0.2], [1, 0])
        with pytest.raises(ValueError, match="weights"):
            weighted_holm([0.1, 0.2], [1])

    @pytest.mark.parametrize("rho", [0.0, 0.8])
    def test_family_wise_error_by_simulation(self, rho):
        # p-values of equicorrelated one-sided z-tests under the global null
        from scipy import stats
        from gausstest.report import weighted_holm
        rng = np.random.default_rng(11)
        R, w = 20000, np.array([4.0, 4.0, 1.0, 1.0, 1.0])
        common = rng.standard_normal((R, 1))
        z = np.sqrt(rho) * common + np.sqrt(1 - rho) * rng.standard_normal((R, w.size))
        p = stats.norm.sf(z)
        fwer = np.mean([weighted_holm(row, w).min() <= 0.05 for row in p])
        # independent: first step rejects w.p. 1 - prod(1 - 0.05 w_i / W) (exact for Holm's
        # first step; later steps add nothing when no H is false)
        exact = 1 - np.prod(1 - 0.05 * w / w.sum())
        se = np.sqrt(0.05 * 0.95 / R)
        if rho == 0:
            assert abs(fwer - exact) < 4 * se
        else:  # dependence makes it conservative, never liberal
            assert fwer <= 0.05 + 4 * se and fwer > 0.02


def test_closed_testing_both_nulls():
    from gausstest.report import closed_verdict, weighted_holm
    nulls = ["standard", "standard", "gaussian", "gaussian"]
    p = [0.2, 0.3, 0.001, 0.002]
    adj = closed_verdict(nulls, p)
    # H_std is tested by Holm over all four: 0.001 * 4 = 0.004 rejects it
    union = weighted_holm(p)
    np.testing.assert_allclose(adj[:2], union[:2])
    # H_gauss: its own family (Holm over two: 0.002, 0.002), gated by the union's 0.004
    np.testing.assert_allclose(adj[2:], [0.004, 0.004])
    assert np.nanmin(adj) == pytest.approx(np.nanmin(union))
    # nothing below alpha in the union: the shape family cannot reject on its own
    adj = closed_verdict(nulls, [0.5, 0.6, 0.02, 0.9])
    assert adj[2] == pytest.approx(0.08) and (adj > 0.05).all()
    # one null only: plain weighted Holm
    np.testing.assert_allclose(closed_verdict(["gaussian"] * 2, [0.01, 0.5]), [0.02, 0.5])


def test_closed_verdict_pvalue_is_the_union_minimum():
    from gausstest.report import closed_verdict, weighted_holm
    rng = np.random.default_rng(9)
    nulls = ["standard"] * 4 + ["gaussian"] * 3
    for _ in range(200):
        p = rng.uniform(0, 0.1, 7) ** 2
        w = rng.uniform(0.5, 8, 7)
        adj = closed_verdict(nulls, p, w)
        assert np.min(adj) == pytest.approx(np.min(weighted_holm(p, w)), rel=1e-12)
        assert (adj[4:] >= np.min(adj) - 1e-15).all()


def test_weights_argument():
    from statsmodels.stats.multitest import multipletests
    from gausstest.battery import verdict_weights
    from gausstest.report import closed_verdict
    z = np.random.default_rng(5).standard_normal((200, 3))
    rep = gt.assess(z, tests=FAST, null="standard", weights="equal")
    np.testing.assert_allclose(rep.adjusted_pvalues,
                               multipletests([r.pvalue for r in rep.results], method="holm")[1])
    custom = {"radii": 100.0, "prior_match:standard": 3.0}
    heavy = gt.assess(z, tests=FAST, null="both", weights=custom)
    pairs = [(r.test, r.null) for r in heavy.results]
    w = dict(zip(pairs, heavy.weights))
    assert w[("radii", "standard")] == w[("radii", "gaussian")] == 100.0
    assert w[("prior_moments", "standard")] == 3.0 and w[("henze_zirkler", "gaussian")] == 4.0
    np.testing.assert_allclose(heavy.adjusted_pvalues, closed_verdict(
        [nl for _, nl in pairs], [r.pvalue for r in heavy.results], verdict_weights(pairs, custom)))
    with pytest.raises(ValueError, match="positive"):
        gt.assess(z, tests=FAST, weights={"radii": -1})
    with pytest.raises(ValueError, match="positive"):
        gt.assess(z, tests=FAST, weights={"radii": float("inf")})
    with pytest.raises(ValueError, match="weights must be"):
        gt.assess(z, tests=FAST, weights=[1, 2])
    with pytest.raises(gt.UnknownTestError, match="radi"):
        gt.assess(z, tests=FAST, weights={"radi": 2})


def test_user_code_weight_overrides_every_default_of_that_test():
    from gausstest.battery import VERDICT_WEIGHTS, verdict_weights
    assert VERDICT_WEIGHTS["marginals:gaussian"] != 1.0  # the default being overridden
    pairs = [("marginals", "gaussian"), ("marginals", "standard"), ("energy", "standard")]
    assert verdict_weights(pairs, {"marginals": 1}) == [1.0, 1.0, VERDICT_WEIGHTS["energy:standard"]]
    assert verdict_weights(pairs, {"marginals": 3, "marginals:standard": 5})[:2] == [3.0, 5.0]
    assert verdict_weights(pairs, "equal") == [1.0, 1.0, 1.0]


def test_verdict_pvalue_ignores_nan():
    from gausstest.report import Report
    rep = Report.build(sample=gt.as_sample(np.random.default_rng(0).standard_normal((20, 2))),
                       null="standard", alpha=0.05, results=[])
    assert rep.verdict_pvalue == 1.0
    rep = Report(n=1, d=1, alpha=0.05, null="standard", results=(), adjusted_pvalues=(np.nan, 0.01),
                 rejected=(False, True), verdict="fail", findings=())
    assert rep.verdict_pvalue == 0.01


def test_holm_controls_verdict():
    # every test's p-value near 0.02: a single test would reject, Holm over many does not
    from gausstest.report import Report
    from gausstest.results import PValueInfo, TestResult
    info = PValueInfo(method="exact", description="x")
    res = [TestResult(test=f"t{i}", family="f", null="standard", statistic=1.0, pvalue=0.02,
                      pvalue_method=info, effect=0.0, effect_name="e", n=10, d=2) for i in range(5)]
    rep = Report.build(sample=gt.as_sample(np.zeros((10, 2)) + np.arange(10)[:, None]),
                       null="standard", alpha=0.05, results=res)
    assert rep.verdict == "pass"


def test_null_selection():
    assert {n for _, n in select_tests(None, "standard")} == {"standard"}
    pairs = select_tests(["radii:gaussian", "prior_match"], "both")
    assert pairs == [("radii", "gaussian"), ("prior_moments", "standard")]  # alias
    assert ("radii", "gaussian") not in select_tests(None, "both", ignore=["radii:gaussian"])
    with pytest.raises(gt.UnknownTestError):
        select_tests(["nope"], "both")
    with pytest.raises(ValueError):
        select_tests(None, "normal")


def test_renderers(gaussian_report):
    text = gaussian_report.to_text()
    assert "Prior match" in text and "Shape" in text and "verdict: PASS" in text
    md = gaussian_report.to_markdown()
    assert md.startswith("# gausstest report") and "| test |" in md
    html = gaussian_report.to_html()
    assert html.startswith("<!DOCTYPE html>") and "</html>" in html
    assert str(gaussian_report) == text


def test_result_lookup(gaussian_report):
    assert gaussian_report.result("radii", "gaussian").null == "gaussian"
    with pytest.raises(KeyError):
        gaussian_report.result("nope")


def test_quadratic_subsample_noted():
    z = np.random.default_rng(3).standard_normal((600, 2))
    rep = gt.assess(z, tests=["henze_zirkler", "radii"], null="gaussian", max_quadratic_n=300)
    assert rep.result("henze_zirkler").n == 300 and rep.result("radii").n == 600
    assert any("subsample of 300 of 600" in n for n in rep.notes)


def test_singular_composite_is_named_error():
    z = np.random.default_rng(4).standard_normal((100, 3))
    z[:, 1] = 0.0
    with pytest.raises(gt.SingularCovarianceError, match=r"z\[1\]"):
        gt.assess(z, tests=FAST, null="gaussian")
    rep = gt.assess(z, tests=FAST, null="standard")  # the prior-match view still works
    assert any("dimension 1" in f for f in rep.findings)


def test_constant_coordinate_under_both_nulls_is_a_report_not_an_error():
    """A dead unit that outputs exactly 0: the default (both nulls) had been an error for
    the whole report; the prior match answers and names it, the shape question is left
    unanswered with the reason. So with two identical units (sweep 9), and with n <= d + 1;
    under null="gaussian" alone these are still errors."""
    z = np.random.default_rng(4).standard_normal((300, 3))
    z[:, 1] = 0.0
    rep = gt.assess(z, progress=False)
    assert rep.verdict == "fail" and rep.questions["shape"] is None
    assert rep.questions["prior_match"].verdict == "fail"
    assert any(x.kind == "collapsed" and 1 in x.dimensions for x in rep.diagnoses), rep.findings
    assert all(s.null == "gaussian" and "z[1] is constant" in s.reason for s in rep.skipped)
    assert any("shape question is not answered" in n for n in rep.notes)
    z[:, 1] = 2 * z[:, 0]
    rep = gt.assess(z, progress=False)
    assert rep.questions["shape"] is None and rep.questions["prior_match"].verdict == "fail"
    assert any(x.kind == "collapsed" and x.direction is not None for x in rep.diagnoses), \
        rep.findings
    assert not any(x.question == "shape" for x in rep.diagnoses), rep.findings  # no b2 tails
    assert all("singular" in s.reason for s in rep.skipped)
    with pytest.raises(gt.SingularCovarianceError):
        gt.assess(z, null="gaussian", progress=False)
    wide = np.random.default_rng(5).standard_normal((30, 40))
    rep = gt.assess(wide, progress=False)
    assert rep.questions["shape"] is None and rep.questions["prior_match"] is not None
    assert any("n > d + 1" in n for n in rep.notes)
    with pytest.raises(gt.TooFewSamplesError):
        gt.assess(wide, null="gaussian", progress=False)


def test_bad_alpha():
    with pytest.raises(ValueError, match="alpha"):
        gt.assess(np.zeros((5, 2)), alpha=1.5)


def test_foreign_array_input():
    class Tensorish:
        def __init__(self, a):
            self.a = a

        def __array__(self, dtype=None, copy=None):
            return self.a

    z = np.random.default_rng(5).standard_normal((100, 2))
    assert gt.assess(Tensorish(z), tests=["radii"]).n == 100
