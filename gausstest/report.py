"""The :class:`Report` of :func:`gausstest.assess` and its renderers.

Every renderer is a pure function of :meth:`Report.to_dict`, so the text,
Markdown, JSON and HTML views never disagree.

JSON schema (``schema_version`` 1; keys are only ever added):

``{"schema_version": 1, "gausstest_version": str, "n": int, "d": int,
"alpha": float, "null": "standard"|"gaussian"|"both",
"questions": {"prior_match"|"shape"|"coverage": {"verdict", "pvalue", "hypothesis", "tests",
"rejected_tests"} | null}, "verdict": "pass"|"fail", "verdict_pvalue": float,
"findings": [str], "diagnoses": [{"kind", "question", "tests", "check", "pvalue",
"dimensions", "direction", "magnitude", "magnitude_name", "text"}],
"posterior": {...} | null, "prior": {"kl", "w2", "mean_norm", "average_variance",
"collapsed_dimensions", "max_abs_correlation", "max_correlation_pair", "null_reference":
{"kl", "w2", "mean_norm", "average_variance", "average_variance_sd",
"max_abs_correlation_95"} | null} | null, "notes": [str],
"skipped": [{"test", "null", "reason"}],
"results": [{"test", "family", "null", "statistic", "pvalue", "pvalue_method",
"pvalue_info": {...}, "effect", "effect_name", "detectable_n", "n", "d",
"adjusted_pvalue", "verdict_weight", "rejected", "details": {...}}]}``

``adjusted_pvalue`` is the result's p-value under the verdict rule
(:func:`closed_verdict`: weighted Holm with the weights in ``verdict_weight``; with
both nulls, H_std tested over the union of the results and the composite family
gated by it); the verdict fails exactly when some adjusted p-value is <= alpha. The
questions (:mod:`gausstest.questions`) read the same adjusted p-values; the diagnoses
(:mod:`gausstest.diagnosis`) are records, and ``findings`` their texts.
"""

from __future__ import annotations

import html as _html
import json
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .questions import PVALUE_FLOOR, floor_pvalue
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


def weighted_holm(pvalues: Sequence[float], weights: Sequence[float] | None = None) -> np.ndarray:
    """Adjusted p-values of the weighted Holm step-down procedure.

    Holm (1979, Scand. J. Statist. 6, 65-70, sect. 3) with weights ``w_i > 0``:
    order the hypotheses by ``p_i / w_i``; at step ``j``, with ``W_j`` the total
    weight of the hypotheses not yet rejected, reject ``H_(j)`` when
    ``p_(j) <= alpha * w_(j) / W_j`` and stop at the first that is not. The adjusted
    p-value is ``max_{k <= j} min(1, p_(k) W_k / w_(k))``, so ``H_i`` is rejected at
    level alpha exactly when its adjusted p-value is <= alpha. The family-wise
    error rate is at most alpha under any dependence between the p-values. Equal
    weights give Holm's procedure (the same numbers as statsmodels'
    ``multipletests(method="holm")``, which has no weights). NaN p-values are
    left out and come back as NaN.
    """
    p = np.asarray(pvalues, dtype=float)
    w = np.ones_like(p) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != p.shape:
        raise ValueError(f"{p.size} p-values but {w.size} weights")
    if np.any(~(w > 0)) or not np.all(np.isfinite(w)):
        raise ValueError("weights must be positive and finite")
    adjusted = np.full_like(p, np.nan)
    keep = np.flatnonzero(np.isfinite(p))
    order = keep[np.lexsort((keep, p[keep] / w[keep]))]
    remaining, running = float(w[keep].sum()), 0.0
    for i in order:
        running = max(running, min(1.0, p[i] * remaining / w[i]))
        adjusted[i] = running
        remaining -= w[i]
    return adjusted


