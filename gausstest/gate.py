"""The CI gate: pass/fail on the questions that matter and on effects that are material.

A :class:`Report`'s plain verdict fails on any deviation the battery can detect; with
50,000 latents that includes deviations too small to matter. A :class:`Gate` states
what must hold:

* ``require``: questions that must pass ("prior_match", "shape", "coverage"; default:
  the plain verdict, i.e. every question asked);
* ``max_effect``: the largest tolerated effect per test, ``{"prior_match": 0.05,
  "energy:standard": 0.01}`` (a code applies to every null the test ran under).

The gate **fails** when a required question fails (the plain verdict, without
``require``) **and**, when thresholds are set, a test with a threshold that answers a
failing required question both rejects (its adjusted p-value is <= alpha, the
verdict's own rule) and has an effect above its threshold. Which tests answer which
question is :mod:`gausstest.questions`' rule (prior_match: every result; shape: the
composite-null results; coverage: ``coverage`` and ``radii`` under the standard null).

A two-sided test's effect is signed (``mardia_kurtosis``: light tails are negative);
its size ``|effect|`` is compared.

So a threshold only turns a statistical failure into a pass when every relevant
thresholded effect is at or below its threshold; a large effect that its test cannot
establish (no rejection) never fails the gate on its own. Tests without a threshold
still decide the questions, but with thresholds set, only thresholded effects decide
materiality: list the tests whose effects you can judge. A failing required question
(under the plain verdict: a failing question) none of whose tests has a threshold fails
the gate: a threshold speaks only for the tests it names.

:func:`evaluate` returns a :class:`GateResult` whose ``rules`` say which rule decided,
with the numbers; :meth:`GateResult.to_dict` is the ``"gate"`` member of
``gausstest check --format json``.

Examples
--------
>>> import numpy as np
>>> import gausstest as gt
>>> from gausstest.gate import Gate
>>> z = np.random.default_rng(0).standard_normal((50_000, 3)) * 0.98
>>> report = gt.assess(z, tests=["prior_match"], null="standard")
>>> report.verdict
'fail'
>>> result = Gate.make(max_effect={"prior_match": 0.01}).evaluate(report)
>>> result.status
'pass'
>>> print(result.rules[-1].text)
max_effect prior_moments [standard]: effect 9.99e-04 <= 0.01: below the threshold

A scale of 0.98 instead of 1 is certain at n = 50,000 (the plain verdict fails), but its
KL to N(0, I), about 0.001 nats, is below the tolerated 0.01: the gate passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from .config import QUESTIONS, ConfigError, canonical_code, parse_max_effect, parse_questions
from .questions import floor_pvalue

__all__ = ["Gate", "GateResult", "Rule", "evaluate", "report_questions"]


def _q_get(q: Any, name: str) -> Any:
    return q.get(name) if isinstance(q, Mapping) else getattr(q, name, None)


def report_questions(report: Any) -> dict[str, dict | None]:
    """``{"prior_match"|"shape"|"coverage": {"verdict", "pvalue", "rejected_tests"} | None}``
    of a report, read from its per-question verdicts (:mod:`gausstest.questions`); a
    question that was not asked is None."""
    qs = report.questions
    out: dict[str, dict | None] = {}
    for name in QUESTIONS:
        q = qs.get(name)
        out[name] = None if q is None else {
            "verdict": str(_q_get(q, "verdict")), "pvalue": _float(_q_get(q, "pvalue")),
            "tests": list(_q_get(q, "tests") or ()),
            "rejected_tests": list(_q_get(q, "rejected_tests") or ())}
    return out


def _float(x: Any) -> float | None:
    try:
        return None if x is None else float(x)
    except (TypeError, ValueError):
        return None


def _fmt(x: float | None) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e4):
        return f"{x:.2e}"
    return f"{x:.3g}"


def _fmt_p(p: float | None) -> str:
    """ "= p", or "<= floor" at or below the report's p-value floor (no 1e-299 noise)."""
    from .questions import PVALUE_FLOOR

    if p is not None and np.isfinite(p) and p <= PVALUE_FLOOR:
        return f"<= {PVALUE_FLOOR:.0e}"
    return f"= {_fmt(p)}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Rule:
    """One rule of the gate, evaluated.

    ``kind`` is "require" (a question must pass), "verdict" (no ``require``: the plain
    verdict must pass) or "max_effect" (a rejecting test's effect must not exceed its
    threshold). ``violated`` says whether it holds; ``text`` says it in words.
    """

    kind: str
    name: str
    null: str | None = None
    verdict: str | None = None
    pvalue: float | None = None
    effect: float | None = None
    threshold: float | None = None
    rejected: bool | None = None
    violated: bool = False
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        def clean(x):
            return None if x is None or (isinstance(x, float) and not np.isfinite(x)) else x
        return {"kind": self.kind, "name": self.name, "null": self.null,
                "verdict": self.verdict, "pvalue": clean(self.pvalue),
                "effect": clean(self.effect), "threshold": clean(self.threshold),
                "rejected": self.rejected, "violated": self.violated, "text": self.text}


