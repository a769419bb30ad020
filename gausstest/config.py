"""The ``[tool.gausstest]`` configuration: found, read, validated once.

The CLI reads its defaults from the ``[tool.gausstest]`` table of a TOML file:
``--config PATH`` names one; otherwise the nearest ``pyproject.toml`` in the
working directory or one of its parents is used (the search stops at the first
``pyproject.toml``, which marks the project's root, whether or not it has the
table). Flags win over the file.

Every key is checked before any work starts. An unknown key, a value of the wrong
type, an unknown test code, null or question raises :class:`ConfigError` (an
:class:`~gausstest.errors.InputError`, exit 2 in the CLI) whose one-line message
names the file, the key and the fix. Known keys:

============  ==============================================  ==========================
key           value                                           default
============  ==============================================  ==========================
alpha         number in (0, 1)                                0.05
null          "standard", "gaussian" or "both"                "both"
select        test code or list of codes ("code:null" too)    the default battery
ignore        test code or list of codes                      []
seed          integer >= 0                                    0
nan_policy    "raise" or "omit"                               "raise"
weights       "equal" or a table code[:null] -> weight > 0    the fitted defaults
              (or the flag's text "radii=8,energy=4")
require       question or list of questions that must pass    every question asked
              ("prior_match", "shape", "coverage")
max_effect    table code[:null] -> largest tolerated effect   none (gate on p-values)
============  ==============================================  ==========================

A string for ``select`` / ``ignore`` / ``require`` is one entry, or several
separated by commas as on the command line (``select = "radii"`` is ``["radii"]``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import InputError

__all__ = ["ConfigError", "Config", "QUESTIONS", "KNOWN_KEYS", "find_config", "load_config",
           "validate", "parse_codes", "parse_questions", "parse_max_effect", "canonical_code"]

#: the three questions a report answers (see README, "The three questions")
QUESTIONS: tuple[str, ...] = ("prior_match", "shape", "coverage")

_NULLS = ("standard", "gaussian", "both")

KNOWN_KEYS: tuple[str, ...] = ("alpha", "null", "select", "ignore", "seed", "nan_policy",
                               "weights", "require", "max_effect")


class ConfigError(InputError):
    """A configuration key (file or flag) has an unknown name or an invalid value."""


@dataclass(frozen=True, kw_only=True)
class Config:
    """A validated configuration.

    ``path`` is the file it came from (None: no file), ``keys`` the keys set there,
    ``values`` the validated, normalised values (only the keys that were set),
    ``note`` a short sentence for a file that was found but holds no table.
    """

    path: Path | None = None
    keys: tuple[str, ...] = ()
    values: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""

    def describe(self, overridden: tuple[str, ...] = ()) -> str:
        """One line: which file and keys were applied (and which a flag overrode)."""
        if self.path is None:
            return f"config: {self.note or 'no pyproject.toml found'}; defaults and flags only"
        if not self.keys:
            return f"config: {self.path} {self.note or 'has no [tool.gausstest] table'}; " \
                   "defaults and flags only"
        applied = [k for k in self.keys if k not in overridden]
        text = f"config: {self.path} [tool.gausstest]: " + (", ".join(applied) or "none applied")
        if overridden:
            text += f" (overridden by flags: {', '.join(k for k in self.keys if k in overridden)})"
        return text


def _toml():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    return tomllib


def find_config(start: Path | None = None) -> Path | None:
    """The nearest pyproject.toml in ``start`` (default: the working directory) or above."""
    start = Path.cwd() if start is None else Path(start)
    for folder in (start, *start.parents):
        path = folder / "pyproject.toml"
        try:
            if path.is_file():
                return path
        except OSError:  # an unreadable folder on the way up: stop looking there
            return None
    return None


def load_config(path: str | Path | None = None, *, start: Path | None = None) -> Config:
    """Read and validate ``[tool.gausstest]``.

    Parameters
    ----------
    path : str or Path, optional
        A TOML file (``--config``). It must exist and hold a ``[tool.gausstest]`` table.
        Without it, :func:`find_config` looks for the nearest ``pyproject.toml``; a
        file without the table gives an empty :class:`Config`.
    start : Path, optional
        Where the search starts (default: the working directory).
    """
    explicit = path is not None
    if explicit:
        file = Path(path)
        if not file.is_file():
            what = "is a folder" if file.is_dir() else "no such file"
            raise ConfigError(f"--config {path}: {what}; give the path of a TOML file "
                              "with a [tool.gausstest] table")
    else:
        file = find_config(start)
        if file is None:
            return Config()
    tomllib = _toml()
    try:
        with file.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc}); fix the file"
                          + ("" if explicit else " or pass --config PATH")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read it ({exc})") from None
    tool = data.get("tool")
    if tool is None:
        table = None
    elif not isinstance(tool, dict):
        raise ConfigError(f"{file}: key 'tool' must be a table ([tool.gausstest]); got "
                          f"{_show(tool)}")
    else:
        table = tool.get("gausstest")
        if table is not None and not isinstance(table, dict):
            raise ConfigError(f"{file}: key 'tool.gausstest' must be a table ([tool.gausstest]); "
                              f"got {_show(table)}")
    if table is None:
        if explicit:
            raise ConfigError(f"--config {file}: the file has no [tool.gausstest] table")
        return Config(path=file.resolve(), note="has no [tool.gausstest] table")
    values = validate(table, where=f"{file}: [tool.gausstest]")
    return Config(path=file.resolve(), keys=tuple(table), values=values)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _err(where: str, key: str, message: str) -> ConfigError:
    return ConfigError(f"{where} {key}: {message}" if key else f"{where}: {message}")


def canonical_code(code: str) -> str:
    """The registry's code for ``code`` (resolves an alias; raises UnknownTestError)."""
    from .registry import get_spec

    return get_spec(code).code


