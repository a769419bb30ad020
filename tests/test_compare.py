"""gausstest.compare and `gausstest compare`: ranked side-by-side reports that match
assess on each sample."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import numpy as np
import pytest

import gausstest as gt
from gausstest import alternatives as alt
from gausstest.cli import main
from gausstest.compare import question_verdicts

TESTS = ["prior_match", "mardia_kurtosis", "radii", "marginals"]


@pytest.fixture(scope="module")
def samples():
    return {name: alt.sample(name, 400, 4, rng=2) for name in ("shell", "normal", "collapsed")}


@pytest.fixture(scope="module")
def comparison(samples):
    return gt.compare(samples, tests=TESTS)


class TestCompare:
    def test_ranked_gaussian_first(self, comparison):
        assert comparison.ranking[0] == "normal"
        assert set(comparison.ranking) == {"normal", "shell", "collapsed"}

    def test_numbers_match_assess_on_each_sample(self, comparison, samples):
        doc = comparison.to_dict()
        for row in doc["rows"]:
            alone = gt.assess(samples[row["name"]], tests=TESTS).to_dict()
            assert row["verdict"] == alone["verdict"]
            assert row["questions"] == question_verdicts(alone)
            for r in alone["results"]:
                key = f"{r['test']}:{r['null']}"
                assert row["effects"][key] == r["effect"]
                assert row["rejected"][key] == r["rejected"]

    def test_question_verdicts_by_cause(self, comparison):
        rows = {r["name"]: r for r in comparison.to_dict()["rows"]}
        assert rows["normal"]["questions"] == {"prior": "pass", "shape": "pass", "coverage": "not run"}
        # a collapsed coordinate breaks prior match, not the shape (it is still Gaussian)
        assert rows["collapsed"]["questions"]["prior"] == "fail"
        assert rows["collapsed"]["questions"]["shape"] == "pass"
        # a shell is not Gaussian at all
        assert rows["shell"]["questions"]["shape"] == "fail"

    def test_rank_by_effects_when_all_fail(self):
        g = np.random.default_rng(1)
        base = g.standard_normal((600, 3))
        c = gt.compare({"x1.6": base * 1.6, "x1.2": base * 1.2, "x2.0": base * 2.0},
                       tests=["prior_match", "radii"], null="standard")
        assert all(r.verdict == "fail" for r in c.reports)
        assert c.ranking == ["x1.2", "x1.6", "x2.0"]

    def test_renderers(self, comparison):
        doc = json.loads(comparison.to_json())
        assert [r["rank"] for r in doc["rows"]] == [1, 2, 3]
        text = comparison.to_text()
        assert text.index("normal") < text.index("collapsed")
        md = comparison.to_markdown()
        table = [ln for ln in md.splitlines() if ln.startswith("| ") and "effect" not in ln]
        # every markdown row has the header's number of cells (no stray pipes)
        widths = {ln.count(" | ") for ln in md.splitlines()
                  if ln.startswith(("| prior_match", "| prior_moments"))}
        assert len(widths) == 1 and table

    def test_html_has_pictures_side_by_side(self, comparison):
        pytest.importorskip("matplotlib")
        from gausstest.plots import PANELS

        class Imgs(HTMLParser):
            def __init__(self):
                super().__init__()
                self.alts = []

            def handle_starttag(self, tag, attrs):
                if tag == "img":
                    self.alts.append(dict(attrs)["alt"])

        p = Imgs()
        p.feed(comparison.to_html())
        for name in comparison.names:
            assert sum(a.startswith(name + ":") for a in p.alts) == len(PANELS)

    def test_bad_input(self):
        with pytest.raises(ValueError, match="at least one"):
            gt.compare({})
        with pytest.raises(ValueError, match="2 samples but 1 names"):
            gt.compare([np.zeros((5, 2)), np.zeros((5, 2))], names=["a"])


class TestCompareCli:
    def test_npz_key_and_exit_code(self, tmp_path, capsys, samples):
        np.save(tmp_path / "good.npy", samples["normal"])
        np.savez(tmp_path / "both.npz", shell=samples["shell"], other=samples["normal"])
        code = main(["compare", str(tmp_path / "good.npy"), f"{tmp_path / 'both.npz'}:shell",
                     "--select", ",".join(TESTS), "--format", "json"])
        assert code == 1  # the shell fails
        doc = json.loads(capsys.readouterr().out)
        assert [r["name"] for r in doc["rows"]] == ["good", "both[shell]"]

    def test_missing_key_is_one_line(self, tmp_path, capsys, samples):
        np.savez(tmp_path / "both.npz", a=samples["shell"], b=samples["normal"])
        assert main(["compare", f"{tmp_path / 'both.npz'}:nope"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("gausstest: error: ") and len(err.strip().splitlines()) == 1
        assert "nope" in err

    def test_output_over_an_input_is_refused(self, tmp_path, capsys, samples):
        src = tmp_path / "a.npy"
        np.save(src, samples["normal"])
        before = src.read_bytes()
        assert main(["compare", str(src), "-o", str(src), "--select", "radii"]) == 2
        assert src.read_bytes() == before


def test_a_shrunk_encoder_does_not_win_the_skewness_column():
    """Mardia's b1 about the prior shrinks as scale^6: tanh latents (b1 = 0.03) beat
    N(0, I) (b1 = 1.08) in that column; it is shown, not ranked (sweep 6)."""
    import gausstest as gt
    from gausstest.compare import UNRANKED

    rng = np.random.default_rng(0)
    good = rng.standard_normal((600, 8))
    bad = np.tanh(0.5 * rng.standard_normal((600, 8)))
    c = gt.compare([good, bad], names=["gauss", "tanh"], progress=False)
    assert "mardia_skewness:standard" in UNRANKED and "mardia_skewness:standard" in c.to_dict()["tests"]
    assert c.ranking == ["gauss", "tanh"]
    doc = c.to_dict()
    assert "except mardia_skewness:standard" in doc["ranking"]
    col = doc["tests"].index("mardia_skewness:standard")
    eff = {r["name"]: r for r in doc["rows"]}
    # the column itself still favours tanh; the mean rank leaves it out
    import sys

    cmp = sys.modules["gausstest.compare"]
    kept = cmp.UNRANKED
    try:
        cmp.UNRANKED = frozenset()
        with_it = {r["name"]: r["mean_effect_rank"] for r in c.to_dict()["rows"]}
    finally:
        cmp.UNRANKED = kept
    assert with_it["tanh"] < eff["tanh"]["mean_effect_rank"], (col, with_it, eff)


def test_compare_npz_key_message_names_file_colon_key(tmp_path, capsys):
    """compare picks an .npz member as FILE:KEY; its error said "--key NAME" (sweep 9)."""
    from gausstest.cli import main

    z = np.random.default_rng(0).standard_normal((50, 2))
    np.savez(tmp_path / "m.npz", a=z, b=z)
    np.save(tmp_path / "g.npy", z)
    assert main(["compare", str(tmp_path / "m.npz"), str(tmp_path / "g.npy")]) == 2
    assert "m.npz:NAME" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "m.npz") + ":c", str(tmp_path / "g.npy")]) == 2
    assert "m.npz:NAME" in capsys.readouterr().err
