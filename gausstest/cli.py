"""Command line: ``gausstest report FILE...``, ``gausstest check FILE``, ``gausstest tests``.

Exit codes: 0 pass, 1 fail, 2 bad input or usage (worst over all inputs).
Defaults for ``--alpha``, ``--null``, ``--select``, ``--ignore``, ``--seed``,
``--weights`` and the gate's ``--require`` / ``--max-effect`` can live in the
``[tool.gausstest]`` table of the nearest pyproject.toml (current folder or its
parents) or of the file named by ``--config``; flags win over it
(:mod:`gausstest.config` validates it, :mod:`gausstest.gate` applies the gate).
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

from .errors import FileReadError, InputError

__all__ = ["main"]

#: 3 is an internal error (a bug): never read as an ordinary "fail" by a CI gate
EXIT_PASS, EXIT_FAIL, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def _raised_by_a_library(exc: BaseException) -> bool:
    """A ValueError that numpy or scipy raised inside a statistic (not one of gausstest's
    own checks of the input or the options) is a bug, exit 3: it had been reported as bad
    input, exit 2, with numpy's words ("Too many bins for data range")."""
    if isinstance(exc, InputError):
        return False
    tb, last = exc.__traceback__, None
    while tb is not None:
        last, tb = tb, tb.tb_next
    if last is None:
        return False
    here = Path(__file__).resolve().parent
    return here not in Path(last.tb_frame.f_code.co_filename).resolve().parents


class _Once(argparse.Action):
    """An option that may be given once (a second --example had silently replaced the
    first)."""

    def __call__(self, parser, namespace, values, option_string=None):
        if getattr(namespace, self.dest, None) is not None:
            parser.error(f"{option_string} is given twice; give it once (gausstest compare "
                         "takes several --example NAME)")
        setattr(namespace, self.dest, values)


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
    (re.compile(r"Use z\[:, None\] for d = 1\."),
     "For d = 1 save it as one column: np.save(path, z.reshape(-1, 1))."),
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
    """Validated ``[tool.gausstest]`` values of the nearest pyproject.toml at or above
    ``start`` (:func:`gausstest.config.load_config`; kept for callers without ``--config``)."""
    from .config import load_config

    return dict(load_config(start=start).values)


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
        if key.strip() in out:
            raise InputError(f"--weights: {key.strip()} is given twice; give each code once")
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
        sp.add_argument("--quiet", "-q", action="store_true",
                        help="no progress display on stderr (shown only for slow runs)")
        sp.add_argument("--config", metavar="PATH",
                        help="TOML file with a [tool.gausstest] table (default: the nearest "
                             "pyproject.toml)")
        sp.add_argument("--mu", metavar="KEY",
                        help="VAE posterior means: array KEY of an .npz (with --logvar); tests "
                             "the aggregate posterior and names inactive units")
        sp.add_argument("--logvar", metavar="KEY",
                        help="VAE posterior log-variances: array KEY of the same .npz (with --mu)")

    rep = sub.add_parser("report", help="print a report for each file")
    rep.add_argument("files", nargs="*", metavar="FILE", help=".npy, .npz, .csv or .txt")
    rep.add_argument("--example", nargs="?", const="default", metavar="NAME", action=_Once,
                     help="also report on shipped latents: alone, the synthetic example (2000 x 16 "
                          "VAE-like means); with NAME, a trained encoder's held-out latents "
                          "(e.g. vae-d8, wae-d16; --example list shows them)")
    rep.add_argument("--format", choices=["text", "json", "markdown", "html"], default="text")
    rep.add_argument("--json", action="store_const", const="json", dest="format",
                     help="same as --format json")
    rep.add_argument("--output", "-o", help="write the report here instead of stdout")
    rep.add_argument("--plots", metavar="DIR",
                     help="also write PNG pictures (radii Q-Q, worst direction, marginals, "
                          "spectrum, coverage) into DIR as <file stem>-<picture>.png "
                          "(needs matplotlib: pip install 'gausstest[plots]')")
    common(rep)

    chk = sub.add_parser("check", help="pass/fail gate for CI: exit 0 pass, 1 fail, 2 bad input")
    chk.add_argument("files", nargs="*", metavar="FILE")
    chk.add_argument("--example", nargs="?", const="default", metavar="NAME", action=_Once,
                     help="also check shipped latents (alone: the synthetic example; NAME: an encoder's)")
    chk.add_argument("--format", choices=["text", "json"], default="text",
                     help="text: one line per file with the rules and findings; json: the "
                          "report with its 'gate' member (one object, or an array for "
                          "several files)")
    chk.add_argument("--json", action="store_true", help="same as --format json")
    chk.add_argument("--output", "-o",
                     help="write the decision here instead of stdout (e.g. the JSON as a CI "
                          "artifact); never over an input file")
    chk.add_argument("--require", metavar="Q[,Q]",
                     help="questions that must pass: prior_match, shape, coverage "
                          "(default: the plain verdict)")
    chk.add_argument("--max-effect", metavar="CODE=X[,...]",
                     help="largest tolerated effect per test, e.g. prior_match=0.05,energy=0.01: "
                          "fail only when a required question fails and a rejecting test's "
                          "effect exceeds its threshold")
    chk.add_argument("--exit-zero", action="store_true",
                     help="report the gate's decision but exit 0 on a fail (bad input stays 2)")
    common(chk)

    cmp_ = sub.add_parser("compare", help="rank several latent files side by side "
                                          "(exit 0 all pass, 1 some fail, 2 bad input)")
    cmp_.add_argument("files", nargs="*", metavar="FILE[:KEY]",
                      help=".npy, .csv, .txt, or .npz with :KEY naming the array (B.npz:z)")
    cmp_.add_argument("--example", action="append", default=[], metavar="NAME",
                      help="also compare a shipped latent file (repeatable; --example list "
                           "shows them)")
    cmp_.add_argument("--format", choices=["text", "json", "markdown", "html"], default="text")
    cmp_.add_argument("--json", action="store_const", const="json", dest="format",
                      help="same as --format json")
    cmp_.add_argument("--output", "-o", help="write the comparison here instead of stdout")
    common(cmp_)

    sub.add_parser("tests", help="list the registered tests")

    cal = sub.add_parser("calibrate", help="simulate and cache ahead of time the nulls that no "
                                           "shipped table covers at (n, d)")
    cal.add_argument("--n", type=int, required=True, help="rows of the samples to come")
    cal.add_argument("--d", type=int, required=True, help="columns of the samples to come")
    cal.add_argument("--tests", help="comma-separated test codes (default: the default battery)")
    cal.add_argument("--null", choices=["standard", "gaussian", "both"], default="both")
    cal.add_argument("--seed", type=int, default=0, help="base seed (as in report --seed)")
    return p