def _string_list(value: Any, *, where: str, key: str, what: str, example: str) -> list[str]:
    if isinstance(value, str):
        items = [t.strip() for t in value.split(",")]
        if not all(items):
            raise _err(where, key, f"empty entry in {value!r}; expected {what}, e.g. {example}")
        return items
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = [v.strip() for v in value]
        if not all(items):
            raise _err(where, key, f"empty entry in {value!r}; expected {what}, e.g. {example}")
        return items
    raise _err(where, key, f"expected {what}, e.g. {example}; got {_show(value)}")


def parse_codes(value: Any, *, where: str = "[tool.gausstest]", key: str = "select",
                allow_empty: bool = False) -> list[str]:
    """A test code, a comma-separated string or a list of codes ("code" or "code:null")."""
    from .errors import UnknownTestError

    codes = [] if (allow_empty and value == []) else _string_list(
        value, where=where, key=key, what="a test code or a list of test codes",
        example='["radii", "energy:standard"]')
    for item in codes:
        code, _, null = item.partition(":")
        try:
            canonical_code(code)
        except UnknownTestError as exc:
            raise _err(where, key, f"{exc} (`gausstest tests` lists them)") from None
        if null and null not in ("standard", "gaussian"):
            raise _err(where, key, f"unknown null {null!r} in {item!r}; use code:standard or "
                                   "code:gaussian")
    return codes


def parse_questions(value: Any, *, where: str = "[tool.gausstest]",
                    key: str = "require") -> list[str]:
    """A question name, a comma-separated string or a list of them."""
    names = _string_list(value, where=where, key=key, what="a question or a list of questions",
                         example='["prior_match", "coverage"]')
    if not names:  # an empty list would turn the gate off without a word
        raise _err(where, key, 'is empty; name the questions to require, e.g. '
                               '["prior_match", "coverage"], or leave it out (the verdict '
                               'decides)')
    for name in names:
        if name not in QUESTIONS:
            raise _err(where, key, f"unknown question {name!r}; the questions are "
                                   f"{', '.join(QUESTIONS)}")
    return list(dict.fromkeys(names))


def _number(value: Any) -> bool:
    import numpy as np

    return isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))


