"""Progress of long work (a battery whose Monte Carlo nulls are not cached yet).

One object, :class:`Progress`, shown where the person is:

* on a terminal (stderr is a tty): one line, rewritten in place, with the step, the
  elapsed time and an estimate of the time left; cleared at the end;
* in Jupyter: one text output, updated in place;
* elsewhere (CI logs, files): a few timestamped lines, at most one every
  ``every`` seconds.

Nothing is shown for work that ends within ``delay`` seconds (a cached battery), and
nothing ever goes to stdout, so JSON on stdout stays clean. ``mode=False`` (CLI
``--quiet``) shows nothing.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from typing import Any, TextIO

__all__ = ["Progress", "make_progress"]


def _in_jupyter() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    try:
        ip = shell.get_ipython()  # type: ignore[attr-defined]
    except Exception:
        return False
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


class Progress:
    """Reports ``step`` i of ``total`` of a named piece of work.

    Parameters
    ----------
    label : str
        What is being worked on (a file name); shown before the step.
    mode : {"auto", "terminal", "jupyter", "lines"} or False
        "auto" picks terminal when ``stream`` is a tty, Jupyter inside a notebook
        kernel, lines otherwise; False shows nothing.
    stream : text stream, default sys.stderr (never stdout)
    delay : float
        Seconds of work before anything is shown (default 2 on a terminal or in
        Jupyter, 10 as lines).
    every : float
        Least seconds between two timestamped lines.
    clock : callable
        Time source (seconds), for tests.
    """

    def __init__(self, label: str = "", *, mode: Any = "auto", stream: TextIO | None = None,
                 delay: float | None = None, every: float = 15.0, clock=time.monotonic):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        if mode == "auto":
            if _in_jupyter() and not _isatty(self.stream):
                mode = "jupyter"
            else:
                mode = "terminal" if _isatty(self.stream) else "lines"
        if mode not in (False, None, "none", "terminal", "jupyter", "lines"):
            raise ValueError(f"progress mode must be 'auto', 'terminal', 'jupyter', 'lines' or "
                             f"False; got {mode!r}")
        self.mode = mode if mode not in (None, "none") else False
        self.delay = (10.0 if self.mode == "lines" else 2.0) if delay is None else float(delay)
        self.every = float(every)
        self.clock = clock
        self.total = 0
        self.shown = False
        self._start = 0.0
        self._last_line = -float("inf")
        self._width = 0
        self._handle = None

    # -- the three calls the work makes -----------------------------------
    def start(self, total: int) -> None:
        self.total = int(total)
        self._start = self.clock()

    def step(self, i: int, what: str) -> None:
        """About to do step ``i`` (0-based) of ``total``: ``what``."""
        if not self.mode:
            return
        elapsed = self.clock() - self._start
        if elapsed < self.delay:
            return
        text = self._text(i, what, elapsed)
        if self.mode == "terminal":
            pad = max(self._width - len(text), 0)
            self.stream.write("\r" + text + " " * pad)
            self.stream.flush()
            self._width = len(text)
        elif self.mode == "lines":
            if elapsed - self._last_line < self.every and self.shown:
                return
            self._last_line = elapsed
            self.stream.write(f"{_stamp()} {text}\n")
            self.stream.flush()
        else:
            self._jupyter(text)
        self.shown = True

    def done(self) -> None:
        if not self.mode or not self.shown:
            return
        elapsed = self.clock() - self._start
        text = f"gausstest: {self.label + ': ' if self.label else ''}{self.total} steps done in {elapsed:.0f} s"
        if self.mode == "terminal":
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
        elif self.mode == "lines":
            self.stream.write(f"{_stamp()} {text}\n")
            self.stream.flush()
        else:
            self._jupyter(text)

    # -- helpers -----------------------------------------------------------
    def _text(self, i: int, what: str, elapsed: float) -> str:
        left = ""
        if i > 0:
            left = f", ~{elapsed / i * (self.total - i):.0f} s left"
        where = f"{self.label}: " if self.label else ""
        text = f"gausstest: {where}{i + 1}/{self.total} {what} ({elapsed:.0f} s{left})"
        if self.mode == "terminal":  # one line that fits, or \r cannot rewrite it
            import shutil

            cols = shutil.get_terminal_size((80, 24)).columns - 1
            text = text if len(text) <= cols else text[:max(cols - 3, 0)] + "..."
        return text

    def _jupyter(self, text: str) -> None:
        try:
            from IPython.display import display
        except ImportError:  # pragma: no cover
            return
        if self._handle is None:
            self._handle = display({"text/plain": text}, raw=True, display_id=True)
        else:
            self._handle.update({"text/plain": text}, raw=True)


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_progress(progress: Any, label: str = "") -> Progress:
    """What :func:`gausstest.assess` takes: None or "auto" (shown where the person is,
    only for slow work), True (the same), False (nothing), a mode name, or a
    :class:`Progress`."""
    if isinstance(progress, Progress):
        return progress
    if progress is None or progress is True:
        progress = "auto"
    return Progress(label, mode=progress)