def _overridden(args, config) -> tuple[str, ...]:
    """Config keys that a flag overrides."""
    return tuple(k for k in config.keys if getattr(args, k, None) is not None)


def _gate(args, conf):
    from .config import parse_max_effect, parse_questions
    from .gate import Gate

    require = conf.get("require")
    if getattr(args, "require", None) is not None:
        require = parse_questions(args.require, where="--require", key="")
    max_effect = conf.get("max_effect")
    if getattr(args, "max_effect", None) is not None:
        max_effect = parse_max_effect(args.max_effect, where="--max-effect", key="")
    return Gate(require=None if require is None else tuple(require), max_effect=max_effect)


def _check_selection(opts: dict[str, Any], args, config) -> None:
    """Before any file is read: the selection runs some test. Where select, null or ignore
    came from the config file, the message says so (it had named --null and --select,
    which the user had not given)."""
    from .battery import selected_pairs
    from .errors import OptionError

    try:
        selected_pairs(opts["tests"], opts["null"], opts["ignore"])
    except OptionError as exc:
        from_file = [k for k in ("select", "null", "ignore")
                     if getattr(args, k, None) is None and k in config.values]
        # only the file's keys without which some test would run (an ignore = ["mmd"] in
        # the file had been blamed for --select coverage --null gaussian)
        defaults = {"select": ("tests", None), "null": ("null", "both"), "ignore": ("ignore", [])}

        def runs_without(keys: list[str]) -> bool:
            trial = dict(opts)
            for key in keys:
                name, value = defaults[key]
                trial[name] = value
            try:
                return bool(selected_pairs(trial["tests"], trial["null"], trial["ignore"]))
            except OptionError:
                return False

        # (each key that alone blocks every test; else all of them, when only together
        # they do: ignore = ["coverage"] and null = "gaussian" in the file with --select
        # coverage)
        single = [k for k in from_file if runs_without([k])]
        from_file = single or (from_file if runs_without(from_file) else [])
        if not from_file:
            raise
        raise OptionError(str(exc), cli=(
            f"{_cli_message(exc)} (set in {config.path}: [tool.gausstest] "
            f"{', '.join(from_file)}; edit it there or override it with "
            f"{', '.join('--' + k for k in from_file)})")) from None