def parse_max_effect(value: Any, *, where: str = "[tool.gausstest]",
                     key: str = "max_effect") -> dict[str, float]:
    """A table ``code[:null] -> threshold``, a finite number >= 0; or the flag's text
    ``code=0.05,code:null=0.01``."""
    from .errors import UnknownTestError

    example = "{ prior_match = 0.05, energy = 0.01 }"
    if isinstance(value, str):
        value = _pairs(value, where, key, "expected code=threshold pairs, e.g. "
                                          "prior_match=0.05,energy=0.01")
    if not isinstance(value, dict) or not value:
        raise _err(where, key, f"expected a table test code -> largest tolerated effect, e.g. "
                               f"{example}; got {_show(value)}")
    out = {}
    for name, num in value.items():
        code, _, null = name.partition(":")
        entry = f"{key}.{name}" if key else name
        try:
            canonical_code(code)
        except UnknownTestError as exc:
            raise _err(where, entry, f"{exc}") from None
        if null and null not in ("standard", "gaussian"):
            raise _err(where, entry, f"unknown null {null!r}; use {code} or "
                                     f"{code}:standard / {code}:gaussian")
        if not _number(num) or not math.isfinite(num) or num < 0:
            raise _err(where, entry, f"expected a finite number >= 0 (an effect "
                                     f"threshold); got {_show(num)}")
        out[name] = float(num)
    return out


def validate(table: Mapping[str, Any], *, where: str = "[tool.gausstest]") -> dict[str, Any]:
    """Check every key of a ``[tool.gausstest]`` table; return the normalised values."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in KNOWN_KEYS:
            hint = {"alhpa": "alpha", "tests": "select", "questions": "require",
                    "max_effects": "max_effect", "rng": "seed"}.get(key)
            raise ConfigError(f"{where}: unknown key {key!r}"
                              + (f" (did you mean {hint!r}?)" if hint else "")
                              + f"; known keys: {', '.join(KNOWN_KEYS)}")
        if key == "alpha":
            if not _number(value) or not 0 < value < 1:
                raise _err(where, key, f"expected a number in (0, 1), e.g. alpha = 0.01; "
                                       f"got {_show(value)}")
            out[key] = float(value)
        elif key == "null":
            if value not in _NULLS:
                raise _err(where, key, f"expected one of {', '.join(map(repr, _NULLS))}; "
                                       f"got {_show(value)}")
            out[key] = value
        elif key in ("select", "ignore"):
            out[key] = parse_codes(value, where=where, key=key, allow_empty=(key == "ignore"))
        elif key == "seed":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise _err(where, key, f"expected an integer >= 0, e.g. seed = 0; "
                                       f"got {_show(value)}")
            out[key] = value
        elif key == "nan_policy":
            if value not in ("raise", "omit"):
                raise _err(where, key, f"expected 'raise' or 'omit'; got {_show(value)}")
            out[key] = value
        elif key == "weights":
            out[key] = _weights(value, where=where)
        elif key == "require":
            out[key] = parse_questions(value, where=where, key=key)
        elif key == "max_effect":
            out[key] = parse_max_effect(value, where=where, key=key)
    return out


def _pairs(text: str, where: str, key: str, expected: str) -> dict[str, float]:
    """The flag syntax ``code=x,code:null=y`` as a table; an item without a number is an
    error naming ``key``."""
    table: dict[str, float] = {}
    for item in (t.strip() for t in text.split(",")):
        name, sep, num = item.partition("=")
        if name.strip() in table:
            raise _err(where, key, f"{name.strip()} is given twice; give each code once")
        try:
            table[name.strip()] = float(num)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise _err(where, key, f"{expected}; got {item!r}")
    return table


def _weights(value: Any, *, where: str) -> Any:
    from .battery import verdict_weights

    if value == "equal":
        return "equal"
    if isinstance(value, str):  # the flag's syntax: "radii=8,energy:standard=4"
        value = _pairs(value, where, "weights", "expected 'equal', code=weight pairs "
                                                "(\"radii=8,energy:standard=4\") or a table")
    if not isinstance(value, dict):
        raise _err(where, "weights", "expected 'equal' or a table code[:null] -> weight > 0, "
                                     f"e.g. weights = {{ radii = 8 }}; got {_show(value)}")
    try:
        verdict_weights([], value)
    except ValueError as exc:  # UnknownTestError is a ValueError too
        raise _err(where, "weights", str(exc)) from None
    return dict(value)
