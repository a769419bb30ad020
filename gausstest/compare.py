"""Compare several latent samples (encoders) side by side: :func:`compare`.

Each sample gets the same battery (:func:`gausstest.assess` with the same options),
and the :class:`Comparison` lays the reports side by side: the verdict of each of the
three questions (prior match, shape, coverage), each test's effect, and a ranking.

Ranking: first by how many of the three questions fail, then by the mean rank of the
sample's effects over the (test, null) pairs every sample ran (effects are n-free
estimates of the distance each test measures; a smaller absolute effect is closer to
the null, as some effects are signed, e.g. Mardia's kurtosis; ties share the mean
rank; Mardia's skewness under the standard null is shown but not ranked, as its b1 shrinks
with the scale: :data:`UNRANKED`). So among encoders that all fail at a large n, the one closer
to N(0, I) on most tests still comes first. The numbers in the table are those of
``assess`` on each sample alone: nothing is recomputed or pooled.

Renderers are pure functions of :meth:`Comparison.to_dict` (text, Markdown, JSON);
HTML also shows each picture of :mod:`gausstest.plots` side by side.
"""

from __future__ import annotations

import html as _html
import json
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from .errors import InputError
from .report import Report, _fmt

__all__ = ["compare", "Comparison", "QUESTIONS"]

SCHEMA_VERSION = 1

#: the three questions, as the report groups its results
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("prior", "prior match (z ~ N(0, I))"),
    ("shape", "shape (z ~ N(mu, Sigma))"),
    ("coverage", "coverage (fills the prior)"),
)


def _question(row: dict) -> str:
    if row["family"] == "coverage":
        return "coverage"
    return "prior" if row["null"] == "standard" else "shape"


def question_verdicts(doc: dict) -> dict[str, str]:
    """"pass" / "fail" / "not run" per question, from a report's ``to_dict()``."""
    out = {}
    for key, _ in QUESTIONS:
        rows = [r for r in doc["results"] if _question(r) == key]
        out[key] = "not run" if not rows else ("fail" if any(r["rejected"] for r in rows) else "pass")
    return out


#: (test:null) effects left out of the ranking: not a distance from the null. Mardia's b1
#: about the prior's origin and scale grows with skew but shrinks as the scale^6: a shrunk,
#: clearly failing encoder (tanh latents, b1 = 0.03) had ranked above N(0, I) (b1 = 1.08)
UNRANKED = frozenset({"mardia_skewness:standard"})