def closed_verdict(nulls: Sequence[str], pvalues: Sequence[float],
                   weights: Sequence[float] | None = None) -> np.ndarray:
    """Adjusted p-values of the battery's verdict (the rule of :func:`gausstest.assess`).

    With one null the results are one family, adjusted by :func:`weighted_holm`.
    With both, the two questions are nested: H_std (z ~ N(0, I)) is one of the
    H_gauss (z ~ N(mu, Sigma)), so H_std is the intersection of the two and the
    closed testing principle (Marcus, Peritz & Gabriel 1976, Biometrika 63, 655-660)
    applies:

    * H_std is tested by weighted Holm over *all* the results (every test of either
      null has level alpha when z ~ N(0, I)); a standard-null result's adjusted
      p-value is its value in that union.
    * H_gauss is rejected only when its own family rejects *and* H_std is rejected:
      a composite-null result's adjusted p-value is the larger of its weighted Holm
      value within the composite family and the union's smallest.

    The family-wise error over both questions stays at alpha. The verdict ("fail"
    when some adjusted p-value is <= alpha) is the rejection of H_std, and its
    p-value, the smallest adjusted p-value, is the union's smallest.
    """
    nulls = list(nulls)
    p = np.asarray(pvalues, dtype=float)
    w = np.ones_like(p) if weights is None else np.asarray(weights, dtype=float)
    if len(set(nulls)) <= 1:
        return weighted_holm(p, w)
    union = weighted_holm(p, w)
    gate = float(np.nanmin(union)) if np.isfinite(union).any() else 1.0
    adjusted = union.copy()
    comp = np.array([x != "standard" for x in nulls])
    adjusted[comp] = np.maximum(weighted_holm(p[comp], w[comp]), gate)
    return adjusted


def _finding_text(x) -> str:
    """A diagnosis as one line: [question] text (supporting tests)."""
    label = {"prior_match": "prior match"}.get(x.question, x.question)
    shown = ", ".join(x.tests[:4]) + (f" and {len(x.tests) - 4} more" if len(x.tests) > 4 else "")
    tests = f" (rejected: {shown})" if x.tests and x.kind != "unexplained" else ""
    return f"[{label}] {x.text}{tests}"


#: rows the diagnoses read at most: a sample streamed from a large file (see
#: Sample.streamed) is diagnosed on a seeded, sorted subsample of this many rows, so the
#: report keeps its bounded memory (the tests themselves saw every row they state)
DIAGNOSIS_MAX_ROWS = 50_000


def _diagnosis_rows(sample):
    """The sample the diagnoses read: itself when it is in memory; else an in-memory
    copy of at most DIAGNOSIS_MAX_ROWS of its rows (seeded), leaving it unmaterialised."""
    source = getattr(sample, "source", None)
    if source is not None and source.shape[0] != sample.n:
        # exact all-row moments over a Dask array, with its in-memory subsample as rows
        from .sample import Sample

        return Sample(np.asarray(source, dtype=np.float64))
    if not getattr(sample, "streamed", False):
        return sample
    if sample.n <= DIAGNOSIS_MAX_ROWS:
        return sample.take(np.arange(sample.n))
    idx = np.sort(np.random.default_rng(20261202).choice(sample.n, DIAGNOSIS_MAX_ROWS,
                                                         replace=False))
    return sample.take(idx)