@dataclass(frozen=True, kw_only=True)
class GateResult:
    """The gate's decision on one report.

    ``status`` is "pass" or "fail" (what the exit code follows), ``verdict`` the
    report's plain verdict, ``decided_by`` a sentence naming the rule that decided,
    ``rules`` every rule with its numbers, ``findings`` the report's findings.
    """

    status: str
    verdict: str
    alpha: float
    require: tuple[str, ...] | None
    max_effect: Mapping[str, float] | None
    rules: tuple[Rule, ...]
    decided_by: str
    findings: tuple[str, ...] = ()
    source: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    @property
    def failed_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.violated)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "verdict": self.verdict, "alpha": self.alpha,
                "require": None if self.require is None else list(self.require),
                "max_effect": None if self.max_effect is None else dict(self.max_effect),
                "decided_by": self.decided_by, "rules": [r.to_dict() for r in self.rules]}

    def to_text(self) -> str:
        """Every rule with its numbers, then the findings (on a pass, only when there is more
        than the "no test rejects" line: e.g. inactive VAE units behind Gaussian samples)."""
        lines = [f"  {r.text}" for r in self.rules]
        if self.status == "fail" or self.verdict == "fail" or len(self.findings) > 1:
            lines.append("  findings:")
            lines += [f"    - {f}" for f in self.findings]
        return "\n".join(lines)


@dataclass(frozen=True, kw_only=True)
class Gate:
    """What a sample must satisfy. See the module docstring for the rule.

    Parameters
    ----------
    require : question or sequence of questions, optional
        "prior_match", "shape", "coverage". None: the plain verdict decides.
    max_effect : mapping or "code=x,..." string, optional
        Largest tolerated effect per test code ("code" or "code:null"; aliases accepted).
    """

    require: tuple[str, ...] | None = None
    max_effect: Mapping[str, float] | None = None

    @classmethod
    def make(cls, require: Any = None, max_effect: Any = None, *,
             where: str = "assert_gaussian") -> Gate:
        """Validate the arguments (raising :class:`ConfigError` that names them)."""
        req = None if require is None else tuple(parse_questions(
            require, where=f"{where}(require=...)", key=""))
        eff = None if max_effect is None else parse_max_effect(
            max_effect, where=f"{where}(max_effect=...)", key="")
        return cls(require=req, max_effect=eff)

    def check_selection(self, pairs: Sequence[tuple[str, str]], null: str, *,
                        where_require: str = "require",
                        where_effect: str = "max_effect") -> None:
        """Before any work: every required question is asked, every threshold has a test.

        ``pairs`` are the (code, null) pairs :func:`gausstest.battery.select_tests` chose;
        ``where_*`` name the source of each setting in the error messages.
        """
        from .questions import answer_questions

        asked = answer_questions([(canonical_code(c), nl) for c, nl in pairs],
                                 [1.0] * len(pairs), 0.05, null)
        for q in self.require or ():
            if asked.get(q) is not None:
                continue
            need = {"prior_match": "null 'standard' or 'both' and a test under the standard null",
                    "shape": "null 'gaussian' or 'both' and a test under the composite null",
                    "coverage": "the coverage test or radii under the standard null"}[q]
            raise ConfigError(f"{where_require}: question {q!r} is not asked by this run "
                              f"(null = {null!r}, {len(pairs)} tests); it needs {need}: change "
                              "select / null or drop it")
        ran = {(canonical_code(c), nl) for c, nl in pairs}
        for key in self.max_effect or {}:
            code, _, nl = key.partition(":")
            code = canonical_code(code)
            if not any(c == code and (not nl or n == nl) for c, n in ran):
                raise ConfigError(
                    f"{where_effect}: {key!r} is not among the tests that run "
                    f"({', '.join(sorted({c for c, _ in ran})) or 'none'}); add it to select "
                    "(and the null it needs) or drop the threshold")

    def evaluate(self, report: Any) -> GateResult:
        return evaluate(report, self)


