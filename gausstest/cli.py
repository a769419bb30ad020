"""Command line: ``gausstest report FILE...``, ``gausstest check FILE``, ``gausstest tests``.

Exit codes: 0 pass, 1 fail, 2 bad input or usage (worst over all inputs).
Defaults for ``--alpha``, ``--null``, ``--select``, ``--ignore``, ``--seed`` and
``--weights`` can
live in the ``[tool.gausstest]`` table of the pyproject.toml in the current folder
or its parents; flags win over it.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any, Sequence

from .errors import InputError

__all__ = ["main"]

#: 3 is an internal error (a bug): never read as an ordinary "fail" by a CI gate
EXIT_PASS, EXIT_FAIL, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors on one line (exit 2), not the whole usage block."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_INPUT, f"gausstest: error: {_one_line(message)} "
                              f"(see '{self.prog} --help')\n")


#: API phrases in messages, in command-line terms
_CLI_TERMS = [
    (re.compile(r"\s*\(CLI: [^)]*\)"), ""),
    (re.compile(r"\s*\(or key=\.\.\.\)"), ""),
    (re.compile(r"\s*\(key=\)"), ""),
    (re.compile(r"nan_policy='(\w+)'"), r"--nan-policy \1"),
    (re.compile(r"\bnull='(\w+)'"), r"--null \1"),
    (re.compile(r"\bkey=\.\.\."), "--key NAME"),
]


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _cli_message(exc: BaseException) -> str:
    """An error's message in CLI terms, on one line."""
    msg = getattr(exc, "cli_message", None) or str(exc) or type(exc).__name__
    for pattern, repl in _CLI_TERMS:
        msg = pattern.sub(repl, msg)
    return _one_line(msg)