@dataclass(frozen=True, kw_only=True)
class Report:
    """Results of a battery, the verdict (weighted Holm, closed over the two nulls) and findings."""

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
    weights: tuple[float, ...] = ()
    #: one record per cause (:mod:`gausstest.diagnosis`); ``findings`` are their texts
    diagnoses: tuple = ()
    #: VAE posterior summary (:func:`gausstest.assess_posterior`), else None
    posterior: dict | None = None
    #: the validated sample the battery ran on, kept for :meth:`plot` and the HTML
    #: pictures; never serialised (not in :meth:`to_dict`)
    sample: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def build(cls, *, sample, null, alpha, results, weights=None, skipped=(), notes=(),
              source=None) -> Report:
        from .registry import REGISTRY

        weights = [1.0] * len(results) if weights is None else [float(w) for w in weights]
        adjusted = closed_verdict([r.null for r in results], [r.pvalue for r in results], weights)
        reject = adjusted <= alpha
        from .diagnosis import diagnose
        from .questions import answer_questions

        questions = answer_questions([(r.test, r.null) for r in results], adjusted, alpha, null)
        rows = _diagnosis_rows(sample)
        diagnoses = diagnose(rows, results, [bool(x) for x in reject], questions=questions)
        if rows.n < sample.n:
            notes = (*notes, f"the diagnoses read a seeded subsample of {rows.n} of "
                             f"{sample.n} rows (a streamed sample; the tests' rows are stated "
                             "with each test)")
        findings = [_finding_text(x) for x in diagnoses]
        verdict = "fail" if reject.any() else "pass"
        if verdict == "pass":
            findings.insert(0, f"no test rejects at family-wise alpha = {alpha} (weighted Holm over "
                               f"{len(results)} result{'' if len(results) == 1 else 's'})")
        return cls(
            n=sample.n, d=sample.d, alpha=alpha, null=null, results=tuple(results),
            adjusted_pvalues=tuple(float(a) for a in adjusted),
            rejected=tuple(bool(x) for x in reject), verdict=verdict,
            findings=tuple(findings), skipped=tuple(skipped), notes=tuple(notes), source=source,
            weights=tuple(weights), diagnoses=tuple(diagnoses), sample=sample,
        )

    def with_source(self, source: str) -> Report:
        from dataclasses import replace

        return replace(self, source=source)

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    @property
    def questions(self) -> dict[str, Any]:
        """``{"prior_match": Question | None, "shape": ..., "coverage": ...}``: each asked
        question's verdict and family-wise p-value (:mod:`gausstest.questions`)."""
        from .questions import answer_questions

        return answer_questions([(r.test, r.null) for r in self.results], self.adjusted_pvalues,
                                self.alpha, self.null)

    @property
    def verdict_pvalue(self) -> float:
        """The verdict's p-value: it fails exactly when this is <= ``alpha``."""
        adj = np.asarray(self.adjusted_pvalues, dtype=float)
        return float(np.nanmin(adj)) if np.isfinite(adj).any() else 1.0

    def result(self, test: str, null: str | None = None) -> TestResult:
        """The result of ``test`` (a code or an alias, e.g. "prior_match"; under ``null``
        if it ran under both)."""
        from .registry import canonical_code

        test = canonical_code(test)
        for r in self.results:
            if r.test == test and (null is None or r.null == null):
                return r
        raise KeyError(f"no result for {test!r}" + (f" under null={null!r}" if null else ""))

    def to_dict(self) -> dict[str, Any]:
        from . import __version__

        prior = next((r for r in self.results if r.test == "prior_moments"), None)
        rows = []
        weights = self.weights or (1.0,) * len(self.results)
        for r, adj, rej, w in zip(self.results, self.adjusted_pvalues, self.rejected, weights):
            row = r.to_dict()
            row["adjusted_pvalue"] = jsonable(adj)
            row["verdict_weight"] = w
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
            "questions": {k: None if q is None else jsonable(q.to_dict())
                          for k, q in self.questions.items()},
            "verdict": self.verdict,
            "verdict_pvalue": jsonable(floor_pvalue(self.verdict_pvalue)),
            "findings": list(self.findings),
            "diagnoses": [x.to_dict() for x in self.diagnoses],
            "prior": None if prior is None else jsonable({
                k: prior.details[k] for k in (
                    "kl", "w2", "mean_norm", "average_variance", "collapsed_dimensions",
                    "max_abs_correlation", "max_correlation_pair", "null_reference")
                if k in prior.details}),
            "posterior": None if self.posterior is None else jsonable({
                k: v for k, v in self.posterior.items() if k != "covariance"}
                | {"covariance": np.asarray(self.posterior["covariance"]).tolist()}),
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

    def to_html(self, *, images: bool = True) -> str:
        """Self-contained HTML; with ``images`` (and matplotlib) the pictures of
        :mod:`gausstest.plots` are embedded as base64 PNGs, else it says how to get them."""
        return render_html(self.to_dict(), images=self._images() if images else None)

    def _images(self) -> list[dict[str, str]] | str:
        """Base64 PNGs for the HTML, or a sentence saying why there are none."""
        from . import plots

        if not plots.have_matplotlib():
            return plots.PLOTS_HINT
        if self.sample is None:
            return "no pictures: this report keeps no sample"
        return plots.png_images(self)

    def plot(self, *, title: str | None = None):
        """One matplotlib figure with every picture of :mod:`gausstest.plots` (radii
        against chi2(d) and the Beta law, the worst direction, the worst coordinates, the
        covariance spectrum, coverage by radius). Needs matplotlib (the ``plots`` extra)."""
        from .plots import overview

        return overview(self, title=title)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return (f"Report(n={self.n}, d={self.d}, verdict={self.verdict!r}, "
                f"results={len(self.results)}, rejected={sum(self.rejected)})")


# ------------------------------------------------------------------ renderers

def _fmt(x: Any, digits: int = 4) -> str:
    """A number as a person writes it: no "-0", values below 1e-12 in magnitude print as 0."""
    if x is None:
        return "-"
    if isinstance(x, float):
        if abs(x) < 1e-12:
            return "0"
        if abs(x) < 1e-3 or abs(x) >= 1e5:
            return f"{x:.{digits - 1}e}"
        return f"{x:.{digits}g}"
    return str(x)


