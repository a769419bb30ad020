"""The CI gate: [tool.gausstest] validation, gate rules, `check` output and exit codes,
`assert_gaussian`.

Every sample here is seeded and its cause known: N(0, I) (passes), one dimension with
sd 0.03 (collapsed: fails prior match and coverage), N(0, 0.98^2 I) at n = 50,000 (a
negligible scale error that every p-value sees).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from gausstest.cli import main
from gausstest.config import ConfigError, load_config, validate
from gausstest.gate import Gate, evaluate
from gausstest.testing import assert_gaussian

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--select", "prior_match,radii,coverage", "--null", "standard"]


def _one_line_error(err: str) -> str:
    assert err.startswith("gausstest: error: "), err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("latents")
    rng = np.random.default_rng(12)
    good = rng.standard_normal((400, 4))
    bad = rng.standard_normal((400, 4))
    bad[:, 2] *= 0.03  # dimension 2 collapsed
    np.save(folder / "good.npy", good)
    np.save(folder / "bad.npy", bad)
    return folder / "good.npy", folder / "bad.npy"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A scratch project folder as the working directory; returns a writer of its
    pyproject.toml."""
    monkeypatch.chdir(tmp_path)

    def write(body: str, *, raw: bool = False) -> Path:
        path = tmp_path / "pyproject.toml"
        path.write_text(body if raw else '[project]\nname = "my-encoder"\n\n' + body)
        return path

    return write


# ------------------------------------------------------------------ configuration

