"""The :class:`Report` of :func:`gausstest.assess` and its renderers.

Every renderer is a pure function of :meth:`Report.to_dict`, so the text,
Markdown, JSON and HTML views never disagree.

JSON schema (``schema_version`` 1; keys are only ever added):

``{"schema_version": 1, "gausstest_version": str, "n": int, "d": int,
"alpha": float, "null": "standard"|"gaussian"|"both", "verdict": "pass"|"fail",
"findings": [str], "prior": {...} | null, "notes": [str],
"skipped": [{"test", "null", "reason"}],
"results": [{"test", "family", "null", "statistic", "pvalue", "pvalue_method",
"pvalue_info": {...}, "effect", "effect_name", "detectable_n", "n", "d",
"adjusted_pvalue", "rejected", "details": {...}}]}``
"""

from __future__ import annotations

import html as _html
import json
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .results import TestResult, jsonable

__all__ = ["Report", "Skipped", "render_text", "render_markdown", "render_html", "render_json"]

SCHEMA_VERSION = 1

_QUESTIONS = {
    "standard": "Prior match: is z ~ N(0, I)?",
    "gaussian": "Shape: is z ~ N(mu, Sigma) for some mu, Sigma?",
    "coverage": "Coverage: does the sample fill the prior?",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Skipped:
    test: str
    null: str
    reason: str


def _holm(pvalues: Sequence[float], alpha: float) -> tuple[np.ndarray, np.ndarray]:
    from statsmodels.stats.multitest import multipletests

    reject, adjusted, _, _ = multipletests(np.asarray(pvalues, float), alpha=alpha, method="holm")
    return reject, adjusted


@dataclass(frozen=True, kw_only=True)
class Report:
    """Results of a battery, the verdict (Holm over all results) and plain-words findings."""

    n: int
    d: int
    alpha: float
    null: str
    results: tuple[TestResult, ...]
    adjusted_pvalues: tuple[float, ...]
    rejected: tuple[bool, ...]
    verdict: str
    findings: tuple[str, ...]
    skipped: tuple[Skipped, ...] = ()
    notes: tuple[str, ...] = ()
    source: str | None = field(default=None)

    @classmethod
    def build(cls, *, sample, null, alpha, results, skipped=(), notes=(), source=None) -> Report:
        from .prior import describe_prior
        from .registry import REGISTRY

        reject, adjusted = _holm([r.pvalue for r in results], alpha)
        findings: list[str] = []
        for r, rej in zip(results, reject):
            if rej:
                spec = REGISTRY.get(r.test)
                text = spec.finding(r) if spec is not None and spec.finding else (
                    f"{r.test} rejects (p = {r.pvalue:.3g})")
                findings.append(f"[{r.test}, {r.null}] {text}")
        prior = next((r for r in results if r.test == "prior_match"), None)
        if prior is not None and not reject[results.index(prior)]:
            # collapsed dimensions matter even when the battery as a whole passes
            for line in describe_prior(dict(prior.details), prior.d):
                if "collapsed" in line:
                    findings.append(f"[prior_match, standard] {line}")
        verdict = "fail" if reject.any() else "pass"
        if verdict == "pass":
            findings.insert(0, f"no test rejects at family-wise alpha = {alpha} (Holm over "
                               f"{len(results)} results)")
        return cls(
            n=sample.n, d=sample.d, alpha=alpha, null=null, results=tuple(results),
            adjusted_pvalues=tuple(float(a) for a in adjusted),
            rejected=tuple(bool(x) for x in reject), verdict=verdict,
            findings=tuple(findings), skipped=tuple(skipped), notes=tuple(notes), source=source,
        )

    def with_source(self, source: str) -> Report:
        from dataclasses import replace

        return replace(self, source=source)

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def result(self, test: str, null: str | None = None) -> TestResult:
        """The result of ``test`` (under ``null`` if it ran under both)."""
        for r in self.results:
            if r.test == test and (null is None or r.null == null):
                return r
        raise KeyError(f"no result for {test!r}" + (f" under null={null!r}" if null else ""))

    def to_dict(self) -> dict[str, Any]:
        from . import __version__

        prior = next((r for r in self.results if r.test == "prior_match"), None)
        rows = []
        for r, adj, rej in zip(self.results, self.adjusted_pvalues, self.rejected):
            row = r.to_dict()
            row["adjusted_pvalue"] = jsonable(adj)
            row["rejected"] = rej
            rows.append(row)
        return {
            "schema_version": SCHEMA_VERSION,
            "gausstest_version": __version__,
            "source": self.source,
            "n": self.n,
            "d": self.d,
            "alpha": self.alpha,
            "null": self.null,
            "verdict": self.verdict,
            "findings": list(self.findings),
            "prior": None if prior is None else jsonable({
                k: prior.details[k] for k in (
                    "kl", "w2", "mean_norm", "average_variance", "collapsed_dimensions",
                    "max_abs_correlation", "max_correlation_pair")}),
            "notes": list(self.notes),
            "skipped": [{"test": s.test, "null": s.null, "reason": s.reason} for s in self.skipped],
            "results": rows,
        }

    def to_json(self, indent: int | None = 2) -> str:
        return render_json(self.to_dict(), indent=indent)

    def to_text(self) -> str:
        return render_text(self.to_dict())

    def to_markdown(self) -> str:
        return render_markdown(self.to_dict())

    def to_html(self) -> str:
        return render_html(self.to_dict())

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return (f"Report(n={self.n}, d={self.d}, verdict={self.verdict!r}, "
                f"results={len(self.results)}, rejected={sum(self.rejected)})")


# ------------------------------------------------------------------ renderers

def _fmt(x: Any, digits: int = 4) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e5):
            return f"{x:.{digits - 1}e}"
        return f"{x:.{digits}g}"
    return str(x)


