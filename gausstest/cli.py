"""Command line: ``gausstest report FILE...``, ``gausstest check FILE``, ``gausstest tests``.

Exit codes: 0 pass, 1 fail, 2 bad input or usage (worst over all inputs).
Defaults for ``--alpha``, ``--null``, ``--select``, ``--ignore``, ``--seed`` and
``--weights`` can
live in the ``[tool.gausstest]`` table of the pyproject.toml in the current folder
or its parents; flags win over it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Sequence

from .errors import InputError

__all__ = ["main"]

EXIT_PASS, EXIT_FAIL, EXIT_INPUT = 0, 1, 2


def _pyproject_config(start: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    for folder in (start, *start.parents):
        path = folder / "pyproject.toml"
        if path.is_file():
            try:
                with path.open("rb") as fh:
                    data = tomllib.load(fh)
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise InputError(f"{path}: could not read [tool.gausstest] ({exc})") from None
            conf = data.get("tool", {}).get("gausstest", {})
            known = {"alpha", "null", "select", "ignore", "seed", "nan_policy", "weights"}
            unknown = set(conf) - known
            if unknown:
                raise InputError(f"{path}: unknown [tool.gausstest] keys {sorted(unknown)}; "
                                 f"known: {sorted(known)}")
            return conf
    return {}


def _csv_list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [t.strip() for t in text.split(",") if t.strip()]


def _weights(text: str) -> Any:
    """"equal" or "code=w,code:null=w" -> what :func:`gausstest.assess` takes."""
    if text.strip() == "equal":
        return "equal"
    out = {}
    for item in _csv_list(text) or []:
        key, sep, val = item.partition("=")
        try:
            out[key.strip()] = float(val)
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise InputError(f"--weights: expected 'equal' or code=weight pairs "
                             f"(e.g. radii=4,henze_zirkler:gaussian=2); got {item!r}")
    return out


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(
        prog="gausstest",
        description="Is this latent sample Gaussian? Calibrated multivariate normality diagnostics.",
        epilog="exit codes: 0 pass, 1 fail, 2 bad input or usage",
    )
    p.add_argument("--version", action="version", version=f"gausstest {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def common(sp):
        sp.add_argument("--null", choices=["standard", "gaussian", "both"],
                        help="standard: z ~ N(0, I); gaussian: z ~ N(mu, Sigma); both (default)")
        sp.add_argument("--alpha", type=float, help="family-wise level of the verdict (default 0.05)")
        sp.add_argument("--select", help="comma-separated test codes (or code:null) to run")
        sp.add_argument("--ignore", help="comma-separated test codes (or code:null) to leave out")
        sp.add_argument("--key", help="array name inside an .npz file")
        sp.add_argument("--seed", type=int, help="base seed of Monte Carlo p-values (default 0)")
        sp.add_argument("--weights", help="verdict weights: 'equal' (plain Holm) or "
                                          "code=w[,code:null=w...] over the defaults")
        sp.add_argument("--nan-policy", choices=["raise", "omit"],
                        help="rows with NaN/inf: fail with exit 2 (default) or drop them")
        sp.add_argument("--mu", metavar="KEY",
                        help="VAE posterior means: array KEY of an .npz (with --logvar); tests "
                             "the aggregate posterior and names inactive units")
        sp.add_argument("--logvar", metavar="KEY",
                        help="VAE posterior log-variances: array KEY of the same .npz (with --mu)")

    rep = sub.add_parser("report", help="print a report for each file")
    rep.add_argument("files", nargs="*", metavar="FILE", help=".npy, .npz, .csv or .txt")
    rep.add_argument("--example", action="store_true",
                     help="also report on the shipped example latents (2000 x 16 VAE-like means)")
    rep.add_argument("--format", choices=["text", "json", "markdown", "html"], default="text")
    rep.add_argument("--output", "-o", help="write the report here instead of stdout")
    common(rep)

    chk = sub.add_parser("check", help="pass/fail gate for CI: exit 0 pass, 1 fail, 2 bad input")
    chk.add_argument("files", nargs="*", metavar="FILE")
    chk.add_argument("--example", action="store_true", help="also check the shipped example latents")
    chk.add_argument("--json", action="store_true", help="print the JSON report instead of a summary")
    common(chk)

    sub.add_parser("tests", help="list the registered tests")
    return p


def _options(args, conf) -> dict[str, Any]:
    def pick(name, default):
        val = getattr(args, name, None)
        return conf.get(name, default) if val is None else val

    select = _csv_list(args.select) if args.select is not None else conf.get("select")
    ignore = _csv_list(args.ignore) if args.ignore is not None else conf.get("ignore", [])
    weights = args.weights if args.weights is not None else conf.get("weights")
    return {
        "null": pick("null", "both"),
        "alpha": float(pick("alpha", 0.05)),
        "tests": select,
        "ignore": ignore,
        "rng": int(pick("seed", 0)),
        "nan_policy": pick("nan_policy", "raise"),
        "weights": _weights(weights) if isinstance(weights, str) else weights,
    }


def _run_one(path: str, key: str | None, opts: dict, mu: str | None = None,
             logvar: str | None = None):
    from .battery import assess
    from .io import load

    if mu is not None or logvar is not None:
        from .posterior import assess_posterior

        if mu is None or logvar is None:
            raise InputError("--mu and --logvar go together: name both arrays of the .npz "
                             "(e.g. --mu mu --logvar logvar)")
        if opts.get("nan_policy") == "omit":
            raise InputError("--nan-policy omit is not available with --mu/--logvar; "
                             "drop the non-finite rows from both arrays first")
        post = {k: v for k, v in opts.items() if k != "nan_policy"}
        return assess_posterior(load(path, key=mu), load(path, key=logvar),
                                **post).with_source(path)
    data = load(path, key=key)
    return assess(data, **opts).with_source(path)


def _list_tests(out) -> int:
    from .battery import DEFAULT_BATTERY
    from .registry import list_tests

    for spec in list_tests():
        mark = "*" if spec.code in DEFAULT_BATTERY else " "
        print(f"{mark} {spec.code:<22} {spec.family:<12} nulls: {', '.join(spec.nulls):<18} "
              f"{spec.title}", file=out)
    print("(* = in the default battery)", file=out)
    return EXIT_PASS


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 pass, 1 fail, 2 bad input or usage)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse usage errors and --help/--version
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_INPUT
    if args.command == "tests":
        return _list_tests(sys.stdout)
    if args.example:
        from .io import example_path

        args.files.append(str(example_path()))
    if not args.files:
        print(f"gausstest: error: {args.command} needs at least one FILE (or --example)", file=sys.stderr)
        return EXIT_INPUT
    try:
        opts = _options(args, _pyproject_config(Path.cwd()))
        if not 0 < opts["alpha"] < 1:
            raise InputError(f"--alpha must be in (0, 1); got {opts['alpha']}")
    except (InputError, ValueError, TypeError) as exc:
        print(f"gausstest: error: {exc}", file=sys.stderr)
        return EXIT_INPUT

    worst = EXIT_PASS
    reports = []
    for path in args.files:
        try:
            rep = _run_one(path, args.key, opts, getattr(args, "mu", None),
                           getattr(args, "logvar", None))
        except (InputError, ValueError) as exc:
            print(f"gausstest: error: {exc}" if str(path) in str(exc)
                  else f"gausstest: error: {path}: {exc}", file=sys.stderr)
            worst = EXIT_INPUT
            continue
        except MemoryError:
            print(f"gausstest: error: {path}: out of memory", file=sys.stderr)
            worst = EXIT_INPUT
            continue
        reports.append(rep)
        if not rep.passed:
            worst = max(worst, EXIT_FAIL)

    if args.command == "check":
        for rep in reports:
            if args.json:
                print(rep.to_json())
                continue
            print(f"{rep.source}: {rep.verdict.upper()} (n = {rep.n}, d = {rep.d}, "
                  f"alpha = {rep.alpha})")
            if not rep.passed:
                for f in rep.findings:
                    print(f"  - {f}")
        return worst

    fmt = args.format
    if fmt == "json":
        import json

        docs = [r.to_dict() for r in reports]
        text = json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, allow_nan=False) + "\n"
    else:
        render = {"text": "to_text", "markdown": "to_markdown", "html": "to_html"}[fmt]
        text = ("\n" if fmt == "text" else "\n\n").join(getattr(r, render)() for r in reports)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"gausstest: error: cannot write {args.output}: {exc}", file=sys.stderr)
            return EXIT_INPUT
    elif text:
        sys.stdout.write(text)
    return worst


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
