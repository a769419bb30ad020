"""The three questions of a report, each answered with family-wise error control.

A report asks up to three questions (README, "The three questions"):

* **prior_match**: is z ~ N(0, I)? (H_std; asked when ``null`` is "standard" or "both")
* **shape**: is z ~ N(mu, Sigma) for some mu, Sigma? (H_gauss; asked when ``null`` is
  "gaussian" or "both")
* **coverage**: does the sample put its mass where N(0, I) does? (asked when one of
  :data:`COVERAGE_TESTS` ran)

Each answer reads the adjusted p-values of the verdict rule
(:func:`gausstest.report.closed_verdict`): weighted Holm, with the composite family gated by
H_std under ``null="both"``. Those adjusted p-values control the family-wise error over
*every* result at once (strong control, any dependence), so a question's p-value, the
smallest adjusted p-value among its tests, fails at alpha only when one of its tests is
rejected by that same procedure: the three answers together, and the per-test rejections
under them, keep the family-wise error at alpha. No new test is run and no level is spent
twice.

Which tests answer which question:

* prior_match: every result. N(0, I) is one of the N(mu, Sigma), and every test of either
  null holds its level when z ~ N(0, I), so any rejection rejects H_std (under
  ``null="both"`` this is the union family the verdict already uses). Its answer is the
  verdict whenever it is asked.
* shape: the composite-null results (affine invariant: location and scale cannot fail them).
* coverage: ``coverage`` (k-NN coverage and precision: holes, clusters, off-prior mass) and
  ``radii`` under the standard null (||z||^2 against chi2(d): too-thin or too-thick shells,
  mass at the wrong radius). Both judge *where the mass is* relative to the prior; the
  omnibus tests (energy, Henze-Zirkler) also see holes but equally see a mean shift or a
  correlation, which do not leave the prior's support uncovered, so they answer prior match
  and not coverage. Mean and correlation alone rarely fail coverage; scale does (a sample of
  sd 0.8 leaves the prior's outer shell empty).

A question fails only if prior_match fails too (its tests are a subset, and the composite
family is gated by H_std), so the answers never contradict each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

__all__ = ["Question", "QUESTIONS", "COVERAGE_TESTS", "PVALUE_FLOOR", "answer_questions"]

#: the questions, in report order, with the null hypothesis each tests
QUESTIONS: dict[str, str] = {
    "prior_match": "z ~ N(0, I): can I sample the prior and decode?",
    "shape": "z ~ N(mu, Sigma) for some mu, Sigma: is it some Gaussian?",
    "coverage": "the mass is where N(0, I) puts it: does the sample fill the prior?",
}

#: the (test, null) results that answer the coverage question
COVERAGE_TESTS: frozenset[tuple[str, str]] = frozenset({("coverage", "standard"),
                                                        ("radii", "standard")})

#: p-values below this are reported as this value: below it a tail probability carries no
#: information a decision could use, and asymptotic tails are not accurate there
PVALUE_FLOOR = 1e-16


def floor_pvalue(p: float) -> float:
    """``p`` floored at :data:`PVALUE_FLOOR` (NaN stays NaN)."""
    return p if not np.isfinite(p) else max(float(p), PVALUE_FLOOR)


@dataclass(frozen=True, kw_only=True, slots=True)
class Question:
    """The answer to one question: ``verdict`` "pass"/"fail" at family-wise level alpha."""

    name: str
    hypothesis: str
    verdict: str
    #: smallest adjusted p-value among its tests (floored at PVALUE_FLOOR); fails iff <= alpha
    pvalue: float
    #: the results that answer it, "code:null"
    tests: tuple[str, ...]
    #: those rejected at family-wise level alpha
    rejected_tests: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "pvalue": self.pvalue, "hypothesis": self.hypothesis,
                "tests": list(self.tests), "rejected_tests": list(self.rejected_tests)}


def _members(name: str, null: str, keys: Sequence[tuple[str, str]]) -> list[int] | None:
    nulls = {nl for _, nl in keys}
    if name == "prior_match":
        if null == "gaussian" or "standard" not in nulls:
            return None
        return list(range(len(keys)))
    if name == "shape":
        if null == "standard" or "gaussian" not in nulls:
            return None
        return [i for i, (_, nl) in enumerate(keys) if nl == "gaussian"]
    idx = [i for i, k in enumerate(keys) if k in COVERAGE_TESTS]
    return idx or None


def answer_questions(
    keys: Sequence[tuple[str, str]], adjusted: Sequence[float], alpha: float, null: str,
) -> dict[str, Question | None]:
    """Answer the three questions from the verdict's adjusted p-values.

    Parameters
    ----------
    keys : the (test code, null) of each result, in result order
    adjusted : the adjusted p-values of :func:`gausstest.report.closed_verdict`
    alpha : the family-wise level
    null : the report's null ("standard", "gaussian" or "both")

    Returns
    -------
    dict
        ``{"prior_match": Question | None, "shape": ..., "coverage": ...}``; None for a
        question that was not asked (its null was not requested, or none of its tests ran).
    """
    adj = np.asarray(adjusted, dtype=float)
    out: dict[str, Question | None] = {}
    for name, hyp in QUESTIONS.items():
        idx = _members(name, null, keys)
        if idx is None:
            out[name] = None
            continue
        vals = adj[idx]
        p = float(np.nanmin(vals)) if np.isfinite(vals).any() else 1.0
        labels = [f"{keys[i][0]}:{keys[i][1]}" for i in idx]
        rejected = tuple(lab for lab, v in zip(labels, vals) if np.isfinite(v) and v <= alpha)
        out[name] = Question(name=name, hypothesis=hyp, verdict="fail" if p <= alpha else "pass",
                             pvalue=floor_pvalue(p), tests=tuple(labels), rejected_tests=rejected)
    return out