class TestConfigValidation:
    """Each invalid [tool.gausstest] is exit 2, one line, naming the key (issue 10 list)."""

    @pytest.mark.parametrize("body, key", [
        ("select = 3", "select"),
        ("select = [1, 2]", "select"),
        ("ignore = 5", "ignore"),
        ("seed = 1.7", "seed"),
        ("seed = true", "seed"),
        ("seed = -1", "seed"),
        ("alpha = true", "alpha"),
        ("alpha = 1.5", "alpha"),
        ('null = "std"', "null"),
        ('nan_policy = "drop"', "nan_policy"),
        ("alhpa = 0.01", "alhpa"),
        ('select = ["radii", "nonexistent"]', "select"),
        ('select = ["radii:posterior"]', "select"),
        ('require = ["prior"]', "require"),
        ("require = 1", "require"),
        ("max_effect = 0.1", "max_effect"),
        ("max_effect = { enrgy = 0.1 }", "max_effect.enrgy"),
        ("max_effect = { energy = -0.1 }", "max_effect.energy"),
        ('max_effect = { energy = "small" }', "max_effect.energy"),
        ("max_effect = { energy = nan }", "max_effect.energy"),
        ("max_effect = { energy = true }", "max_effect.energy"),
        ("weights = { radii = 0 }", "weights"),
        ("weights = 3", "weights"),
    ])
    def test_bad_value_exit_2_naming_key(self, files, project, capsys, body, key):
        path = project(f"[tool.gausstest]\n{body}\n")
        assert main(["check", str(files[0])]) == 2
        err = _one_line_error(capsys.readouterr().err)
        assert f"{key}:" in err or f"'{key}'" in err, err
        assert str(path) in err

    def test_tool_not_a_table(self, files, project, capsys):
        project("tool = 3\n", raw=True)
        assert main(["check", str(files[0])]) == 2
        assert "key 'tool' must be a table" in _one_line_error(capsys.readouterr().err)

    def test_tool_gausstest_not_a_table(self, files, project, capsys):
        project("[tool]\ngausstest = 3\n", raw=True)
        assert main(["check", str(files[0])]) == 2
        assert "'tool.gausstest' must be a table" in _one_line_error(capsys.readouterr().err)

    def test_invalid_toml(self, files, project, capsys):
        project("[tool.gausstest\nalpha = 0.1\n")
        assert main(["check", str(files[0])]) == 2
        assert "not valid TOML" in _one_line_error(capsys.readouterr().err)

    def test_select_string_is_one_code(self, files, project, capsys):
        project('[tool.gausstest]\nselect = "radii"\nnull = "standard"\n')
        assert main(["check", str(files[0]), "--format", "json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert [r["test"] for r in doc["results"]] == ["radii"]

    def test_string_forms_equal_lists(self):
        a = validate({"select": "radii, energy:standard", "require": "prior_match",
                      "ignore": "coverage", "weights": "radii=3"})
        b = validate({"select": ["radii", "energy:standard"], "require": ["prior_match"],
                      "ignore": ["coverage"], "weights": {"radii": 3}})
        assert a == b == {"select": ["radii", "energy:standard"], "require": ["prior_match"],
                          "ignore": ["coverage"], "weights": {"radii": 3.0}}

    def test_alias_accepted(self):
        assert validate({"max_effect": {"prior_match": 0.05, "prior_moments:standard": 0.1}}) \
            == {"max_effect": {"prior_match": 0.05, "prior_moments:standard": 0.1}}

    def test_found_upward_and_stops_at_project_root(self, tmp_path, monkeypatch):
        (tmp_path / "pyproject.toml").write_text("[tool.gausstest]\nalpha = 0.01\n")
        deep = tmp_path / "a" / "b"
        deep.mkdir(parents=True)
        monkeypatch.chdir(deep)
        conf = load_config()
        assert conf.path == (tmp_path / "pyproject.toml").resolve()
        assert conf.values == {"alpha": 0.01} and conf.keys == ("alpha",)
        # a nearer pyproject.toml without the table marks another project: not read above it
        (tmp_path / "a" / "pyproject.toml").write_text('[project]\nname = "x"\n')
        conf = load_config()
        assert conf.path == (tmp_path / "a" / "pyproject.toml").resolve()
        assert conf.values == {} and "no [tool.gausstest]" in conf.describe()

    def test_cli_helper_reads_the_same_validated_table(self, tmp_path):
        from gausstest.cli import _pyproject_config

        (tmp_path / "pyproject.toml").write_text('[tool.gausstest]\nselect = "radii"\n')
        assert _pyproject_config(tmp_path) == {"select": ["radii"]}
        (tmp_path / "pyproject.toml").write_text("[tool.gausstest]\nseed = 1.7\n")
        with pytest.raises(ConfigError, match="seed"):
            _pyproject_config(tmp_path)

    def test_config_flag(self, files, tmp_path, monkeypatch, capsys):
        monkeypatch.chdir(tmp_path)
        (tmp_path / "pyproject.toml").write_text("[tool.gausstest]\nalpha = 0.01\n")
        other = tmp_path / "ci.toml"
        other.write_text('[tool.gausstest]\nalpha = 0.2\nselect = ["radii"]\n')
        assert main(["check", str(files[0]), "--config", str(other), "--format", "json"]) in (0, 1)
        doc = json.loads(capsys.readouterr().out)
        assert doc["alpha"] == 0.2 and doc["gate"]["config"]["path"] == str(other.resolve())
        assert main(["check", str(files[0]), "--config", str(tmp_path / "missing.toml")]) == 2
        assert "--config" in _one_line_error(capsys.readouterr().err)
        (tmp_path / "empty.toml").write_text("[tool.other]\nx = 1\n")
        assert main(["check", str(files[0]), "--config", str(tmp_path / "empty.toml")]) == 2
        assert "no [tool.gausstest] table" in _one_line_error(capsys.readouterr().err)

    def test_config_line_names_file_keys_and_overrides(self, files, project, capsys):
        path = project('[tool.gausstest]\nalpha = 0.01\nselect = ["radii"]\nnull = "standard"\n')
        assert main(["check", str(files[0]), "--alpha", "0.1"]) == 0
        first = capsys.readouterr().out.splitlines()[0]
        assert first == (f"config: {path.resolve()} [tool.gausstest]: select, null "
                         "(overridden by flags: alpha)")

    def test_gate_asks_for_question_not_asked(self, files, project, capsys):
        project('[tool.gausstest]\nnull = "standard"\nrequire = ["shape"]\n')
        assert main(["check", str(files[0])]) == 2
        err = _one_line_error(capsys.readouterr().err)
        assert "require" in err and "'shape'" in err
        project('[tool.gausstest]\nselect = ["prior_match"]\nrequire = "coverage"\n')
        assert main(["check", str(files[0])]) == 2
        assert "'coverage'" in _one_line_error(capsys.readouterr().err)

    def test_threshold_on_a_test_that_does_not_run(self, files, project, capsys):
        project('[tool.gausstest]\nselect = ["radii"]\nmax_effect = { energy = 0.01 }\n')
        assert main(["check", str(files[0])]) == 2
        err = _one_line_error(capsys.readouterr().err)
        assert "max_effect" in err and "'energy'" in err

    @pytest.mark.parametrize("flags, word", [
        (["--require", "prior"], "--require"),
        (["--max-effect", "radii=x"], "--max-effect"),
        (["--max-effect", "radi=0.1"], "--max-effect"),
        (["--max-effect", "energy=0.1"], "--max-effect"),  # energy is not selected
    ])
    def test_bad_flags(self, files, project, capsys, flags, word):
        project("")
        assert main(["check", str(files[0]), *FAST, *flags]) == 2
        assert word in _one_line_error(capsys.readouterr().err)


# ------------------------------------------------------------------ gate rules

def _fake_report(rows, *, verdict, questions, alpha=0.05):
    """A stand-in with the fields the gate reads: rows = (test, null, effect, adj_p)."""
    results = [SimpleNamespace(test=t, null=nl, effect=e) for t, nl, e, _ in rows]
    adj = [p for *_, p in rows]
    return SimpleNamespace(
        alpha=alpha, null="both", verdict=verdict, verdict_pvalue=min(adj), results=results,
        adjusted_pvalues=adj, rejected=[p <= alpha for p in adj], findings=("finding",),
        questions=questions, source="x.npy")


def _q(verdict, p, tests):
    return {"verdict": verdict, "pvalue": p, "tests": tests, "rejected_tests": []}


class TestGateRules:
    # prior_moments rejects with effect 0.2; radii rejects with effect 0.01; energy does not
    # reject but has a large effect (0.5)
    ROWS = [("prior_moments", "standard", 0.2, 0.001), ("radii", "standard", 0.01, 0.01),
            ("energy", "standard", 0.5, 0.4), ("radii", "gaussian", 0.3, 0.02)]
    ALL = ["prior_moments:standard", "radii:standard", "energy:standard", "radii:gaussian"]
    QS = {"prior_match": _q("fail", 0.001, ALL), "shape": _q("fail", 0.02, ["radii:gaussian"]),
          "coverage": _q("fail", 0.01, ["radii:standard"])}

    def rep(self):
        return _fake_report(self.ROWS, verdict="fail", questions=self.QS)

    def test_plain_verdict(self):
        g = evaluate(self.rep())
        assert g.status == "fail" and [r.kind for r in g.rules] == ["verdict"]

    def test_threshold_below_effect_fails(self):
        g = evaluate(self.rep(), Gate.make(max_effect={"prior_match": 0.1}))
        assert g.status == "fail"
        [eff] = [r for r in g.rules if r.kind == "max_effect"]
        assert eff.violated and eff.name == "prior_moments" and eff.effect == 0.2
        assert "0.2 > 0.1" in eff.text and "prior_moments" in g.decided_by

    def test_threshold_above_effect_passes(self):
        g = evaluate(self.rep(), Gate.make(max_effect={"prior_match": 0.3, "radii:standard": 0.05,
                                                       "radii:gaussian": 0.5}))
        assert g.status == "pass" and g.verdict == "fail"
        assert "below the configured thresholds" in g.decided_by

    def test_unestablished_effect_never_fails(self):
        # energy's effect is 10x its threshold but energy does not reject (prior_match,
        # which energy answers, alone required: shape and coverage have no threshold)
        g = evaluate(self.rep(), Gate.make(require=["prior_match"], max_effect={"energy": 0.05}))
        assert g.status == "pass"
        assert "does not reject" in g.rules[-1].text

    def test_code_null_wins_over_code(self):
        g = evaluate(self.rep(), Gate.make(max_effect={"radii": 0.5, "radii:gaussian": 0.1}))
        lim = {(r.name, r.null): r.threshold for r in g.rules if r.kind == "max_effect"}
        assert lim == {("radii", "standard"): 0.5, ("radii", "gaussian"): 0.1}
        assert g.status == "fail"  # radii:gaussian 0.3 > 0.1 and rejects

    def test_effect_must_answer_a_failing_required_question(self):
        # coverage fails through radii:standard (effect 0.01, below 0.05); prior_moments'
        # large effect answers prior_match, which is not required
        gate = Gate.make(require=["coverage"], max_effect={"prior_match": 0.1, "radii": 0.05})
        g = evaluate(self.rep(), gate)
        assert g.status == "pass"
        assert any("answers no required question" in r.text for r in g.rules)
        g = evaluate(self.rep(), Gate.make(require=["prior_match"], max_effect={"prior_match": 0.1}))
        assert g.status == "fail"

    def test_a_failing_question_without_thresholds_fails(self):
        # shape fails through radii:gaussian; the only threshold is on prior_moments (which
        # answers prior_match) or on radii:standard (coverage): nothing speaks for shape, so
        # its failure stands (it had passed "below the configured thresholds", sweep 9)
        for limits in ({"prior_match": 0.5}, {"radii:standard": 0.5}):
            g = evaluate(self.rep(), Gate.make(require=["shape"], max_effect=limits))
            assert g.status == "fail", g.decided_by
            assert "sets no threshold on any test that answers it" in g.decided_by
        # the plain verdict requires every question asked: the same (review 9)
        g = evaluate(self.rep(), Gate.make(max_effect={"radii:standard": 0.5,
                                                       "prior_match": 0.5}))
        assert g.status == "fail" and "the verdict fails: required question shape" in g.decided_by
        # a threshold on one of its tests decides again
        g = evaluate(self.rep(), Gate.make(require=["shape"], max_effect={"radii:gaussian": 0.5}))
        assert g.status == "pass" and "below the configured thresholds" in g.decided_by

    def test_two_sided_effect_compared_by_size(self):
        # light tails: excess kurtosis -0.4, rejected; a threshold 0.1 catches it
        rows = [("mardia_kurtosis", "standard", -0.4, 0.001)]
        qs = {"prior_match": _q("fail", 0.001, ["mardia_kurtosis:standard"]), "shape": None,
              "coverage": None}
        g = evaluate(_fake_report(rows, verdict="fail", questions=qs),
                     Gate.make(max_effect={"mardia_kurtosis": 0.1}))
        assert g.status == "fail" and "|effect| 0.4 > 0.1" in g.rules[-1].text
        assert "mardia_kurtosis [standard] (0.4 > 0.1)" in g.decided_by
        g = evaluate(_fake_report(rows, verdict="fail", questions=qs),
                     Gate.make(max_effect={"mardia_kurtosis": 0.5}))
        assert g.status == "pass"

    def test_tiny_pvalues_shown_at_the_floor(self):
        rows = [("prior_moments", "standard", 0.2, 1e-300)]
        qs = {"prior_match": _q("fail", 1e-16, ["prior_moments:standard"]), "shape": None,
              "coverage": None}
        g = evaluate(_fake_report(rows, verdict="fail", questions=qs),
                     Gate.make(require="prior_match", max_effect={"prior_match": 0.1}))
        assert g.rules[0].text == "require prior_match: FAIL (p <= 1e-16 <= alpha = 0.05)"
        assert "(adj. p <= 1e-16): material" in g.rules[1].text
        assert g.rules[1].pvalue == 1e-300  # the JSON keeps the number

    def test_verdict_rule_pvalue_floored_like_the_report(self):
        rows = [("prior_moments", "standard", 0.2, 2.7e-299)]
        qs = {"prior_match": _q("fail", 1e-16, ["prior_moments:standard"]), "shape": None,
              "coverage": None}
        g = evaluate(_fake_report(rows, verdict="fail", questions=qs))
        assert g.rules[0].kind == "verdict" and g.rules[0].pvalue == 1e-16

    def test_required_question_passes(self):
        qs = dict(self.QS, shape=_q("pass", 0.3, ["radii:gaussian"]))
        g = evaluate(_fake_report(self.ROWS, verdict="fail", questions=qs),
                     Gate.make(require="shape"))
        assert g.status == "pass" and g.decided_by == "every required question passes"

    def test_question_not_asked_is_an_error(self):
        qs = dict(self.QS, shape=None)
        with pytest.raises(ConfigError, match="'shape'"):
            evaluate(_fake_report(self.ROWS, verdict="fail", questions=qs),
                     Gate.make(require="shape"))

    def test_bad_arguments(self):
        with pytest.raises(ConfigError, match="require"):
            Gate.make(require=["prior_match", "normality"])
        with pytest.raises(ConfigError, match="max_effect"):
            Gate.make(max_effect={"energy": -1})


# ------------------------------------------------------------------ the check command

class TestCheck:
    def test_pass_and_fail_with_reasons(self, files, project, capsys):
        project('[tool.gausstest]\nselect = ["prior_match", "radii", "coverage"]\n'
                'require = ["prior_match", "coverage"]\n'
                "max_effect = { prior_match = 0.05, radii = 0.05 }\n")
        good, bad = files
        assert main(["check", str(good)]) == 0
        out = capsys.readouterr().out
        assert f"{good}: PASS" in out
        assert main(["check", str(good), str(bad)]) == 1
        out = capsys.readouterr().out
        assert f"{bad}: FAIL" in out
        assert "require prior_match: FAIL" in out and "require coverage: FAIL" in out
        assert re.search(r"max_effect prior_moments \[standard\]: effect [0-9.]+ > 0.05 and the "
                         r"test rejects \(adj. p = [0-9.e-]+\): material", out)
        assert "dimension 2" in out and "collapsed" in out

    def test_pass_still_shows_warnings(self, tmp_path, project, capsys):
        # VAE posterior samples look Gaussian while 2 units are inactive: the gate passes and
        # the check output still says so
        from gausstest.posterior import vae_like_posterior

        mu, logvar = vae_like_posterior(500, 6, inactive=2, rng=0)
        np.savez(tmp_path / "post.npz", mu=mu, logvar=logvar)
        project("")
        assert main(["check", str(tmp_path / "post.npz"), "--mu", "mu", "--logvar", "logvar",
                     *FAST, "--require", "prior_match"]) == 0
        out = capsys.readouterr().out
        assert "PASS" in out and "findings:" in out and "inactive" in out

    def test_output_file_for_ci_artifacts(self, files, project, capsys, tmp_path):
        # the README's synopsis gives check the report's options; --output was refused
        good, _ = files
        out = tmp_path / "gate.json"
        code = main(["check", str(good), "--json", "--output", str(out)])
        assert code == 0 and capsys.readouterr().out == ""
        assert json.loads(out.read_text())["gate"]["status"] == "pass"
        assert main(["check", str(good), "--output", str(good)]) == 2
        # nor over the config file read, nor at all when nothing was decided (review 9)
        cfg = tmp_path / "cfg.toml"
        cfg.write_text("[tool.gausstest]\nalpha = 0.05\n")
        assert main(["check", str(good), "--config", str(cfg), "--output", str(cfg)]) == 2
        assert cfg.read_text() == "[tool.gausstest]\nalpha = 0.05\n"
        keep = tmp_path / "keep.txt"
        keep.write_text("keep")
        assert main(["check", str(tmp_path / "missing.npy"), "--output", str(keep)]) == 2
        assert keep.read_text() == "keep"

    def test_exit_zero(self, files, project, capsys):
        project("")
        assert main(["check", str(files[1]), *FAST, "--exit-zero"]) == 0
        out = capsys.readouterr().out
        assert "FAIL" in out and "--exit-zero" in out
        # bad input stays exit 2
        assert main(["check", str(files[1].with_name("missing.npy")), *FAST, "--exit-zero"]) == 2
        _one_line_error(capsys.readouterr().err)

    def test_json_schema(self, files, project, capsys):
        path = project('[tool.gausstest]\nrequire = "prior_match"\n'
                       "max_effect = { prior_match = 0.05 }\n")
        assert main(["check", str(files[1]), *FAST, "--format", "json"]) == 1
        doc = json.loads(capsys.readouterr().out)
        _check_schema(doc)
        g = doc["gate"]
        assert g["status"] == "fail" and g["require"] == ["prior_match"]
        assert g["max_effect"] == {"prior_match": 0.05}
        assert g["config"]["path"] == str(path.resolve())
        assert g["config"]["keys"] == ["require", "max_effect"]
        assert g["config"]["overridden_by_flags"] == []
        decisive = [r for r in g["rules"] if r["violated"]]
        assert {r["kind"] for r in decisive} == {"require", "max_effect"}
        # several files: a JSON array, one object per file; --json is the same
        assert main(["check", str(files[0]), str(files[1]), *FAST, "--json"]) == 1
        docs = json.loads(capsys.readouterr().out)
        assert [d["gate"]["status"] for d in docs] == ["pass", "fail"]
        for d in docs:
            _check_schema(d)


def _check_schema(doc: dict) -> None:
    """The documented schema of `check --format json` (README, "Use in CI")."""
    for key in ("schema_version", "verdict", "questions", "findings", "results", "gate"):
        assert key in doc
    g = doc["gate"]
    assert set(g) == {"status", "verdict", "alpha", "require", "max_effect", "decided_by",
                      "rules", "exit_zero", "config"}
    assert g["status"] in ("pass", "fail") and g["verdict"] == doc["verdict"]
    assert isinstance(g["decided_by"], str) and isinstance(g["exit_zero"], bool)
    assert set(g["config"]) == {"path", "keys", "overridden_by_flags", "line"}
    assert g["config"]["line"].startswith("config: ")
    for r in g["rules"]:
        assert set(r) == {"kind", "name", "null", "verdict", "pvalue", "effect", "threshold",
                          "rejected", "violated", "text"}
        assert r["kind"] in ("verdict", "require", "max_effect")
        assert isinstance(r["violated"], bool)
        if r["kind"] == "max_effect":
            assert isinstance(r["threshold"], float) and isinstance(r["rejected"], bool)
        else:
            assert r["verdict"] in ("pass", "fail")


# ------------------------------------------------------------------ a new user's project

def _run(args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "gausstest", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_scratch_project_end_to_end(tmp_path):
    """A project with its own pyproject.toml, run as a user would from its folder."""
    proj = tmp_path / "encoder-project"
    (proj / "artifacts").mkdir(parents=True)
    (proj / "pyproject.toml").write_text(
        '[project]\nname = "encoder"\nversion = "0"\n\n'
        '[tool.gausstest]\nnull = "standard"\nselect = ["prior_match", "radii"]\n'
        'require = ["prior_match"]\nmax_effect = { prior_match = 0.01, radii = 0.05 }\n')
    rng = np.random.default_rng(2026)
    np.save(proj / "artifacts" / "good.npy", rng.standard_normal((500, 3)))
    bad = rng.standard_normal((500, 3))
    bad[:, 0] *= 0.03
    np.save(proj / "artifacts" / "bad.npy", bad)
    # 50,000 latents with sd 0.98 instead of 1: every p-value sees it, nobody should care
    np.save(proj / "artifacts" / "big.npy", rng.standard_normal((50_000, 3)) * 0.98)

    ok = _run(["check", "artifacts/good.npy"], proj)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"config: {(proj / 'pyproject.toml').resolve()} [tool.gausstest]: "
                                "null, select, require, max_effect\n")
    assert "artifacts/good.npy: PASS" in ok.stdout

    fail = _run(["check", "artifacts/bad.npy"], proj)
    assert fail.returncode == 1 and fail.stderr == ""
    assert "artifacts/bad.npy: FAIL" in fail.stdout
    assert "require prior_match: FAIL" in fail.stdout
    assert "dimension 0" in fail.stdout and "collapsed" in fail.stdout

    big = _run(["check", "artifacts/big.npy", "--format", "json"], proj)
    assert big.returncode == 0, big.stderr
    doc = json.loads(big.stdout)
    _check_schema(doc)
    assert doc["verdict"] == "fail" and doc["gate"]["status"] == "pass"
    eff = {r["name"]: r for r in doc["gate"]["rules"] if r["kind"] == "max_effect"}
    assert eff["prior_moments"]["rejected"] and eff["prior_moments"]["effect"] < 0.01
    # the same file without the thresholds: the plain verdict fails it
    plain = _run(["check", "artifacts/big.npy", "--max-effect", "prior_match=1e9"], proj)
    assert plain.returncode == 0
    (proj / "pyproject.toml").write_text('[tool.gausstest]\nnull = "standard"\n'
                                         'select = ["prior_match", "radii"]\n')
    plain = _run(["check", "artifacts/big.npy"], proj)
    assert plain.returncode == 1 and "verdict: FAIL" in plain.stdout

    (proj / "pyproject.toml").write_text('[tool.gausstest]\nseed = true\n')
    badconf = _run(["check", "artifacts/good.npy"], proj)
    assert badconf.returncode == 2 and badconf.stdout == ""
    _one_line_error(badconf.stderr)
    assert "seed" in badconf.stderr


# ------------------------------------------------------------------ assert_gaussian

class TestAssertGaussian:
    TESTS = ["prior_match", "radii", "coverage"]

    def test_passes_on_standard_normal(self):
        z = np.random.default_rng(7).standard_normal((400, 4))
        rep = assert_gaussian(z, tests=self.TESTS, require=["prior_match", "coverage"],
                              max_effect={"prior_match": 0.05})
        assert rep.verdict == "pass"

    def test_fails_on_collapsed_with_findings(self):
        z = np.random.default_rng(7).standard_normal((400, 4))
        z[:, 3] *= 0.03
        with pytest.raises(AssertionError) as info:
            assert_gaussian(z, tests=self.TESTS, require="prior_match",
                            max_effect={"prior_match": 0.05})
        msg = str(info.value)
        assert "failed rules:" in msg and "require prior_match: FAIL" in msg
        assert "max_effect prior_moments [standard]" in msg
        assert "findings:" in msg and "dimension 3" in msg and "collapsed" in msg

    def test_negligible_effect_passes_where_verdict_fails(self):
        z = np.random.default_rng(8).standard_normal((50_000, 3)) * 0.98
        with pytest.raises(AssertionError, match="the verdict fails"):
            assert_gaussian(z, tests=["prior_match"], null="standard")
        rep = assert_gaussian(z, tests=["prior_match"], null="standard",
                              max_effect={"prior_match": 0.01})
        assert rep.verdict == "fail"

    def test_light_tails_caught_by_kurtosis_size(self):
        # uniform in the cube, d = 4: relative excess kurtosis -1.2/(d + 2) = -0.2
        from gausstest.alternatives import sample

        z = sample("uniform_cube", 500, 4, rng=3)
        with pytest.raises(AssertionError, match=r"\|effect\| 0\.[12]\d* > 0\.1"):
            assert_gaussian(z, tests=["mardia_kurtosis"], null="gaussian", require="shape",
                            max_effect={"mardia_kurtosis": 0.1})
        rep = assert_gaussian(z, tests=["mardia_kurtosis"], null="gaussian", require="shape",
                              max_effect={"mardia_kurtosis": 0.3})
        assert rep.verdict == "fail"

    def test_bad_arguments_raise_config_error(self):
        z = np.random.default_rng(7).standard_normal((100, 2))
        with pytest.raises(ConfigError, match="require"):
            assert_gaussian(z, require="gaussianity")
        with pytest.raises(ConfigError, match="'energy'"):
            assert_gaussian(z, tests=["radii"], max_effect={"energy": 0.1})


def test_readme_ci_examples_are_valid():
    """The README's [tool.gausstest] examples validate; its CI job keeps the cache folder."""
    from gausstest.config import _toml

    tomllib = _toml()
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 2
    for block in blocks:
        table = tomllib.loads(block)["tool"]["gausstest"]
        assert validate(table)  # raises ConfigError on any bad key
    [job] = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    assert "GAUSSTEST_CACHE_DIR" in job and "actions/cache@" in job
    assert "gausstest check" in job and "--format json --exit-zero" in job
    assert "from gausstest.testing import assert_gaussian" in text


def test_docstring_examples_run():
    import doctest

    import gausstest.gate
    import gausstest.testing

    for module in (gausstest.gate, gausstest.testing):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0, module.__name__
