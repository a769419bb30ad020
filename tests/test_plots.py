"""Pictures (gausstest.plots): what each one marks on seeded samples with a known cause,
the HTML report that embeds them, and the CLI --plots folder."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import gausstest as gt  # noqa: E402
from gausstest import alternatives as alt  # noqa: E402
from gausstest import plots  # noqa: E402
from gausstest.cli import main  # noqa: E402

FAST = ["prior_match", "mardia_kurtosis", "radii", "projections", "marginals"]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def mixture_report():
    z = alt.sample("mixture2_sep4", 400, 4, rng=3)
    return gt.assess(z, tests=FAST).with_source("mixture.npy")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.h2, self.images, self._in_h2 = [], [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "h2":
            self._in_h2 = True
            self.h2.append("")
        if tag == "img":
            self.images.append(a)

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_h2:
            self.h2[-1] += data


class TestReportKeepsSample:
    def test_sample_kept_not_serialised(self, mixture_report):
        assert mixture_report.sample is not None
        assert mixture_report.sample.data.shape == (400, 4)
        doc = mixture_report.to_dict()
        assert "sample" not in doc
        json.dumps(doc)  # still plain JSON
        assert "sample" not in repr(mixture_report)

    def test_plot_returns_a_figure_with_every_panel(self, mixture_report):
        from matplotlib.figure import Figure

        fig = mixture_report.plot()
        assert isinstance(fig, Figure)
        titles = [a.get_title() for a in fig.get_axes()] + [
            a.get_title() for sf in fig.subfigs for a in sf.get_axes()]
        for word in ("chi2", "Beta", "Worst direction", "spectrum", "coverage"):
            assert any(word in t for t in titles), (word, titles)
        assert "mixture.npy" in fig._suptitle.get_text()


class TestWhatThePicturesMark:
    def test_spectrum_names_the_collapsed_direction(self):
        z = alt.sample("collapsed", 1000, 8, rng=1)  # coordinate 0 has variance 1e-3
        f = plots.spectrum_flags(z)
        assert f["collapsed"] == [7] and f["inflated"] == []
        assert abs(f["eigenvectors"][0, 7]) > 0.99

    def test_spectrum_names_the_inflated_direction_of_a_mixture(self):
        z = alt.sample("mixture2_sep4", 1000, 8, rng=1)  # centres apart along z[0]
        f = plots.spectrum_flags(z)
        assert f["inflated"] == [0] and f["collapsed"] == []
        assert abs(f["eigenvectors"][0, 0]) > 0.99

    def test_spectrum_calls_a_uniform_scale_of_08_below_the_band_not_collapsed(self):
        # the picture had said "#6 collapsed (0.74): +0.54z[0] -0.49z[3]" where the report
        # says "scale off" and "collapsed dims = none" (sweep 6)
        z = np.random.default_rng(0).standard_normal((1000, 8)) * np.sqrt(0.8)
        f = plots.spectrum_flags(z)
        assert f["below"] and f["collapsed"] == []
        fig = plots.spectrum(z)
        text = " ".join(t.get_text() for t in fig.axes[0].texts)
        assert "collapsed" not in text and "below N(0, I)" in text and "z[" not in text

    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_spectrum_flags_nothing_on_gaussian_samples(self, seed):
        f = plots.spectrum_flags(alt.sample("normal", 1000, 8, rng=seed))
        assert f["collapsed"] == [] and f["inflated"] == []

    def test_null_spectrum_matches_direct_simulation(self):
        # Bartlett draws of the MLE covariance spectrum against covariances of raw samples
        n, d = 60, 5
        bart = np.sort(plots._null_spectrum(n, d, 2000, 1), axis=1)
        g = np.random.default_rng(2)
        direct = []
        for _ in range(2000):
            x = g.standard_normal((n, d))
            x -= x.mean(axis=0)
            direct.append(np.linalg.eigvalsh(x.T @ x / n))
        direct = np.array(direct)
        assert np.allclose(bart.mean(axis=0), direct.mean(axis=0), rtol=0.03)
        assert np.allclose(bart.std(axis=0), direct.std(axis=0), rtol=0.1)

    def test_per_point_coverage_is_the_coverage_test_definition(self):
        from gausstest.coverage import _reference, coverage_statistics

        y = alt.sample("shell", 300, 4, rng=2)
        x, r2 = _reference(300, 4, 5, 0)
        cov, prec = plots._per_point_coverage(y, x, r2)
        c, p, _ = coverage_statistics(y, x, r2, 5)
        assert cov.mean() == pytest.approx(c) and prec.mean() == pytest.approx(p)

    def test_worst_projection_uses_the_reports_direction(self, mixture_report):
        u, text, null = plots._worst_direction(mixture_report.sample, mixture_report, "standard")
        r = mixture_report.result("projections", "standard")
        assert np.array_equal(u, r.details["worst_direction"])
        # and the direction found without a report is the same one
        u2, _, _ = plots._worst_direction(mixture_report.sample, None, "standard")
        assert np.allclose(u, u2)
        # along it the mixture is bimodal: few points near 0, many near +-2
        v = mixture_report.sample.data @ u
        assert np.mean(np.abs(v) < 0.5) < np.mean(np.abs(np.abs(v) - 2) < 0.5) / 2

    def test_marginal_grid_shows_the_reports_worst_dimensions(self):
        z = alt.sample("collapsed", 500, 6, rng=4)
        rep = gt.assess(z, tests=["marginals"], null="standard")
        dims, null = plots._worst_dims(rep.sample, rep, "standard", 4)
        assert dims[0] == 0 and null == "standard"
        dims2, _ = plots._worst_dims(rep.sample, None, "standard", 4)
        assert dims2[0] == 0

    def test_beta_panel_is_left_out_when_the_fit_is_impossible(self):
        z = np.random.default_rng(0).standard_normal((6, 8))  # n <= d + 1
        names = [name for name, _, _ in plots.panel_figures(z)]
        assert "radii_beta" not in names and "radii" in names and "spectrum" in names


class TestHtml:
    def test_every_section_and_picture(self, mixture_report):
        page = _Page()
        page.feed(mixture_report.to_html())
        for title in ("Findings", "Prior match", "Shape", "Pictures"):
            assert any(h.startswith(title) for h in page.h2), (title, page.h2)
        names = {name for name, _ in plots.PANELS}
        assert len(page.images) == len(names)
        for img in page.images:
            src = img["src"]
            assert src.startswith("data:image/png;base64,")  # self-contained, no network
            assert base64.b64decode(src.split(",", 1)[1])[:8] == PNG
            assert img["alt"]
        text = mixture_report.to_html()
        assert "src='http" not in text and "<script" not in text and "<link" not in text

    def test_repr_html_is_the_html_report(self, mixture_report):
        assert mixture_report._repr_html_().count("<img") == len(plots.PANELS)

    def test_without_matplotlib_the_html_says_how(self, mixture_report, monkeypatch):
        monkeypatch.setattr(plots, "have_matplotlib", lambda: False)
        page = _Page()
        text = mixture_report.to_html()
        page.feed(text)
        assert page.images == []
        assert "pip install 'gausstest[plots]'" in text.replace("&#x27;", "'")
        assert "Pictures" in page.h2

    def test_no_images_when_asked(self, mixture_report):
        assert "<img" not in mixture_report.to_html(images=False)


class TestCli:
    def test_plots_dir(self, tmp_path, capsys):
        z = alt.sample("shell", 300, 3, rng=1)
        src = tmp_path / "shell.npy"
        np.save(src, z)
        out = tmp_path / "pics"
        code = main(["report", str(src), "--plots", str(out), "--select", "radii,prior_match"])
        assert code == 1  # a shell fails the radii test
        written = sorted(p.name for p in out.iterdir())
        assert "shell-radii.png" in written and "shell-overview.png" in written
        assert all((out / w).read_bytes()[:8] == PNG for w in written)
        assert "shell" in capsys.readouterr().out  # the report still goes to stdout

    def test_plots_without_matplotlib_is_a_one_line_error(self, tmp_path, capsys, monkeypatch):
        monkeypatch.setattr(plots, "have_matplotlib", lambda: False)
        src = tmp_path / "z.npy"
        np.save(src, np.random.default_rng(0).standard_normal((50, 2)))
        assert main(["report", str(src), "--plots", str(tmp_path / "p")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("gausstest: error: --plots") and len(err.strip().splitlines()) == 1
        assert "pip install" in err
        assert not (tmp_path / "p").exists()

    def test_plots_onto_a_file_is_refused(self, tmp_path, capsys):
        src = tmp_path / "z.npy"
        np.save(src, np.random.default_rng(0).standard_normal((50, 2)))
        before = src.read_bytes()
        assert main(["report", str(src), "--plots", str(src)]) == 2
        assert src.read_bytes() == before  # never writes over an input
        assert "not a folder" in capsys.readouterr().err
