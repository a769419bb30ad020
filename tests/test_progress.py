"""Progress display: where it goes, when it shows, and that stdout stays clean."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest

import gausstest as gt
from gausstest import progress as progress_mod
from gausstest.cli import main
from gausstest.progress import Progress


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def _run(mode, times, **kw):
    buf, clock = io.StringIO(), Clock()
    p = Progress("z.npy", mode=mode, stream=buf, clock=clock, **kw)
    p.start(len(times))
    for i, t in enumerate(times):
        clock.t = t
        p.step(i, f"test{i} [standard]")
    clock.t = times[-1] + 1
    p.done()
    return buf.getvalue()


class TestProgress:
    def test_quick_work_shows_nothing(self):
        assert _run("lines", [0.0, 0.5, 1.0]) == ""
        assert _run("terminal", [0.0, 0.5, 1.0]) == ""

    def test_lines_are_few_and_timestamped(self):
        out = _run("lines", [0, 11, 12, 20, 30, 40], delay=10, every=15)
        lines = out.splitlines()
        # shown at 11 s, then not before 26 s (30), then the closing line
        assert len(lines) == 3
        assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ gausstest: z\.npy: ", ln) for ln in lines)
        assert "2/6 test1 [standard] (11 s, ~55 s left)"  # 1 step in 11 s, 5 to go in lines[0]
        assert "5/6" in lines[1] and "6 steps done in 41 s" in lines[2]

    def test_terminal_rewrites_one_line_and_clears_it(self):
        out = _run("terminal", [0, 3, 4, 5], delay=2)
        assert "\n" not in out
        assert out.count("\r") >= 4 and out.endswith("\r")
        assert out.rstrip("\r").split("\r")[-1].strip() == ""  # cleared at the end

    def test_off(self):
        assert _run(False, [0, 30, 60]) == ""

    def test_bad_mode(self):
        with pytest.raises(ValueError, match="loud"):
            Progress(mode="loud")

    def test_assess_reports_every_step(self):
        buf = io.StringIO()
        z = np.random.default_rng(0).standard_normal((100, 2))
        gt.assess(z, tests=["prior_moments", "radii"],
                  progress=Progress(mode="lines", stream=buf, delay=0, every=0))
        text = buf.getvalue()
        for step in ("1/3 prior_moments [standard]", "2/3 radii [standard]", "3/3 radii [gaussian]"):
            assert step in text
        assert "3 steps done" in text


class TestCliProgress:
    def _slow_start(self, monkeypatch):
        """Every Progress the CLI makes shows from the first step, as lines."""
        real = progress_mod.Progress.__init__

        def init(self, label="", *, mode="auto", **kw):
            real(self, label, mode="lines" if mode == "auto" else mode, delay=0, every=0)

        monkeypatch.setattr(progress_mod.Progress, "__init__", init)

    def test_json_stdout_stays_clean(self, tmp_path, capsys, monkeypatch):
        self._slow_start(monkeypatch)
        src = tmp_path / "z.npy"
        np.save(src, np.random.default_rng(0).standard_normal((100, 2)))
        main(["report", str(src), "--select", "prior_moments", "--format", "json"])
        out, err = capsys.readouterr()
        json.loads(out)
        assert "gausstest: z.npy: 1/1 prior_moments [standard]" in err

    def test_quiet(self, tmp_path, capsys, monkeypatch):
        self._slow_start(monkeypatch)
        src = tmp_path / "z.npy"
        np.save(src, np.random.default_rng(0).standard_normal((100, 2)))
        for cmd in (["report", str(src)], ["check", str(src)], ["compare", str(src)]):
            main([*cmd, "--select", "prior_moments", "--quiet"])
            assert capsys.readouterr().err == ""
        main(["compare", str(src), "--select", "prior_moments"])
        assert "z: 1/1 prior_moments" in capsys.readouterr().err
