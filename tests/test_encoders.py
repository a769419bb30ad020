"""The shipped latents of trained encoders (gausstest/data/encoders) and --example NAME."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

import gausstest as gt
from gausstest.cli import main
from gausstest.io import examples

ENTRIES = {k: v for k, v in examples().items() if k != "default"}
METHODS = {"ae", "vae", "wae", "swae", "cwae", "gae"}


class TestManifest:
    def test_every_method_and_dimension_is_shipped(self):
        got = {(e["method"], e["d"]) for e in ENTRIES.values()}
        assert got == {(m, d) for m in METHODS for d in (8, 16)}
        for d in (8, 16):
            assert {f"vae-d{d}", f"vae_mu-d{d}", f"vae_logvar-d{d}"} <= set(ENTRIES)

    @pytest.mark.parametrize("name", sorted(ENTRIES))
    def test_file_matches_its_entry(self, name):
        e = ENTRIES[name]
        path = gt.example_path(name)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == e["sha256"]
        z = np.load(path, allow_pickle=False)
        assert z.dtype == np.float32 and z.shape == (e["n"], e["d"])
        assert np.isfinite(z).all()
        for key in ("method", "seed", "epochs", "d", "reconstruction_mse", "contents", "kind"):
            assert key in e
        assert 0 < e["reconstruction_mse"] < 0.1

    def test_vae_samples_hide_what_the_means_show(self):
        # DESIGN's known trap, on real latents: posterior samples of inactive units are
        # exactly N(0, 1); only the posterior means (or variances) reveal them
        for d in (8, 16):
            mu = np.load(gt.example_path(f"vae_mu-d{d}"))
            z = np.load(gt.example_path(f"vae-d{d}"))
            logvar = np.load(gt.example_path(f"vae_logvar-d{d}"))
            inactive = mu.var(axis=0) < 0.01
            assert inactive.sum() >= d // 2
            assert np.allclose(z[:, inactive].var(axis=0), 1.0, atol=0.15)
            assert np.all(np.abs(logvar[:, inactive].mean(axis=0)) < 0.1)  # sigma ~ 1

    def test_manifest_is_plain_json(self):
        text = (gt.example_path("vae-d8").parent / "manifest.json").read_text()
        doc = json.loads(text)
        assert doc["files"] and "torch_version" in doc


class TestExampleFlag:
    def test_named_example(self, capsys):
        code = main(["check", "--example", "vae_mu-d8", "--select", "prior_match"])
        assert code == 1
        out = capsys.readouterr().out
        assert "vae_mu-d8.npy: FAIL" in out and "collapsed" in out

    def test_alone_still_means_the_default(self, capsys):
        assert main(["check", "--example", "--select", "prior_match"]) == 1
        assert "example_latents.npy" in capsys.readouterr().out

    def test_alone_before_a_file(self, tmp_path, capsys):
        src = tmp_path / "z.npy"
        np.save(src, np.random.default_rng(0).standard_normal((200, 3)))
        main(["check", "--example", str(src), "--select", "prior_match"])
        out = capsys.readouterr().out
        assert "z.npy" in out and "example_latents.npy" in out

    def test_list(self, capsys):
        assert main(["report", "--example", "list"]) == 0
        out = capsys.readouterr().out
        assert "wae-d16" in out and "vae_logvar" not in out

    def test_unknown_name_is_one_line(self, capsys):
        assert main(["report", "--example", "nope"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("gausstest: error: --example") and len(err.strip().splitlines()) == 1
        assert "vae-d8" in err

    def test_compare_examples_matches_assess(self, capsys):
        tests = ["prior_match", "radii"]
        code = main(["compare", "--example", "vae-d8", "--example", "vae_mu-d8",
                     "--select", ",".join(tests), "--format", "json"])
        doc = json.loads(capsys.readouterr().out)
        assert code == 1
        assert [r["name"] for r in doc["rows"]] == ["vae-d8", "vae_mu-d8"]
        for row in doc["rows"]:
            alone = gt.assess(gt.load(gt.example_path(row["name"])), tests=tests).to_dict()
            assert row["verdict"] == alone["verdict"]
            assert row["verdict_pvalue"] == alone["verdict_pvalue"]