def _gate_sources(args, config) -> tuple[str, str]:
    """Where the gate's require and max_effect came from, for error messages."""
    file = f"{config.path}: [tool.gausstest]"
    return ("--require" if getattr(args, "require", None) is not None else f"{file} require",
            "--max-effect" if getattr(args, "max_effect", None) is not None
            else f"{file} max_effect")


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
        "quiet": bool(getattr(args, "quiet", False)),
    }


def _run_one(path: str, key: str | None, opts: dict, mu: str | None = None,
             logvar: str | None = None, max_npz_mb: float | None = None):
    from .battery import assess
    from .io import load, show_path

    from .progress import Progress

    if mu is not None or logvar is not None:
        from .posterior import assess_posterior

        if mu is None or logvar is None:
            raise InputError("--mu and --logvar go together: name both arrays of the .npz "
                             "(e.g. --mu mu --logvar logvar)")
        if key is not None:
            raise InputError("--key with --mu/--logvar: the posterior mode reads the two "
                             "arrays --mu and --logvar name; drop --key")
        if Path(path).suffix.lower() != ".npz":
            raise InputError(f"{show_path(path)}: --mu/--logvar name two arrays of one .npz "
                             "file; save them with np.savez(path, mu=mu, logvar=logvar)")
        post = {k: v for k, v in opts.items() if k not in ("quiet",)}
        if opts.get("quiet"):
            post["progress"] = False
        arrays = []
        for flag, name in (("--mu", mu), ("--logvar", logvar)):
            try:
                arrays.append(load(path, key=name, max_npz_mb=max_npz_mb))
            except FileReadError as exc:
                raise FileReadError(str(exc).replace("choose with --key NAME",
                                                     f"choose with {flag} NAME")) from None
        return assess_posterior(*arrays, **post).with_source(show_path(path))
    data = load(path, key=key, max_npz_mb=max_npz_mb)
    opts = dict(opts)
    progress = Progress(Path(path).name, mode=False if opts.pop("quiet", False) else "auto")
    return assess(data, progress=progress, **opts).with_source(show_path(path))


