"""Helpers for test suites: assert that an encoder's latents are Gaussian enough.

>>> import numpy as np
>>> from gausstest.testing import assert_gaussian
>>> z = np.random.default_rng(0).standard_normal((300, 3))
>>> report = assert_gaussian(z, require="prior_match", tests=["prior_match", "radii"])
>>> report.verdict
'pass'

A sample that fails raises ``AssertionError`` whose message lists the failed rules
and the report's findings, so the pytest output says what is wrong.
"""

from __future__ import annotations

from typing import Any, Sequence

from .gate import Gate, GateResult

__all__ = ["assert_gaussian"]


def assert_gaussian(
    z: Any, *, require: str | Sequence[str] | None = None,
    max_effect: Any = None, alpha: float = 0.05, null: str = "both",
    tests: Sequence[str] | None = None, ignore: Sequence[str] = (), rng: Any = 0,
    **assess_options: Any,
):
    """Fail (``AssertionError``) unless ``z`` passes the gate; return the Report.

    Parameters
    ----------
    z : array_like, shape (n, d)
        The latent sample (as for :func:`gausstest.assess`).
    require : str or sequence of str, optional
        Questions that must pass: "prior_match", "shape", "coverage". Default: the
        plain verdict (every question asked).
    max_effect : mapping, optional
        Largest tolerated effect per test code (``{"prior_match": 0.05, "energy": 0.01}``;
        "code:null" for one null). With thresholds, the gate fails only when a required
        question fails *and* a test with a threshold rejects with an effect above it (see
        :mod:`gausstest.gate`).
    alpha, null, tests, ignore, rng, **assess_options
        Passed to :func:`gausstest.assess`. ``rng`` defaults to 0 so that a test suite
        is deterministic.

    Returns
    -------
    Report
        The report (its ``gate`` decision is in the assertion message when it fails).

    Raises
    ------
    AssertionError
        The gate fails: the message names each failed rule with its numbers, then the
        findings.
    gausstest.config.ConfigError
        ``require`` or ``max_effect`` is invalid, or names a question not asked or a test
        that does not run.
    """
    from .battery import assess, select_tests

    gate = Gate.make(require, max_effect, where="assert_gaussian")
    gate.check_selection(select_tests(tests, null, ignore), null,
                         where_require="assert_gaussian(require=...)",
                         where_effect="assert_gaussian(max_effect=...)")
    report = assess(z, null=null, alpha=alpha, tests=tests, ignore=ignore, rng=rng,
                    **assess_options)
    result = gate.evaluate(report)
    if not result.passed:
        raise AssertionError(_message(result, report))
    return report


def _message(result: GateResult, report: Any) -> str:
    lines = [f"latent sample is not Gaussian enough (n = {report.n}, d = {report.d}, "
             f"alpha = {result.alpha}): {result.decided_by}", "failed rules:"]
    lines += [f"  - {r.text}" for r in result.failed_rules]
    lines.append("findings:")
    lines += [f"  - {f}" for f in result.findings]
    return "\n".join(lines)