def _section(row: dict) -> str:
    if row["family"] == "coverage":
        return "coverage"
    return row["null"]


def _grouped(doc: dict) -> list[tuple[str, list[dict]]]:
    out = []
    for key in ("standard", "gaussian", "coverage"):
        rows = [r for r in doc["results"] if _section(r) == key]
        if rows:
            out.append((_QUESTIONS[key], rows))
    return out


def render_json(doc: dict, indent: int | None = 2) -> str:
    return json.dumps(doc, indent=indent, allow_nan=False)


def render_text(doc: dict) -> str:
    lines = []
    head = f"gausstest report: n = {doc['n']}, d = {doc['d']}"
    if doc.get("source"):
        head = f"{doc['source']}: " + head
    lines.append(head)
    lines.append(f"verdict: {doc['verdict'].upper()} (Holm, alpha = {doc['alpha']})")
    lines.append("")
    lines.append("findings:")
    lines += [f"  - {f}" for f in doc["findings"]]
    if doc.get("prior"):
        p = doc["prior"]
        lines.append("")
        lines.append("fitted Gaussian vs N(0, I): "
                     f"KL = {_fmt(p['kl'])}, W2 = {_fmt(p['w2'])}, |mean| = {_fmt(p['mean_norm'])}, "
                     f"average variance = {_fmt(p['average_variance'])}, "
                     f"max |corr| = {_fmt(p['max_abs_correlation'])}, "
                     f"collapsed dims = {p['collapsed_dimensions'] or 'none'}")
    for title, rows in _grouped(doc):
        lines.append("")
        lines.append(title)
        w = max(len(r["test"]) for r in rows)
        lines.append(f"  {'test':<{w}}  {'statistic':>11}  {'p-value':>9}  {'Holm p':>9}  "
                     f"{'effect':>10}  method")
        for r in rows:
            mark = "  <- rejects" if r["rejected"] else ""
            lines.append(
                f"  {r['test']:<{w}}  {_fmt(r['statistic']):>11}  {_fmt(r['pvalue'], 3):>9}  "
                f"{_fmt(r['adjusted_pvalue'], 3):>9}  {_fmt(r['effect'], 3):>10}  "
                f"{r['pvalue_method']}{mark}")
    if doc["skipped"]:
        lines.append("")
        lines.append("skipped:")
        lines += [f"  - {s['test']} [{s['null']}]: {s['reason']}" for s in doc["skipped"]]
    if doc["notes"]:
        lines.append("")
        lines.append("notes:")
        lines += [f"  - {s}" for s in doc["notes"]]
    lines.append("")
    lines.append("p-values:")
    seen = set()
    for r in doc["results"]:
        desc = r["pvalue_info"]["description"]
        key = (r["test"], r["null"])
        if key not in seen:
            seen.add(key)
            lines.append(f"  {r['test']} [{r['null']}]: {desc}")
    return "\n".join(lines) + "\n"


