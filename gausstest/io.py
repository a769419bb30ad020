"""Reading latent samples from files: .npy (memory-mapped), .npz, .csv / .txt.

Pickles are never loaded: .npy/.npz are opened with ``allow_pickle=False``.
Every failure raises :class:`~gausstest.errors.FileReadError` naming the file and
the problem.
"""

from __future__ import annotations

import csv
import io as _io
import zipfile
from pathlib import Path

import numpy as np

from .errors import FileReadError

__all__ = ["load", "example_path", "examples"]

_DATA = Path(__file__).parent / "data"


def examples() -> dict[str, dict]:
    """The shipped latent files by name: {name: manifest entry}.

    "default" is the synthetic VAE-like sample (2000 x 16); the others are held-out
    latents of small encoders trained on scikit-learn's digits by
    ``notebooks/train_encoders.py`` (entry keys: method, seed, epochs, d,
    reconstruction_mse, contents, file, n, kind). Entries of kind "logvar" hold VAE
    posterior log-variances, not a latent sample.
    """
    import json

    out = {"default": {"file": "example_latents.npy", "kind": "latent", "method": "synthetic",
                       "contents": "2000 x 16 synthetic VAE-like posterior means "
                                   "(gausstest/data/make_example.py)"}}
    manifest = _DATA / "encoders" / "manifest.json"
    if manifest.is_file():
        for entry in json.loads(manifest.read_text(encoding="utf-8"))["files"]:
            out[entry["name"]] = {**entry, "file": f"encoders/{entry['file']}"}
    return out


def example_path(name: str | None = None) -> Path:
    """Path of a shipped latent file: the synthetic example (2000 x 16 encoder means,
    .npy) by default, or a trained encoder's held-out latents by name (see
    :func:`examples`, e.g. ``example_path("vae-d8")``)."""
    if name is None or name == "default":
        return _DATA / "example_latents.npy"
    known = examples()
    if name not in known:
        shown = ", ".join(k for k, v in known.items() if v.get("kind") == "latent")
        raise FileReadError(f"no shipped example named {name!r}; known: {shown}")
    return _DATA / known[name]["file"]


def _check_array(arr: np.ndarray, where: str) -> np.ndarray:
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise FileReadError(f"{where}: holds {arr.dtype} data, not numbers")
    if arr.size == 0:
        raise FileReadError(f"{where}: holds an empty array (shape {arr.shape})")
    return arr


def _load_npy(path: Path) -> np.ndarray:
    with path.open("rb") as fh:
        if fh.read(6) != b"\x93NUMPY":
            raise FileReadError(f"{path}: not a readable .npy file (no NumPy header)")
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            raise FileReadError(
                f"{path}: holds Python objects (a pickled array); gausstest never unpickles "
                "files. Save a numeric array with np.save(path, z.astype(float))"
            ) from None
        raise FileReadError(f"{path}: not a readable .npy file ({exc})") from None
    except Exception as exc:
        raise FileReadError(f"{path}: not a readable .npy file ({exc})") from None
    return _check_array(arr, str(path))


def _load_npz(path: Path, key: str | None) -> np.ndarray:
    try:
        archive = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise FileReadError(f"{path}: not a readable .npz archive ({exc})") from None
    with archive:
        names = list(archive.files)
        if key is None:
            if len(names) != 1:
                raise FileReadError(
                    f"{path}: holds {len(names)} arrays ({', '.join(names) or 'none'}); "
                    "choose one with --key NAME (or key=...)")
            key = names[0]
        if key not in names:
            raise FileReadError(f"{path}: has no array {key!r}; it has {', '.join(names)}")
        try:
            arr = archive[key]
        except ValueError as exc:
            raise FileReadError(
                f"{path}[{key}]: holds Python objects; gausstest never unpickles files ({exc})"
            ) from None
    return _check_array(arr, f"{path}[{key}]")


def _sniff_delimiter(first: str) -> str | None:
    for delim in (",", ";", "\t"):
        if delim in first:
            return delim
    return None


def _load_text(path: Path) -> np.ndarray:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise FileReadError(f"{path}: not a text file (could not decode as UTF-8)") from None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise FileReadError(f"{path}: is empty (no data rows)")
    delim = _sniff_delimiter(lines[0])
    if delim is None:
        rows = [ln.split() for ln in lines]
    else:
        rows = list(csv.reader(_io.StringIO("\n".join(lines)), delimiter=delim,
                               skipinitialspace=True))

    def numeric(row):
        try:
            return [float(c) for c in row]
        except ValueError:
            return None

    start = 0
    if numeric(rows[0]) is None:  # a header row
        start = 1
    if start >= len(rows):
        raise FileReadError(f"{path}: has a header but no data rows")
    data = []
    width = len(rows[start])
    for k, row in enumerate(rows[start:], start=start + 1):
        vals = numeric(row)
        if vals is None:
            bad = next(c for c in row if numeric([c]) is None)
            raise FileReadError(f"{path}: row {k} has a non-numeric value {bad!r}")
        if len(vals) != width:
            raise FileReadError(f"{path}: row {k} has {len(vals)} values; earlier rows have {width}")
        data.append(vals)
    return np.asarray(data, dtype=np.float64)


def load(path: str | Path, *, key: str | None = None) -> np.ndarray:
    """Load an (n, d) latent array from .npy, .npz, .csv or .txt.

    .npy files are memory-mapped (float64 data is not copied until used);
    .npz takes ``key`` or the only array; text files may have one header row and
    ``#`` comment lines, and commas, semicolons, tabs or spaces between values.
    """
    path = Path(path)
    if not path.exists():
        raise FileReadError(f"{path}: no such file")
    if path.is_dir():
        raise FileReadError(f"{path}: is a directory, not a file")
    if path.stat().st_size == 0:
        raise FileReadError(f"{path}: is empty (0 bytes)")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return _load_npy(path)
    if suffix == ".npz":
        return _load_npz(path, key)
    if suffix in (".csv", ".txt", ".tsv", ".dat"):
        return _load_text(path)
    if suffix in (".pkl", ".pickle", ".pt", ".pth"):
        raise FileReadError(f"{path}: {suffix} files are pickles, which gausstest never loads; "
                            "save the latents with np.save(path, z) instead")
    raise FileReadError(f"{path}: unknown file type {suffix or '(none)'}; use .npy, .npz, .csv or .txt")