_QUESTION_LABELS = {"prior_match": "prior match", "shape": "shape", "coverage": "coverage"}


def _fmt_p(p: Any) -> str:
    """A p-value as a person writes it: 3 significant digits, floored at PVALUE_FLOOR."""
    if p is None:
        return "-"
    p = float(p)
    if p <= PVALUE_FLOOR:
        return f"< {PVALUE_FLOOR:.0e}"
    return f"{p:.2g}" if p < 0.001 else f"{p:.3g}"


def _p_eq(p: Any) -> str:
    """"p = 0.0011" or "p < 1e-16"."""
    text = _fmt_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def _question_rows(doc: dict) -> list[tuple[str, str, str, str, str]]:
    """(label, VERDICT, p, hypothesis, tests) of each asked question, in report order."""
    out = []
    for name, q in (doc.get("questions") or {}).items():
        if q is None:
            continue
        rej = list(q.get("rejected_tests") or [])
        tests = (", ".join(rej[:5]) + (f" and {len(rej) - 5} more" if len(rej) > 5 else "")
                 if rej else "none")
        out.append((_QUESTION_LABELS.get(name, name), q["verdict"].upper(), _fmt_p(q["pvalue"]),
                    q["hypothesis"], tests))
    return out


def _not_asked(doc: dict) -> list[str]:
    return [_QUESTION_LABELS.get(k, k) for k, q in (doc.get("questions") or {}).items() if q is None]


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


def _posterior_lines(doc: dict) -> list[str]:
    """The VAE posterior block (text and Markdown share it), or nothing."""
    post = doc.get("posterior")
    if not post:
        return []
    d = post["d"]
    act_b = sum(bool(x) for x in post["active_burda"])
    act_c = sum(bool(x) for x in post["active_calibrated"])
    kl = post["kl_per_dimension"]
    out = ["", f"VAE posterior (n = {post['n']}, d = {d}): active units {act_b} of {d} "
           f"(Burda et al.: Var(mu) > 0.01), {act_c} of {d} (Var(mu) > 1% of the aggregate "
           f"variance); inactive: {post['inactive'] or 'none'}",
           f"  KL(q(z_j|x) || N(0, 1)) averaged over x, nats: total {_fmt(post['kl_total'], 3)}; "
           + ", ".join(f"{j}: {_fmt(float(k), 2)}" for j, k in enumerate(kl[:32]))
           + (" ..." if len(kl) > 32 else ""),
           f"  aggregate posterior: |mean| = {_fmt(float(np.linalg.norm(post['mean'])), 3)}, "
           f"variances {_fmt(float(min(np.diag(post['covariance']))), 3)} to "
           f"{_fmt(float(max(np.diag(post['covariance']))), 3)}, KL(N(mean, cov) || N(0, I)) = "
           f"{_fmt(post['aggregate_kl'], 3)}"]
    return out


def render_json(doc: dict, indent: int | None = 2) -> str:
    return json.dumps(doc, indent=indent, allow_nan=False)


