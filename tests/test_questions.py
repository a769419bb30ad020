"""Per-question verdicts (gausstest.questions): prior match, shape, coverage."""

from __future__ import annotations

import json

import numpy as np
import pytest

import gausstest as gt
from gausstest.questions import PVALUE_FLOOR, answer_questions
from gausstest.report import closed_verdict


class _Answers:
    """What a report with these (test, null, p-value) rows answers (the report's rule)."""

    def __init__(self, rows, null="both", alpha=0.05):
        self.adjusted = closed_verdict([r[1] for r in rows], [r[2] for r in rows])
        self.questions = answer_questions([(r[0], r[1]) for r in rows], self.adjusted, alpha, null)
        self.verdict_pvalue = float(np.nanmin(self.adjusted))
        self.verdict = "fail" if self.verdict_pvalue <= alpha else "pass"


def _report(rows, null="both", alpha=0.05):
    return _Answers(rows, null, alpha)


class TestAnswers:
    def test_each_question_reads_the_closed_adjusted_pvalues(self):
        rows = [("prior_moments", "standard", 0.5), ("radii", "standard", 0.001),
                ("coverage", "standard", 0.3), ("radii", "gaussian", 0.002),
                ("marginals", "gaussian", 0.9)]
        rep = _report(rows)
        adj = closed_verdict([r[1] for r in rows], [r[2] for r in rows])
        q = rep.questions
        assert q["prior_match"].pvalue == pytest.approx(adj.min())
        assert q["prior_match"].pvalue == pytest.approx(rep.verdict_pvalue)
        assert q["shape"].pvalue == pytest.approx(min(adj[3], adj[4]))
        assert q["coverage"].pvalue == pytest.approx(min(adj[1], adj[2]))
        assert q["coverage"].tests == ("radii:standard", "coverage:standard")
        assert q["coverage"].rejected_tests == ("radii:standard",)
        assert [q[k].verdict for k in ("prior_match", "shape", "coverage")] == ["fail"] * 3

    def test_shape_only_failure_still_fails_prior_match_and_passes_coverage(self):
        rows = [("prior_moments", "standard", 0.6), ("radii", "standard", 0.7),
                ("coverage", "standard", 0.4), ("mardia_kurtosis", "gaussian", 1e-5)]
        q = _report(rows).questions
        assert (q["prior_match"].verdict, q["shape"].verdict, q["coverage"].verdict) == \
            ("fail", "fail", "pass")

    def test_nothing_rejects(self):
        rows = [("prior_moments", "standard", 0.04), ("radii", "standard", 0.03),
                ("radii", "gaussian", 0.04)]
        rep = _report(rows)
        assert rep.verdict == "pass"
        assert all(q.verdict == "pass" for q in rep.questions.values())

    def test_questions_not_asked_are_none(self):
        q = _report([("radii", "gaussian", 0.5)], null="gaussian").questions
        assert q["prior_match"] is None and q["coverage"] is None and q["shape"] is not None
        q = _report([("prior_moments", "standard", 0.5)], null="standard").questions
        assert q["shape"] is None and q["coverage"] is None and q["prior_match"] is not None

    def test_question_fails_only_if_prior_match_fails(self):
        rng = np.random.default_rng(3)
        for _ in range(300):
            rows = [("prior_moments", "standard", rng.uniform() ** 3),
                    ("radii", "standard", rng.uniform() ** 3),
                    ("coverage", "standard", rng.uniform() ** 3),
                    ("radii", "gaussian", rng.uniform() ** 3)]
            q = _report(rows).questions
            if q["shape"].verdict == "fail" or q["coverage"].verdict == "fail":
                assert q["prior_match"].verdict == "fail"

    def test_pvalue_floored(self):
        q = answer_questions([("radii", "standard")], [1e-299], 0.05, "standard")
        assert q["prior_match"].pvalue == PVALUE_FLOOR and q["prior_match"].verdict == "fail"

    def test_family_wise_error_of_all_questions(self):
        # uniform independent p-values: the chance that any question fails is <= alpha
        rng = np.random.default_rng(11)
        keys = [("prior_moments", "standard"), ("radii", "standard"), ("coverage", "standard"),
                ("radii", "gaussian"), ("marginals", "gaussian")]
        reps, fails = 4000, 0
        for _ in range(reps):
            adj = closed_verdict([k[1] for k in keys], rng.uniform(size=len(keys)))
            q = answer_questions(keys, adj, 0.05, "both")
            fails += any(x.verdict == "fail" for x in q.values())
        assert fails / reps <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / reps)


@pytest.fixture(scope="module")
def rep():
    z = np.random.default_rng(4).standard_normal((200, 3)) * 0.7
    return gt.assess(z, tests=["prior_moments", "radii", "mardia_kurtosis"])


class TestRendered:

    def test_json(self, rep):
        doc = json.loads(rep.to_json())
        assert list(doc["questions"]) == ["prior_match", "shape", "coverage"]
        assert doc["questions"]["prior_match"]["verdict"] == "fail"
        assert doc["questions"]["shape"]["verdict"] == "pass"
        assert set(doc["questions"]["coverage"]) >= {"verdict", "pvalue", "tests"}
        assert list(doc).index("questions") < list(doc).index("findings")

    def test_every_format_leads_with_the_questions(self, rep):
        for text in (rep.to_text(), rep.to_markdown(), rep.to_html()):
            low = text.lower()
            first = min(low.index(w) for w in ("prior match", "shape", "coverage"))
            assert first < low.index("findings"), text[:400]
            assert "fail" in low[:low.index("findings")]

    def test_alias_prior_match_selects_prior_moments(self):
        z = np.random.default_rng(5).standard_normal((60, 2))
        a = gt.assess(z, tests=["prior_match"], null="standard")
        b = gt.assess(z, tests=["prior_moments"], null="standard")
        assert a.results[0].test == "prior_moments" and a.results[0].pvalue == b.results[0].pvalue
        assert gt.prior_match is gt.prior_moments
        c = gt.assess(z, tests=["prior_moments", "radii"], null="standard",
                      ignore=["prior_match"])
        assert [r.test for r in c.results] == ["radii"]