def render_markdown(doc: dict) -> str:
    out = [f"# gausstest report{': ' + doc['source'] if doc.get('source') else ''}", "",
           f"n = {doc['n']}, d = {doc['d']}; **verdict: {doc['verdict'].upper()}** "
           f"(Holm over {len(doc['results'])} results, alpha = {doc['alpha']})", "", "## Findings", ""]
    out += [f"- {f}" for f in doc["findings"]]
    for title, rows in _grouped(doc):
        out += ["", f"## {title}", "",
                "| test | statistic | p-value | Holm p | effect | p-value method |",
                "|---|---:|---:|---:|---:|---|"]
        for r in rows:
            name = f"**{r['test']}**" if r["rejected"] else r["test"]
            out.append(f"| {name} | {_fmt(r['statistic'])} | {_fmt(r['pvalue'], 3)} | "
                       f"{_fmt(r['adjusted_pvalue'], 3)} | {_fmt(r['effect'], 3)} | "
                       f"{r['pvalue_info']['description']} |")
    if doc["skipped"]:
        out += ["", "## Skipped", ""] + [f"- {s['test']} [{s['null']}]: {s['reason']}"
                                         for s in doc["skipped"]]
    if doc["notes"]:
        out += ["", "## Notes", ""] + [f"- {s}" for s in doc["notes"]]
    return "\n".join(out) + "\n"


def render_html(doc: dict) -> str:
    e = _html.escape
    colour = "#1a7f37" if doc["verdict"] == "pass" else "#cf222e"
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>gausstest report</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em}"
        "td.num{text-align:right;font-variant-numeric:tabular-nums}tr.rej{background:#ffebe9}</style>",
        "</head><body>",
        f"<h1>gausstest report{': ' + e(doc['source']) if doc.get('source') else ''}</h1>",
        f"<p>n = {doc['n']}, d = {doc['d']}. Verdict: <strong style='color:{colour}'>"
        f"{doc['verdict'].upper()}</strong> (Holm, alpha = {doc['alpha']}).</p>",
        "<h2>Findings</h2><ul>", *[f"<li>{e(f)}</li>" for f in doc["findings"]], "</ul>",
    ]
    for title, rows in _grouped(doc):
        parts.append(f"<h2>{e(title)}</h2><table><tr><th>test</th><th>statistic</th>"
                     "<th>p-value</th><th>Holm p</th><th>effect</th><th>p-value method</th></tr>")
        for r in rows:
            cls = " class='rej'" if r["rejected"] else ""
            parts.append(
                f"<tr{cls}><td>{e(r['test'])}</td><td class='num'>{_fmt(r['statistic'])}</td>"
                f"<td class='num'>{_fmt(r['pvalue'], 3)}</td>"
                f"<td class='num'>{_fmt(r['adjusted_pvalue'], 3)}</td>"
                f"<td class='num'>{_fmt(r['effect'], 3)}</td>"
                f"<td>{e(r['pvalue_info']['description'])}</td></tr>")
        parts.append("</table>")
    if doc["skipped"] or doc["notes"]:
        parts.append("<h2>Notes</h2><ul>")
        parts += [f"<li>skipped {e(s['test'])} [{e(s['null'])}]: {e(s['reason'])}</li>"
                  for s in doc["skipped"]]
        parts += [f"<li>{e(s)}</li>" for s in doc["notes"]]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