def render_text(doc: dict) -> str:
    lines = []
    head = f"gausstest report: n = {doc['n']}, d = {doc['d']}"
    if doc.get("source"):
        head = f"{doc['source']}: " + head
    lines.append(head)
    lines.append("")
    k = len(doc["results"])
    lines.append(f"questions (family-wise alpha = {doc['alpha']} over "
                 f"{'the 1 result' if k == 1 else f'all {k} results'}, closed testing):")
    for label, verdict, p, hyp, tests in _question_rows(doc):
        lines.append(f"  {label:<12} {verdict:<4}  {'p ' + p if p.startswith('<') else 'p = ' + p:<12}"
                     f"  rejected: {tests}")
    missing = _not_asked(doc)
    if missing:
        lines.append(f"  not asked: {', '.join(missing)}")
    lines.append("")
    lines.append(f"verdict: {doc['verdict'].upper()} (weighted Holm, alpha = {doc['alpha']}, "
                 f"{_p_eq(doc['verdict_pvalue'])})")
    lines.append("")
    lines.append("findings:")
    lines += [f"  - {f}" for f in doc["findings"]]
    lines += _posterior_lines(doc)
    if doc.get("prior"):
        lines.append("")
        lines.append(_prior_line(doc))
    for title, rows in _grouped(doc):
        lines.append("")
        lines.append(title)
        w = max(len(r["test"]) for r in rows)
        lines.append(f"  {'test':<{w}}  {'statistic':>11}  {'p-value':>9}  {'adj. p':>9}  "
                     f"{'effect':>10}  method")
        for r in rows:
            mark = "  <- rejects" if r["rejected"] else ""
            lines.append(
                f"  {r['test']:<{w}}  {_fmt(r['statistic']):>11}  {_fmt_p(r['pvalue']):>9}  "
                f"{_fmt_p(r['adjusted_pvalue']):>9}  {_fmt(r['effect'], 3):>10}  "
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
    source = f": `{doc['source'].replace('`', '')}`" if doc.get("source") else ""
    out = [f"# gausstest report{source}", "",
           f"n = {doc['n']}, d = {doc['d']}", "", "## Questions", "",
           "| question | verdict | p-value | null hypothesis | rejected tests |", "|---|---|---:|---|---|"]
    out += [f"| {label} | **{verdict}** | {p} | {hyp} | {tests} |"
            for label, verdict, p, hyp, tests in _question_rows(doc)]
    missing = _not_asked(doc)
    out += ["", f"Family-wise alpha = {doc['alpha']} over {_results_count(doc)} "
                "(weighted Holm, closed testing)." + (f" Not asked: {', '.join(missing)}."
                                                       if missing else ""),
            "", f"**Verdict: {doc['verdict'].upper()}** ({_p_eq(doc['verdict_pvalue'])})",
            "", "## Findings", ""]
    out += [f"- {f}" for f in doc["findings"]]
    if doc.get("prior"):
        out += ["", _prior_line(doc)]
    post = _posterior_lines(doc)
    if post:
        out += ["", "## VAE posterior", ""] + [f"- {x.strip()}" for x in post[1:]]
    for title, rows in _grouped(doc):
        out += ["", f"## {title}", "",
                "(**bold**: rejected at the family-wise alpha)", "",
                "| test | statistic | p-value | adj. p | effect | p-value method |",
                "|---|---:|---:|---:|---:|---|"]
        for r in rows:
            name = f"**{r['test']}**" if r["rejected"] else r["test"]
            out.append(f"| {name} | {_fmt(r['statistic'])} | {_fmt_p(r['pvalue'])} | "
                       f"{_fmt_p(r['adjusted_pvalue'])} | {_fmt(r['effect'], 3)} | "
                       f"{r['pvalue_info']['description']} |")
    if doc["skipped"]:
        out += ["", "## Skipped", ""] + [f"- {s['test']} [{s['null']}]: {s['reason']}"
                                         for s in doc["skipped"]]
    if doc["notes"]:
        out += ["", "## Notes", ""] + [f"- {s}" for s in doc["notes"]]
    return "\n".join(out) + "\n"


_REJ = " class='rej'"


def _prior_line(doc: dict) -> str:
    """The fitted Gaussian against N(0, I) in one line (every format shows it), each
    summary beside what a sample of N(0, I) itself gives at this n, d (sampling noise)."""
    p = doc["prior"]
    ref = p.get("null_reference") or {}
    dims = p["collapsed_dimensions"]

    def at(key: str, text: str | None = None) -> str:
        if key not in ref:
            return ""
        return f" [{text if text is not None else _fmt(ref[key], 3)}]"

    var_ref = (f"{_fmt(ref['average_variance'], 4)}, sd {_fmt(ref['average_variance_sd'], 2)}"
               if "average_variance_sd" in ref else None)
    corr_ref = (f"< {_fmt(ref['max_abs_correlation_95'], 3)} in 95%"
                if "max_abs_correlation_95" in ref else None)
    head = ("fitted Gaussian vs N(0, I) [what N(0, I) itself gives at this n, d]: " if ref
            else "fitted Gaussian vs N(0, I): ")
    corr = (f", max |corr| = {_fmt(p['max_abs_correlation'])}{at('max_abs_correlation_95', corr_ref)}"
            if doc.get("d", 2) > 1 else "")
    return (head +
            f"KL = {_fmt(p['kl'])}{at('kl')}, W2 = {_fmt(p['w2'])}{at('w2')}, "
            f"|mean| = {_fmt(p['mean_norm'])}{at('mean_norm')}, "
            f"average variance = {_fmt(p['average_variance'])}{at('average_variance', var_ref)}"
            f"{corr}, collapsed dims = {', '.join(str(j) for j in dims) if dims else 'none'}")


def _results_count(doc: dict) -> str:
    k = len(doc["results"])
    return "the 1 result" if k == 1 else f"all {k} results"


def combine_html(pages: list[str]) -> str:
    """One HTML document from several of :func:`render_html`'s: the first one's head, then
    every body, separated by a rule (two whole documents back to back are not HTML)."""
    if len(pages) == 1:
        return pages[0]
    head = pages[0].split("<body>", 1)[0]
    bodies = [p.split("<body>", 1)[1].rsplit("</body>", 1)[0] for p in pages]
    return head + "<body>" + "<hr>".join(bodies) + "</body></html>"


def render_html(doc: dict, images: list[dict[str, str]] | str | None = None) -> str:
    """HTML of ``doc``; ``images`` ([{"name", "title", "png_base64"}], embedded as data
    URIs so the page needs no network) or a sentence saying why there are none."""
    e = _html.escape
    colour = "#1a7f37" if doc["verdict"] == "pass" else "#cf222e"
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>gausstest report</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em}"
        "td.num{text-align:right;font-variant-numeric:tabular-nums}tr.rej{background:#ffebe9}"
        "div.plots{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}"
        "figure img{max-width:34em}</style>",
        "</head><body>",
        f"<h1>gausstest report{': ' + e(doc['source']) if doc.get('source') else ''}</h1>",
        f"<p>n = {doc['n']}, d = {doc['d']}.</p>",
        "<h2>Questions</h2><table><tr><th>question</th><th>verdict</th><th>p-value</th>"
        "<th>null hypothesis</th><th>rejected tests</th></tr>",
        *[f"<tr{_REJ if verdict == 'FAIL' else ''}><td>{e(label)}</td>"
          f"<td><strong>{verdict}</strong></td><td class='num'>{e(p)}</td><td>{e(hyp)}</td>"
          f"<td>{e(tests)}</td></tr>" for label, verdict, p, hyp, tests in _question_rows(doc)],
        "</table>",
        f"<p>Family-wise alpha = {doc['alpha']} over {_results_count(doc)} "
        "(weighted Holm, closed testing)."
        + (f" Not asked: {e(', '.join(_not_asked(doc)))}." if _not_asked(doc) else "") + "</p>",
        f"<p>Verdict: <strong style='color:{colour}'>"
        f"{doc['verdict'].upper()}</strong> ({e(_p_eq(doc['verdict_pvalue']))}).</p>",
        "<h2>Findings</h2><ul>", *[f"<li>{e(f)}</li>" for f in doc["findings"]], "</ul>",
        *([f"<p>{e(_prior_line(doc))}</p>"] if doc.get("prior") else []),
    ]
    post = _posterior_lines(doc)
    if post:
        parts += ["<h2>VAE posterior</h2><ul>", *[f"<li>{e(x.strip())}</li>" for x in post[1:]],
                  "</ul>"]
    for title, rows in _grouped(doc):
        parts.append(f"<h2>{e(title)}</h2><p>Shaded rows: rejected at the family-wise "
                     "alpha.</p><table><tr><th>test</th><th>statistic</th>"
                     "<th>p-value</th><th>adj. p</th><th>effect</th><th>p-value method</th></tr>")
        for r in rows:
            cls = " class='rej'" if r["rejected"] else ""
            parts.append(
                f"<tr{cls}><td>{e(r['test'])}</td><td class='num'>{e(_fmt(r['statistic']))}</td>"
                f"<td class='num'>{e(_fmt_p(r['pvalue']))}</td>"
                f"<td class='num'>{e(_fmt_p(r['adjusted_pvalue']))}</td>"
                f"<td class='num'>{e(_fmt(r['effect'], 3))}</td>"
                f"<td>{e(r['pvalue_info']['description'])}</td></tr>")
        parts.append("</table>")
    if doc["skipped"] or doc["notes"]:
        parts.append("<h2>Notes</h2><ul>")
        parts += [f"<li>skipped {e(s['test'])} [{e(s['null'])}]: {e(s['reason'])}</li>"
                  for s in doc["skipped"]]
        parts += [f"<li>{e(s)}</li>" for s in doc["notes"]]
        parts.append("</ul>")
    if isinstance(images, str):
        parts.append(f"<h2>Pictures</h2><p class='noplots'>{e(images)}</p>")
    elif images:
        parts.append("<h2>Pictures</h2><div class='plots'>")
        parts += [f"<figure id='plot-{e(im['name'])}'><img alt='{e(im['title'])}' "
                  f"src='data:image/png;base64,{im['png_base64']}'>"
                  f"<figcaption>{e(im['title'])}</figcaption></figure>" for im in images]
        parts.append("</div>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