def _exists(path: str) -> bool:
    """Path.exists that is False, not an OSError, for names the system refuses (too long)."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def _add_example(args) -> int | None:
    """Append the file of ``--example [NAME]`` to ``args.files``; ``--example list``
    prints the names. A NAME that is an existing file (``--example a.npy``, the flag
    used alone before a FILE) is taken as a FILE, with the default example."""
    from .io import example_path, examples

    name = args.example
    known = examples()
    if name == "list":
        for key, entry in known.items():
            if entry.get("kind") == "latent":
                extra = (f" (d = {entry['d']}, n = {entry['n']}, reconstruction MSE "
                         f"{entry['reconstruction_mse']})" if "d" in entry else "")
                print(f"{key:<14} {entry['contents']}{extra}")
        return EXIT_PASS
    if name not in known and _exists(name):
        args.files.insert(0, name)
        name = "default"
    try:
        args.files.append(str(example_path(name)))
    except InputError as exc:
        print(f"gausstest: error: --example: {exc}", file=sys.stderr)
        return EXIT_INPUT
    return None


def _split_key(arg: str, key: str | None) -> tuple[str, str | None]:
    """"B.npz:key" -> ("B.npz", "key") unless a file of that full name exists."""
    head, sep, tail = arg.rpartition(":")
    if sep and head.lower().endswith(".npz") and tail and not _exists(arg):
        return head, tail
    return arg, key


def _compare(args) -> int:
    from .compare import compare
    from .io import load

    if getattr(args, "mu", None) or getattr(args, "logvar", None):
        print("gausstest: error: compare does not read posteriors: run gausstest report "
              "FILE --mu KEY --logvar KEY for each file", file=sys.stderr)
        return EXIT_INPUT

    inputs: list[tuple[str, str, str | None]] = []  # (label, path, key)
    for arg in args.files:
        path, key = _split_key(arg, args.key)
        label = Path(path).stem + (f"[{key}]" if key and key != args.key else "")
        inputs.append((label, path, key))
    if "list" in args.example:
        args.example = "list"
        return _add_example(args) or EXIT_PASS
    for name in args.example:
        try:
            from .io import example_path

            inputs.append((name, str(example_path(name)), None))
        except (InputError, ValueError) as exc:
            print(f"gausstest: error: --example: {exc}", file=sys.stderr)
            return EXIT_INPUT
    if len(inputs) < 1:
        print("gausstest: error: compare needs FILE arguments (or --example NAME)", file=sys.stderr)
        return EXIT_INPUT
    try:
        opts = _options(args, _pyproject_config(Path.cwd()))
        if not 0 < opts["alpha"] < 1:
            raise InputError(f"--alpha must be in (0, 1); got {opts['alpha']}")
        data = {}
        for label, path, key in inputs:
            try:
                data[label if label not in data else f"{label} ({path})"] = load(path, key=key)
            except (InputError, ValueError) as exc:
                msg = str(exc).replace("with --key NAME", f"with {path}:NAME (or --key NAME)")
                raise InputError(msg if str(path) in msg else f"{path}: {msg}") from None
        quiet = opts.pop("quiet", False)
        result = compare(data, progress=False if quiet else None, **opts)
    except (InputError, ValueError, TypeError) as exc:
        if _raised_by_a_library(exc):
            raise
        _error(_cli_message(exc))
        return EXIT_INPUT
    except MemoryError:
        _error("out of memory")
        return EXIT_INPUT
    render = {"text": "to_text", "markdown": "to_markdown", "html": "to_html",
              "json": "to_json"}[args.format]
    text = getattr(result, render)()
    text = text if text.endswith("\n") else text + "\n"
    if args.output:
        try:
            _check_output(args.output, [p for _, p, _ in inputs])
            _write_atomic(Path(args.output), text)
        except InputError as exc:
            _error(_cli_message(exc))
            return EXIT_INPUT
        except OSError as exc:
            _error(f"cannot write --output {args.output}: {exc.strerror or exc}")
            return EXIT_INPUT
    else:
        _emit(text)
    return EXIT_PASS if all(r.passed for r in result.reports) else EXIT_FAIL


def _check_options(opts: dict, args) -> None:
    """Every option error before any file is read, so it never carries a file's name."""
    from .battery import verdict_weights

    if not 0 < opts["alpha"] < 1:
        raise InputError(f"--alpha must be in (0, 1); got {opts['alpha']}")
    if opts["rng"] < 0:
        raise InputError(f"--seed must be a non-negative integer; got {opts['rng']}")
    if args.max_npz_mb is not None and not (0 < args.max_npz_mb < float("inf")):
        raise InputError(f"--max-npz-mb must be a positive number; got {args.max_npz_mb}")
    if opts["nan_policy"] not in ("raise", "omit"):
        raise InputError(f"nan_policy must be 'raise' or 'omit'; got {opts['nan_policy']!r}")
    verdict_weights([], opts["weights"])  # (the selection: _check_selection)


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
        _quiet_stdout()
        return False
    return True


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


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