def _error(text: str) -> None:
    print(f"gausstest: error: {_one_line(text)}", file=sys.stderr)


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

    p = _Parser(
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
        sp.add_argument("--max-npz-mb", type=float, metavar="MB",
                        help="largest .npz member decompressed, in MB (default 512, or "
                             "$GAUSSTEST_MAX_NPZ_MB); .npy files have no limit")

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


def _run_one(path: str, key: str | None, opts: dict, max_npz_mb: float | None):
    from .battery import assess
    from .io import load, show_path

    data = load(path, key=key, max_npz_mb=max_npz_mb)
    return assess(data, **opts).with_source(show_path(path))


def _check_options(opts: dict, args) -> None:
    """Every option error before any file is read, so it never carries a file's name."""
    from .battery import selected_pairs, verdict_weights

    if not 0 < opts["alpha"] < 1:
        raise InputError(f"--alpha must be in (0, 1); got {opts['alpha']}")
    if opts["rng"] < 0:
        raise InputError(f"--seed must be a non-negative integer; got {opts['rng']}")
    if args.max_npz_mb is not None and not (0 < args.max_npz_mb < float("inf")):
        raise InputError(f"--max-npz-mb must be a positive number; got {args.max_npz_mb}")
    if opts["nan_policy"] not in ("raise", "omit"):
        raise InputError(f"nan_policy must be 'raise' or 'omit'; got {opts['nan_policy']!r}")
    verdict_weights([], opts["weights"])
    selected_pairs(opts["tests"], opts["null"], opts["ignore"])


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except (OSError, ValueError, RuntimeError):
        return False


def _check_output(output: str, inputs: Sequence[str]) -> None:
    """Refuse an --output that is one of the inputs, a folder, or in a missing folder."""
    from .io import show_path

    out = Path(output)
    for inp in inputs:
        if _same_file(out, Path(inp)):
            raise InputError(f"--output {show_path(output)} is one of the input files; "
                             "writing the report there would destroy it: choose another path")
    try:
        if out.is_dir():
            raise InputError(f"--output {show_path(output)} is a folder; give a file path")
        parent = out.parent if str(out.parent) else Path(".")
        if not parent.is_dir():
            raise InputError(f"--output {show_path(output)}: folder {show_path(parent)} does "
                             "not exist; create it first")
    except OSError as exc:  # e.g. a name over 255 bytes
        raise InputError(f"--output {show_path(output)}: {exc.strerror or exc}") from None


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it over ``path``:
    readers see the old file or the whole new one, never a truncated one."""
    parent = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{path.name[:100]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            mode = os.stat(path).st_mode & 0o7777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _emit(text: str) -> bool:
    """Write to stdout; False when the reader has gone (a closed pipe, e.g. ``| head``)."""
    if not text:
        return True
    if sys.stdout is None:  # started with stdout closed
        return False
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):  # ValueError: stdout was closed in-process
        # point stdout at /dev/null so the interpreter's final flush cannot fail again
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return False
    return True


def _list_tests_text() -> str:
    from .battery import DEFAULT_BATTERY
    from .registry import list_tests

    lines = []
    for spec in list_tests():
        mark = "*" if spec.code in DEFAULT_BATTERY else " "
        lines.append(f"{mark} {spec.code:<22} {spec.family:<12} nulls: "
                     f"{', '.join(spec.nulls):<18} {spec.title}\n")
    lines.append("(* = in the default battery)\n")
    return "".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 pass, 1 fail, 2 bad input or usage).

    Every error is one line on stderr, never a traceback; 3 is an internal error (a bug).
    """
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("gausstest: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, and an exit code no CI reads as "fail"
        print(f"gausstest: internal error (please report it): {type(exc).__name__}: "
              f"{_one_line(str(exc))[:500]}", file=sys.stderr)
        return EXIT_INTERNAL


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse usage errors and --help/--version
        return exc.code if isinstance(exc.code, int) else EXIT_INPUT
    if args.command is None:
        _error("give a command: report, check or tests (see 'gausstest --help')")
        return EXIT_INPUT
    if args.command == "tests":
        _emit(_list_tests_text())
        return EXIT_PASS
    if args.example:
        from .io import example_path

        args.files.append(str(example_path()))
    if not args.files:
        _error(f"{args.command} needs at least one FILE (or --example)")
        return EXIT_INPUT
    try:
        opts = _options(args, _pyproject_config(Path.cwd()))
        _check_options(opts, args)
        if getattr(args, "output", None):
            _check_output(args.output, args.files)
    except (InputError, ValueError, TypeError) as exc:
        _error(_cli_message(exc))
        return EXIT_INPUT

    from .io import show_path

    worst = EXIT_PASS
    reports = []
    for path in args.files:
        shown = show_path(path)
        try:
            with warnings.catch_warnings():
                # extreme but finite data overflows intermediate sums (the statistics
                # handle it): numpy's warnings would put stack lines on stderr
                warnings.simplefilter("ignore", RuntimeWarning)
                rep = _run_one(path, args.key, opts, args.max_npz_mb)
        except (InputError, ValueError) as exc:
            msg = _cli_message(exc)
            _error(msg if msg.startswith(shown) else f"{shown}: {msg}")
            worst = EXIT_INPUT
            continue
        except MemoryError:
            _error(f"{shown}: out of memory")
            worst = EXIT_INPUT
            continue
        reports.append(rep)
        if not rep.passed:
            worst = max(worst, EXIT_FAIL)

    if args.command == "check":
        lines = []
        for rep in reports:
            if args.json:
                lines.append(rep.to_json() + "\n")
                continue
            lines.append(f"{rep.source}: {rep.verdict.upper()} (n = {rep.n}, d = {rep.d}, "
                         f"alpha = {rep.alpha})\n")
            if not rep.passed:
                lines += [f"  - {f}\n" for f in rep.findings]
        _emit("".join(lines))
        return worst

    if not reports:  # nothing to write: an existing --output is left as it was
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
            _write_atomic(Path(args.output), text)
        except OSError as exc:
            _error(f"cannot write --output {show_path(args.output)}: "
                   f"{exc.strerror or exc}")
            return EXIT_INPUT
    else:
        _emit(text)
    return worst


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