def _rank(values: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(values, method="average")


@dataclass(frozen=True)
class Comparison:
    """Reports of several samples under one battery, ranked. ``names[i]`` labels
    ``reports[i]``; ``order`` lists indices best first."""

    names: tuple[str, ...]
    reports: tuple[Report, ...]

    def _keys(self) -> list[str]:
        """(test:null) pairs that every report ran, in the first report's order."""
        sets = [{f"{r.test}:{r.null}" for r in rep.results} for rep in self.reports]
        common = set.intersection(*sets) if sets else set()
        return [f"{r.test}:{r.null}" for r in self.reports[0].results
                if f"{r.test}:{r.null}" in common] if self.reports else []

    def to_dict(self) -> dict[str, Any]:
        from . import __version__

        docs = [rep.to_dict() for rep in self.reports]
        keys = self._keys()
        effects = np.full((len(docs), len(keys)), np.nan)
        names_of: dict[str, str | None] = {}
        for i, doc in enumerate(docs):
            by = {f"{r['test']}:{r['null']}": r for r in doc["results"]}
            for j, k in enumerate(keys):
                e = by[k]["effect"]
                effects[i, j] = np.nan if e is None else abs(float(e))
                names_of[k] = by[k].get("effect_name")
        ranks = np.full_like(effects, np.nan)
        for j, k in enumerate(keys):
            if k in UNRANKED:
                continue
            ok = np.isfinite(effects[:, j])
            if ok.sum() >= 1:
                ranks[ok, j] = _rank(effects[ok, j])
        with np.errstate(invalid="ignore"):
            mean_rank = np.array([np.nanmean(r) if np.isfinite(r).any() else np.nan for r in ranks])
        verdicts = [question_verdicts(doc) for doc in docs]
        failed = [sum(v == "fail" for v in q.values()) for q in verdicts]
        order = sorted(range(len(docs)), key=lambda i: (
            failed[i], mean_rank[i] if np.isfinite(mean_rank[i]) else np.inf, i))
        rows = []
        for place, i in enumerate(order, start=1):
            doc = docs[i]
            by = {f"{r['test']}:{r['null']}": r for r in doc["results"]}
            rows.append({
                "rank": place, "name": self.names[i], "source": doc.get("source"),
                "n": doc["n"], "d": doc["d"], "verdict": doc["verdict"],
                "verdict_pvalue": doc["verdict_pvalue"], "questions": verdicts[i],
                "questions_failed": failed[i],
                "mean_effect_rank": None if not np.isfinite(mean_rank[i]) else float(mean_rank[i]),
                "effects": {k: by[k]["effect"] for k in keys},
                "rejected": {k: by[k]["rejected"] for k in keys},
                "findings": doc["findings"],
                "report": doc,
            })
        notes = []
        if len({doc["n"] for doc in docs}) > 1:
            notes.append("the samples have different n: verdicts depend on n (a larger sample "
                         "detects smaller effects), effects do not")
        if len({doc["d"] for doc in docs}) > 1:
            notes.append("the samples have different d: effects of some tests grow with d")
        return {
            "schema_version": SCHEMA_VERSION, "gausstest_version": __version__,
            "ranking": "questions failed, then mean rank of |effect| over the tests all ran "
                       "(smaller = closer to the null), except "
                       + ", ".join(sorted(UNRANKED)) + " (see gausstest.compare.UNRANKED)",
            "tests": keys,
            "effect_names": {k: names_of.get(k) for k in keys},
            "rows": rows, "notes": notes,
        }

    @property
    def ranking(self) -> list[str]:
        """Names, best first."""
        return [r["name"] for r in self.to_dict()["rows"]]

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def to_text(self) -> str:
        return render_text(self.to_dict())

    def to_markdown(self) -> str:
        return render_markdown(self.to_dict())

    def to_html(self, *, images: bool = True) -> str:
        pics = None
        if images:
            from . import plots

            if not plots.have_matplotlib():
                pics = plots.PLOTS_HINT
            else:
                by_name = dict(zip(self.names, self.reports))
                pics = {name: plots.png_images(rep) if rep.sample is not None else []
                        for name, rep in by_name.items()}
        return render_html(self.to_dict(), images=pics)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        return self.to_text()


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for nm in names:
        if nm in seen:
            seen[nm] += 1
            nm = f"{nm} ({seen[nm]})"
        else:
            seen[nm] = 1
        out.append(nm)
    return out


def compare(samples: Mapping[str, Any] | Sequence[Any], *, names: Sequence[str] | None = None,
            **assess_options: Any) -> Comparison:
    """Run the same battery on several latent samples and rank them side by side.

    Parameters
    ----------
    samples : mapping name -> array, or sequence of arrays or :class:`Report`
        Each (n, d) sample (anything :func:`gausstest.assess` takes). A ready
        :class:`Report` is used as it is (then ``assess_options`` do not apply to it).
    names : sequence of str, optional
        Labels for a sequence (default: each report's source, else "sample 1", ...).
    **assess_options
        Passed to :func:`gausstest.assess` for every sample (``null``, ``alpha``,
        ``tests``, ``rng``, ``progress``, ...), so every sample gets the same battery
        and seeds.

    Returns
    -------
    Comparison
        ``ranking`` (names, best first), ``to_text()``, ``to_markdown()``,
        ``to_json()``, ``to_html()`` (pictures side by side), ``reports``.

    Examples
    --------
    >>> import numpy as np, gausstest as gt
    >>> g = np.random.default_rng(0)
    >>> good, squashed = g.standard_normal((300, 3)), g.standard_normal((300, 3)) * [1, 1, 0.1]
    >>> c = gt.compare({"good": good, "squashed": squashed}, tests=["prior_match", "radii"])
    >>> c.ranking
    ['good', 'squashed']

    The sample with a collapsed coordinate fails prior match and ranks last.
    """
    from .battery import assess
    from .errors import OptionError

    if getattr(samples, "ndim", None) == 2:
        raise OptionError("compare takes several samples (a list or a dict of (n, d) arrays); "
                          "for one (n, d) array use gausstest.assess")

    if isinstance(samples, Mapping):
        labels, items = list(samples.keys()), list(samples.values())
    else:
        items = list(samples)
        labels = list(names) if names is not None else [
            (it.source if isinstance(it, Report) and it.source else f"sample {i + 1}")
            for i, it in enumerate(items)]
    if names is not None and isinstance(samples, Mapping):
        labels = list(names)
    if not items:
        raise ValueError("compare needs at least one sample")
    if len(labels) != len(items):
        raise ValueError(f"{len(items)} samples but {len(labels)} names")
    labels = _unique([str(x) for x in labels])
    from .progress import Progress, make_progress

    progress = assess_options.pop("progress", None)
    reports = []
    for label, it in zip(labels, items):
        shown = progress if isinstance(progress, Progress) else make_progress(progress, label)
        try:
            rep = it if isinstance(it, Report) else assess(it, progress=shown, **assess_options)
        except InputError as exc:  # say which sample
            if exc.args and isinstance(exc.args[0], str) and not exc.args[0].startswith(label):
                exc.args = (f"{label}: {exc.args[0]}", *exc.args[1:])
                if getattr(exc, "cli_message", None):
                    exc.cli_message = f"{label}: {exc.cli_message}"
            raise
        reports.append(rep if rep.source else rep.with_source(label))
    return Comparison(names=tuple(labels), reports=tuple(reports))


# ------------------------------------------------------------------ renderers

def _short(key: str) -> str:
    test, _, null = key.partition(":")
    return f"{test} [{'std' if null == 'standard' else 'gauss'}]"


def _cell(row: dict, key: str) -> str:
    return _fmt(row["effects"][key], 3) + ("*" if row["rejected"][key] else "")


def render_text(doc: dict) -> str:
    rows = doc["rows"]
    w = max([4] + [len(r["name"]) for r in rows])
    lines = ["gausstest compare: ranked by " + doc["ranking"], ""]
    lines.append(f"{'rank':>4}  {'name':<{w}}  {'n':>6}  {'d':>4}  {'verdict':<7}  "
                 f"{'prior':<7}  {'shape':<7}  {'coverage':<8}  {'effect rank':>11}")
    for r in rows:
        q = r["questions"]
        lines.append(f"{r['rank']:>4}  {r['name']:<{w}}  {r['n']:>6}  {r['d']:>4}  "
                     f"{r['verdict'].upper():<7}  {q['prior']:<7}  {q['shape']:<7}  "
                     f"{q['coverage']:<8}  {_fmt(r['mean_effect_rank'], 3):>11}")
    if doc["tests"]:
        lines += ["", "effects (* = rejected by the verdict; smaller |effect| = closer to the null)"]
        tw = max(len(_short(k)) for k in doc["tests"])
        cw = max(10, *(len(r["name"]) for r in rows))
        lines.append(f"  {'test':<{tw}}  " + "  ".join(f"{r['name']:>{cw}}" for r in rows))
        for k in doc["tests"]:
            lines.append(f"  {_short(k):<{tw}}  " + "  ".join(f"{_cell(r, k):>{cw}}" for r in rows))
    lines += ["", "findings:"]
    for r in rows:
        lines.append(f"  {r['name']}:")
        lines += [f"    - {f}" for f in r["findings"]]
    if doc["notes"]:
        lines += ["", "notes:"] + [f"  - {s}" for s in doc["notes"]]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|")


def render_markdown(doc: dict) -> str:
    rows = doc["rows"]
    out = ["# gausstest compare", "", f"Ranked by {doc['ranking']}.", "",
           "| rank | name | n | d | verdict | prior match | shape | coverage | mean effect rank |",
           "|---:|---|---:|---:|---|---|---|---|---:|"]
    for r in rows:
        q = r["questions"]
        out.append(f"| {r['rank']} | {_md(r['name'])} | {r['n']} | {r['d']} | **{r['verdict'].upper()}** | "
                   f"{q['prior']} | {q['shape']} | {q['coverage']} | {_fmt(r['mean_effect_rank'], 3)} |")
    if doc["tests"]:
        out += ["", "## Effects", "", "Smaller |effect| is closer to the null; * = rejected by the verdict.", "",
                "| test | effect | " + " | ".join(_md(r["name"]) for r in rows) + " |",
                "|---|---|" + "---:|" * len(rows)]
        for k in doc["tests"]:
            out.append(f"| {_short(k)} | {_md(doc['effect_names'].get(k) or '-')} | "
                       + " | ".join(_cell(r, k) for r in rows) + " |")
    out += ["", "## Findings", ""]
    for r in rows:
        out.append(f"**{r['name']}**")
        out.append("")
        out += [f"- {f}" for f in r["findings"]]
        out.append("")
    if doc["notes"]:
        out += ["## Notes", ""] + [f"- {s}" for s in doc["notes"]]
    return "\n".join(out).rstrip() + "\n"


def render_html(doc: dict, images: Mapping[str, list[dict]] | str | None = None) -> str:
    """HTML of the comparison; ``images`` maps each name to its pictures
    (:func:`gausstest.plots.png_images`), shown one row per picture, one column per
    sample, or is a sentence saying why there are none."""
    e = _html.escape
    rows = doc["rows"]
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>gausstest compare</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.3em .6em}td.num{text-align:right;"
        "font-variant-numeric:tabular-nums}td.fail{background:#ffebe9}td.pass{background:#dafbe1}"
        "table.plots img{max-width:24em}</style></head><body>",
        "<h1>gausstest compare</h1>", f"<p>Ranked by {e(doc['ranking'])}.</p>",
        "<h2>Ranking</h2><table><tr><th>rank</th><th>name</th><th>n</th><th>d</th><th>verdict</th>"
        "<th>prior match</th><th>shape</th><th>coverage</th><th>mean effect rank</th></tr>",
    ]
    for r in rows:
        q = r["questions"]
        cells = "".join(f"<td class='{q[k] if q[k] != 'not run' else ''}'>{e(q[k])}</td>"
                        for k, _ in QUESTIONS)
        parts.append(f"<tr><td class='num'>{r['rank']}</td><td>{e(r['name'])}</td>"
                     f"<td class='num'>{r['n']}</td><td class='num'>{r['d']}</td>"
                     f"<td class='{r['verdict']}'><strong>{r['verdict'].upper()}</strong></td>{cells}"
                     f"<td class='num'>{_fmt(r['mean_effect_rank'], 3)}</td></tr>")
    parts.append("</table>")
    if doc["tests"]:
        parts.append("<h2>Effects</h2><p>Smaller |effect| is closer to the null; shaded = rejected by "
                     "the verdict.</p><table><tr><th>test</th><th>effect</th>"
                     + "".join(f"<th>{e(r['name'])}</th>" for r in rows) + "</tr>")
        for k in doc["tests"]:
            cells = "".join(
                f"<td class='num{' fail' if r['rejected'][k] else ''}'>{_fmt(r['effects'][k], 3)}</td>"
                for r in rows)
            parts.append(f"<tr><td>{e(_short(k))}</td><td>{e(doc['effect_names'].get(k) or '-')}</td>"
                         f"{cells}</tr>")
        parts.append("</table>")
    parts.append("<h2>Findings</h2>")
    for r in rows:
        parts.append(f"<h3>{e(r['name'])}</h3><ul>" + "".join(f"<li>{e(f)}</li>" for f in r["findings"])
                     + "</ul>")
    if isinstance(images, str):
        parts.append(f"<h2>Pictures</h2><p class='noplots'>{e(images)}</p>")
    elif images:
        from .plots import PANELS

        parts.append("<h2>Pictures</h2><table class='plots'><tr><th></th>"
                     + "".join(f"<th>{e(r['name'])}</th>" for r in rows) + "</tr>")
        for stem, title in PANELS:
            cells = []
            for r in rows:
                im = next((i for i in images.get(r["name"], []) if i["name"] == stem), None)
                cells.append("<td></td>" if im is None else
                             f"<td><img alt='{e(r['name'])}: {e(title)}' "
                             f"src='data:image/png;base64,{im['png_base64']}'></td>")
            parts.append(f"<tr><th>{e(title)}</th>{''.join(cells)}</tr>")
        parts.append("</table>")
    if doc["notes"]:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{e(s)}</li>" for s in doc["notes"]) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