def _calibrate(args) -> int:
    from .calibration import fill_cache
    from .pvalues import cache_dir

    if args.n < 2 or args.d < 1:
        print("gausstest: error: calibrate needs --n >= 2 and --d >= 1", file=sys.stderr)
        return EXIT_INPUT
    if args.tests is not None and not _csv_list(args.tests):
        print("gausstest: error: --tests is empty; name test codes (e.g. --tests radii,energy) "
              "or leave it out for the default battery", file=sys.stderr)
        return EXIT_INPUT
    try:
        fill_cache(args.n, args.d, tests=_csv_list(args.tests), null=args.null, seed=args.seed,
                   out=sys.stdout)
    except (InputError, ValueError) as exc:
        print(f"gausstest: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    print(f"cache folder: {cache_dir()} (set GAUSSTEST_CACHE_DIR to move it)")
    return EXIT_PASS


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 pass, 1 fail, 2 bad input or usage).

    Every error is one line on stderr, never a traceback; 3 is an internal error (a bug).
    """
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("gausstest: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`gausstest calibrate ... | head`)
        _quiet_stdout()
        return EXIT_PASS
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
    if args.command == "calibrate":
        return _calibrate(args)
    if args.command == "compare":
        return _compare(args)
    if args.example:
        code = _add_example(args)
        if code is not None:
            return code
    if not args.files:
        _error(f"{args.command} needs at least one FILE (or --example)")
        return EXIT_INPUT
    try:
        from .battery import select_tests
        from .config import load_config

        config = load_config(args.config)
        opts = _options(args, config.values)
        _check_options(opts, args)
        _check_selection(opts, args, config)
        if getattr(args, "output", None):  # (nor over the config file that was read)
            _check_output(args.output, list(args.files)
                          + ([str(config.path)] if config.path is not None else []))
        gate = None
        if args.command == "check":
            gate = _gate(args, config.values)
            src_require, src_effect = _gate_sources(args, config)
            gate.check_selection(select_tests(opts["tests"], opts["null"], opts["ignore"]),
                                 opts["null"], where_require=src_require,
                                 where_effect=src_effect)
    except (InputError, ValueError, TypeError) as exc:
        _error(_cli_message(exc))
        return EXIT_INPUT

    if getattr(args, "plots", None) == "":
        print("gausstest: error: --plots needs a folder name (it is created if missing), "
              "e.g. --plots plots", file=sys.stderr)
        return EXIT_INPUT
    if getattr(args, "plots", None):
        from .plots import PLOTS_HINT, have_matplotlib

        try:
            exists_not_dir = Path(args.plots).exists() and not Path(args.plots).is_dir()
        except OSError as exc:
            print(f"gausstest: error: --plots: cannot use that folder name "
                  f"({exc.strerror or exc}); name a shorter or valid folder", file=sys.stderr)
            return EXIT_INPUT

        if not have_matplotlib():
            print(f"gausstest: error: --plots: {PLOTS_HINT}", file=sys.stderr)
            return EXIT_INPUT
        if exists_not_dir:
            print(f"gausstest: error: --plots {args.plots}: exists and is not a folder; "
                  "name a folder (it is created if missing)", file=sys.stderr)
            return EXIT_INPUT

    from .io import show_path

    worst = EXIT_PASS
    reports = []
    #: per FILE in order: its report, or the one-line error it got (JSON lists both, so
    #: that entries line up with the files given)
    outcomes: list[tuple[str, Any, str | None]] = []
    for path in args.files:
        shown = show_path(path)
        try:
            with warnings.catch_warnings():
                # extreme but finite data overflows intermediate sums (the statistics
                # handle it): numpy's warnings would put stack lines on stderr
                warnings.simplefilter("ignore", RuntimeWarning)
                rep = _run_one(path, args.key, opts, getattr(args, "mu", None),
                               getattr(args, "logvar", None), args.max_npz_mb)
        except (InputError, ValueError) as exc:
            if _raised_by_a_library(exc):  # a bug on this file: exit 3, the others still run
                msg = (f"internal error (please report it): {shown}: {type(exc).__name__}: "
                       f"{_one_line(str(exc))[:300]}")
                print(f"gausstest: {msg}", file=sys.stderr)
                outcomes.append((shown, None, msg))
                worst = EXIT_INTERNAL
                continue
            msg = _cli_message(exc)
            msg = msg if msg.startswith(shown) else f"{shown}: {msg}"
            _error(msg)
            outcomes.append((shown, None, msg))
            worst = max(worst, EXIT_INPUT)
            continue
        except MemoryError:
            _error(f"{shown}: out of memory")
            outcomes.append((shown, None, f"{shown}: out of memory"))
            worst = max(worst, EXIT_INPUT)
            continue
        reports.append(rep)
        outcomes.append((shown, rep, None))
        if not rep.passed:
            worst = max(worst, EXIT_FAIL)

    if args.command == "check":
        return _gate_output(args, config, gate, reports, worst, outcomes)

    if args.plots:
        from .plots import save_plots

        used: set[str] = set()
        for rep in reports:
            stem = Path(rep.source or "latents").stem
            while stem in used:
                stem += "_"
            used.add(stem)
            try:
                save_plots(rep, args.plots, stem=stem)
            except OSError as exc:
                print(f"gausstest: error: --plots: cannot write into {args.plots}: {exc}",
                      file=sys.stderr)
                return EXIT_INPUT

    fmt = args.format
    if not reports and not (fmt == "json" and len(args.files) > 1):
        return worst  # nothing to write: an existing --output is left as it was
    if fmt == "json":
        import json

        docs = [rep.to_dict() if rep is not None else _error_doc(shown, msg)
                for shown, rep, msg in outcomes]
        text = json.dumps(docs[0] if len(args.files) == 1 else docs, indent=2,
                          allow_nan=False) + "\n"
    else:
        render = {"text": "to_text", "markdown": "to_markdown", "html": "to_html"}[fmt]
        pages = [getattr(r, render)() for r in reports]
        if fmt == "html":
            from .report import combine_html

            text = combine_html(pages) + "\n"
        else:
            text = ("\n" if fmt == "text" else "\n\n").join(pages)
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


def _error_doc(shown: str, msg: str | None) -> dict:
    """The JSON entry of a FILE that got no report (exit 2 for it; 3 for a bug)."""
    bug = msg is not None and msg.startswith("internal error")
    return {"source": shown, "error": msg, "exit_code": EXIT_INTERNAL if bug else EXIT_INPUT}


def _gate_output(args, config, gate, reports, worst: int, outcomes=None) -> int:
    """Apply the gate to each report, print text or JSON, return the exit code."""
    import json

    worst = worst if worst in (EXIT_INPUT, EXIT_INTERNAL) else EXIT_PASS
    decisions = []
    gate_errors: dict[int, str] = {}
    for rep in reports:
        try:
            decisions.append((rep, gate.evaluate(rep)))
        except InputError as exc:  # e.g. a required question that this run did not ask
            print(f"gausstest: error: {rep.source}: {exc}", file=sys.stderr)
            gate_errors[id(rep)] = f"{rep.source}: {exc}"
            worst = max(worst, EXIT_INPUT)
    if any(not g.passed for _, g in decisions):
        worst = max(worst, EXIT_FAIL)
    overridden = _overridden(args, config)
    line = config.describe(overridden)
    out: list[str] = []
    if args.json or args.format == "json":
        gated = {id(rep): g for rep, g in decisions}
        docs = []
        for shown, rep, msg in (outcomes if outcomes is not None
                                else [(r.source, r, None) for r in reports]):
            if rep is None or id(rep) not in gated:
                docs.append(_error_doc(shown, msg if rep is None else gate_errors[id(rep)]))
                continue
            doc = rep.to_dict()
            doc["gate"] = {**gated[id(rep)].to_dict(), "exit_zero": bool(args.exit_zero),
                           "config": {
                "path": None if config.path is None else str(config.path),
                "keys": list(config.keys), "overridden_by_flags": list(overridden),
                "line": line}}
            docs.append(doc)
        several = len(args.files) > 1
        if several or (docs and "error" not in docs[0]):
            out.append(json.dumps(docs if several else docs[0], indent=2, allow_nan=False))
    else:
        out.append(line)
        for rep, g in decisions:
            extra = "" if g.verdict == g.status else f"; plain verdict {g.verdict.upper()}"
            out.append(f"{rep.source}: {g.status.upper()} (n = {rep.n}, d = {rep.d}, "
                       f"alpha = {rep.alpha}{extra}): {g.decided_by}")
            out.append(g.to_text())
        if args.exit_zero and worst == EXIT_FAIL:
            out.append("--exit-zero: exit 0 although the gate fails")
    if out and args.output and decisions:  # (nothing decided: an existing file is kept)
        try:
            _write_atomic(Path(args.output), "\n".join(out) + "\n")
        except OSError as exc:
            _error(f"cannot write --output {show_path(args.output)}: {exc.strerror or exc}")
            return EXIT_INPUT
    elif out and not args.output:
        _emit("\n".join(out) + "\n")
    if args.exit_zero and worst == EXIT_FAIL:
        return EXIT_PASS
    return worst


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