def _threshold_for(thresholds: Mapping[str, float], test: str, null: str) -> float | None:
    """The threshold of a result: "code:null" wins over "code" (aliases resolved)."""
    code = canonical_code(test)
    best = None
    for key, value in thresholds.items():
        kcode, _, knull = key.partition(":")
        if canonical_code(kcode) != code:
            continue
        if knull == null:
            return value
        if not knull:
            best = value
    return best


def _two_sided(test: str) -> bool:
    from .registry import get_spec

    try:
        return bool(get_spec(test).two_sided)
    except ValueError:  # not a registered code (a stand-in result): one-sided
        return False


def evaluate(report: Any, gate: Gate | None = None) -> GateResult:
    """Apply ``gate`` (default: the plain verdict) to a :class:`~gausstest.Report`."""
    gate = Gate() if gate is None else gate
    alpha = float(report.alpha)
    rules: list[Rule] = []
    questions = report_questions(report)
    if gate.require is None:
        # floored as the report's own verdict_pvalue is (the JSON had both 1e-16 and 2.7e-299)
        p = floor_pvalue(float(report.verdict_pvalue))
        fails = report.verdict == "fail"
        rules.append(Rule(
            kind="verdict", name="verdict", verdict=report.verdict, pvalue=p, violated=fails,
            text=(f"verdict: {report.verdict.upper()} (p {_fmt_p(p)} "
                  f"{'<=' if fails else '>'} alpha = {alpha})")))
    else:
        for q in gate.require:
            ans = questions.get(q)
            if ans is None:
                raise ConfigError(f"require: question {q!r} was not asked in this run "
                                  f"(null = {report.null!r}); drop it from require or run the "
                                  "tests it needs")
            fails = ans["verdict"] == "fail"
            p = ans["pvalue"]
            rules.append(Rule(
                kind="require", name=q, verdict=ans["verdict"], pvalue=p, violated=fails,
                text=(f"require {q}: {ans['verdict'].upper()} (p {_fmt_p(p)} "
                      f"{'<=' if fails else '>'} alpha = {alpha})")))
    statistical = any(r.violated for r in rules)
    # the results whose effects can make a failure material: those answering a required
    # question that fails (every result when the plain verdict decides)
    relevant: set[str] | None = None
    if gate.require is not None:
        relevant = {t for q in gate.require if questions[q]["verdict"] == "fail"
                    for t in questions[q]["tests"]}

    effect_rules: list[Rule] = []
    if gate.max_effect:
        for r, adj, rej in zip(report.results, report.adjusted_pvalues, report.rejected):
            limit = _threshold_for(gate.max_effect, r.test, r.null)
            if limit is None:
                continue
            eff = r.effect
            label = f"max_effect {r.test} [{r.null}]"
            # a two-sided test's effect is signed (e.g. excess kurtosis: light tails < 0):
            # its size is |effect|
            two_sided = _two_sided(r.test)
            size = None if eff is None else (abs(eff) if two_sided else eff)
            shown = f"|effect| {_fmt(size)}" if two_sided else f"effect {_fmt(size)}"
            if size is None or not np.isfinite(size):
                violated, text = False, f"{label}: no effect measured (threshold {_fmt(limit)})"
            elif size > limit and rej and relevant is not None and \
                    f"{r.test}:{r.null}" not in relevant:
                violated = False
                text = (f"{label}: {shown} > {_fmt(limit)} and the test rejects "
                        f"(adj. p {_fmt_p(adj)}), but it answers no required question that "
                        "fails")
            elif size > limit and rej:
                violated = True
                text = (f"{label}: {shown} > {_fmt(limit)} and the test rejects "
                        f"(adj. p {_fmt_p(adj)}): material")
            elif size > limit:
                violated = False
                text = (f"{label}: {shown} > {_fmt(limit)} but the test does not "
                        f"reject (adj. p {_fmt_p(adj)}): not established")
            else:
                violated = False
                text = f"{label}: {shown} <= {_fmt(limit)}: below the threshold"
            effect_rules.append(Rule(kind="max_effect", name=r.test, null=r.null, pvalue=adj,
                                     effect=eff, threshold=limit, rejected=bool(rej),
                                     violated=violated, text=text))
        material = any(r.violated for r in effect_rules)
    else:
        material = True
    # a failing required question none of whose tests has a threshold: the thresholds
    # cannot speak for it, so its failure stands (a threshold on coverage alone had turned
    # "require shape" on t(3) latents into a pass "below the configured thresholds")
    uncovered: list[str] = []
    if gate.max_effect and statistical:
        # (the plain verdict requires every question asked)
        asked = gate.require if gate.require is not None else [
            q for q, ans in questions.items() if ans is not None]
        limited = {f"{r.name}:{r.null}" for r in effect_rules}
        uncovered = [q for q in asked if questions[q]["verdict"] == "fail"
                     and not limited & set(questions[q]["tests"])]
        material = material or bool(uncovered)
    failed = statistical and material

    stat_names = [r.name for r in rules if r.violated]
    what = ("the verdict fails" if gate.require is None
            else f"required question{'s' if len(stat_names) > 1 else ''} "
                 f"{', '.join(stat_names)} fail{'' if len(stat_names) > 1 else 's'}")
    if failed and uncovered and not any(r.violated for r in effect_rules):
        decided = (f"{'' if gate.require is not None else 'the verdict fails: '}"
                   f"required question{'s' if len(uncovered) > 1 else ''} "
                   f"{', '.join(uncovered)} fail{'' if len(uncovered) > 1 else 's'}, and "
                   f"max_effect sets no threshold on any test that answers "
                   f"{'them' if len(uncovered) > 1 else 'it'}")
    elif failed and gate.max_effect:
        over = [f"{r.name} [{r.null}] "
                f"({_fmt(abs(r.effect) if _two_sided(r.name) else r.effect)} > {_fmt(r.threshold)})"
                for r in effect_rules if r.violated]
        decided = f"{what} and effects exceed max_effect: {', '.join(over)}"
    elif failed:
        decided = what
    elif statistical:
        decided = (f"{what}, but no rejecting test's effect exceeds its max_effect: the "
                   "deviation is below the configured thresholds")
    elif gate.require is None:
        decided = "the verdict passes"
    else:
        decided = "every required question passes"
    return GateResult(
        status="fail" if failed else "pass", verdict=report.verdict, alpha=alpha,
        require=gate.require, max_effect=None if gate.max_effect is None else dict(gate.max_effect),
        rules=tuple(rules + effect_rules), decided_by=decided,
        findings=tuple(report.findings), source=getattr(report, "source", None))
