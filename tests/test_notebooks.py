"""The notebooks: saved with outputs, and they run top to bottom (nbclient, as CI does)."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ["quickstart", "gaussian_latent", "comparing_encoders"]


def _read(name):
    return nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_saved_with_outputs(name):
    nb = _read(name)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    assert cells and all(c.outputs for c in cells), "re-run notebooks/make_notebooks.py"
    assert not any(o.output_type == "error" for c in cells for o in c.outputs)
    # the saved pictures are there
    assert any("image/png" in o.get("data", {}) for c in cells for o in c.outputs)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_runs_top_to_bottom(name):
    nb = _read(name)
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs = []
    # raises CellExecutionError (naming the cell) if any cell fails
    nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    cells = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs for c in cells)
    text = "".join(o.get("text", "") for c in cells for o in c.outputs)
    if name == "comparing_encoders":
        assert "ranking (d = 8):" in text
    if name == "quickstart":
        assert "verdict:" in text and "embedded pictures" in text


def test_progress_in_jupyter_is_one_updated_display():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import numpy as np, gausstest as gt\n"
        "from gausstest.progress import Progress\n"
        "print(Progress().mode)\n"
        "r = gt.assess(np.random.default_rng(0).standard_normal((100, 2)),\n"
        "              tests=['prior_match', 'radii'], progress=Progress('z', delay=0))")]
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    outs = nb.cells[0].outputs
    assert outs[0]["text"] == "jupyter\n"
    shown = [o for o in outs if o["output_type"] == "display_data"]
    assert len(shown) == 1  # updated in place, not one output per step
    assert shown[0]["data"]["text/plain"].startswith("gausstest: z: 3 steps done in ")
    assert not any(o.get("name") == "stderr" for o in outs)
