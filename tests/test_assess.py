"""assess() and the Report: verdict, findings, JSON schema, renderers."""

from __future__ import annotations

import json

import numpy as np
import pytest

import gausstest as gt
from gausstest.battery import select_tests

FAST = ["prior_match", "mardia_kurtosis", "radii", "henze_zirkler"]


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
        assert row["pvalue_method"] in ("asymptotic", "monte_carlo", "exact")


def test_holm_adjustment(gaussian_report):
    from statsmodels.stats.multitest import multipletests
    p = [r.pvalue for r in gaussian_report.results]
    np.testing.assert_allclose(gaussian_report.adjusted_pvalues, multipletests(p, method="holm")[1])


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
    assert pairs == [("radii", "gaussian"), ("prior_match", "standard")]
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
        gt.assess(z, tests=FAST)
    rep = gt.assess(z, tests=FAST, null="standard")  # the prior-match view still works
    assert any("dimension 1" in f for f in rep.findings)


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
