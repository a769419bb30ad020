"""Reading latent samples from files: .npy (memory-mapped), .npz, .csv / .txt.

Pickles are never loaded: .npy/.npz are opened with ``allow_pickle=False``.
Only regular files are read (a FIFO, a device or a socket is refused before it is
opened, so nothing blocks). An .npz member is decompressed only when its stated size
is within :data:`MAX_NPZ_MB` megabytes (``GAUSSTEST_MAX_NPZ_MB`` or ``max_npz_mb=``
raise it; a .npy file is memory-mapped and has no limit). Every failure raises
:class:`~gausstest.errors.FileReadError` naming the file and the problem; row
numbers count from 1.
"""

from __future__ import annotations

import csv
import errno
import math
import os
import re
import stat
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .errors import FileReadError

__all__ = ["load", "example_path", "examples", "MAX_NPZ_MB", "show_path"]

#: largest uncompressed .npz member (in MB, 10^6 bytes) that :func:`load` decompresses:
#: 512 MB holds 10^6 x 64 float64 latents. ``GAUSSTEST_MAX_NPZ_MB`` (or ``max_npz_mb=``,
#: CLI ``--max-npz-mb``) overrides it; .npy files are memory-mapped and have no limit.
MAX_NPZ_MB = 512.0

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


def show_path(path: str | os.PathLike) -> str:
    """A path as one printable line (control characters escaped)."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if text.isprintable():
        return text
    return ascii(text)[1:-1]


_OS_REASONS = {
    errno.ENOENT: "no such file",
    errno.EACCES: "permission denied: check the read permission of the file and its folders",
    errno.EPERM: "permission denied: check the read permission of the file and its folders",
    errno.ENAMETOOLONG: "file name too long for this system (255 bytes per name at most): "
                        "rename it or use a shorter path",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.ELOOP: "too many levels of symbolic links",
    errno.EISDIR: "is a directory, not a file",
}


def _os_error(path: Path, exc: OSError) -> FileReadError:
    reason = _OS_REASONS.get(exc.errno or -1)
    if reason is None:
        reason = f"cannot be read ({exc.strerror or exc})"
    return FileReadError(f"{show_path(path)}: {reason}")


def _check_array(arr: np.ndarray, where: str) -> np.ndarray:
    if arr.dtype.hasobject or arr.dtype.kind not in "biuf":
        fix = ("keep the real part, or the real and imaginary parts as columns"
               if arr.dtype.kind == "c" else "convert it to numbers")
        raise FileReadError(f"{where}: holds {arr.dtype} data, not real numbers; {fix} and "
                            "save it with np.save(path, z.astype(float))")
    if arr.size == 0:
        raise FileReadError(f"{where}: holds an empty array (shape {arr.shape}); save the "
                            "latents, one row per sample, and run again")
    return arr


def _load_npy(path: Path) -> np.ndarray:
    shown = show_path(path)
    with path.open("rb") as fh:
        if fh.read(6) != b"\x93NUMPY":
            raise FileReadError(f"{shown}: not a readable .npy file (no NumPy header)")
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            raise FileReadError(
                f"{shown}: holds Python objects (a pickled array); gausstest never unpickles "
                "files. Save a numeric array with np.save(path, z.astype(float))"
            ) from None
        raise FileReadError(f"{shown}: not a readable .npy file ({_one_line(exc)}); it is "
                            "damaged or truncated: save it again with np.save") from None
    except OSError as exc:
        raise _os_error(path, exc) from None
    except Exception as exc:
        raise FileReadError(f"{shown}: not a readable .npy file ({_one_line(exc)}); it is "
                            "damaged or truncated: save it again with np.save") from None
    return _check_array(arr, shown)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _npz_limit(max_npz_mb: float | None) -> float:
    if max_npz_mb is None:
        env = os.environ.get("GAUSSTEST_MAX_NPZ_MB")
        if not env:
            return MAX_NPZ_MB
        try:
            max_npz_mb = float(env)
        except ValueError:
            max_npz_mb = float("nan")
        if not (max_npz_mb > 0 and np.isfinite(max_npz_mb)):
            raise FileReadError(f"GAUSSTEST_MAX_NPZ_MB must be a positive number of megabytes; "
                                f"got {env!r}")
    if isinstance(max_npz_mb, bool) or not (float(max_npz_mb) > 0 and np.isfinite(max_npz_mb)):
        raise FileReadError(f"max_npz_mb (--max-npz-mb) must be a positive number; got {max_npz_mb!r}")
    return float(max_npz_mb)


#: everything zipfile, zlib and numpy's header parser raise on a damaged member
_MEMBER_ERRORS = (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError,
                  NotImplementedError, RuntimeError, KeyError, TypeError, SyntaxError)


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> np.ndarray:
    from numpy.lib import format as npformat

    with zf.open(info) as fh:
        if fh.read(6) != npformat.MAGIC_PREFIX:
            raise FileReadError(f"{where}: is not a .npy array (an .npz member must be saved "
                                "by np.savez); choose another with --key NAME")
        major = fh.read(2)
        if len(major) != 2 or major[0] not in (1, 2, 3):
            raise FileReadError(f"{where}: has an unreadable .npy header")
        version = (major[0], major[1])
        reader = (npformat.read_array_header_1_0 if version == (1, 0)
                  else npformat.read_array_header_2_0)
        shape, _fortran, dtype = reader(fh)
        header_end = 8 + (2 if version == (1, 0) else 4)  # not exact; the bound below is loose
    if dtype.hasobject:
        raise FileReadError(f"{where}: holds Python objects; gausstest never unpickles files")
    count = int(np.prod(shape, dtype=object)) if len(shape) else 1
    if count * dtype.itemsize > info.file_size - header_end:
        raise FileReadError(f"{where}: its header claims shape {shape} of {dtype}, more data "
                            f"than the member holds ({info.file_size} bytes): a damaged file")
    with zf.open(info) as fh:
        arr = npformat.read_array(fh, allow_pickle=False)
    return arr


def _load_npz(path: Path, key: str | None, max_npz_mb: float | None) -> np.ndarray:
    shown = show_path(path)
    limit = _npz_limit(max_npz_mb)
    try:
        zf = zipfile.ZipFile(path)
    except OSError as exc:
        raise _os_error(path, exc) from None
    except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError) as exc:
        raise FileReadError(f"{shown}: not a readable .npz archive ({_one_line(exc)})") from None
    with zf:
        members: dict[str, zipfile.ZipInfo] = {}
        for info in zf.infolist():
            if info.is_dir():
                continue
            name = info.filename
            members[name[:-4] if name.endswith(".npy") else name] = info
        names = list(members)
        if key is None:
            if not names:
                raise FileReadError(f"{shown}: holds no arrays; save the latents in it "
                                    "(np.savez(path, z=z)) or pass a .npy file")
            if len(names) != 1:
                raise FileReadError(
                    f"{shown}: holds {len(names)} arrays ({', '.join(names)}); "
                    "choose one with --key NAME (or key=...)")
            key = names[0]
        if key not in members:
            raise FileReadError(f"{shown}: has no array {key!r}; it has "
                                f"{', '.join(names) or 'none'} (choose with --key NAME)")
        info = members[key]
        where = f"{shown}[{key}]"
        size_mb = info.file_size / 1e6
        if size_mb > limit:
            raise FileReadError(
                f"{where}: decompresses to {size_mb:.4g} MB, over the {limit:.4g} MB limit for an "
                ".npz member (a guard against decompression bombs); save it with np.save as .npy "
                "(memory-mapped, no limit) or raise the limit with --max-npz-mb "
                "(GAUSSTEST_MAX_NPZ_MB, max_npz_mb=)")
        try:
            arr = _read_member(zf, info, where)
        except FileReadError:
            raise
        except MemoryError:
            raise FileReadError(f"{where}: does not fit in memory; save it with np.save as .npy "
                                "(memory-mapped)") from None
        except _MEMBER_ERRORS as exc:
            if "pickle" in str(exc).lower() or "object" in str(exc).lower():
                raise FileReadError(f"{where}: holds Python objects; gausstest never unpickles "
                                    "files") from None
            raise FileReadError(f"{where}: is corrupt or unreadable ({_one_line(exc)})") from None
    return _check_array(arr, where)


def _sniff_delimiter(first: str) -> str | None:
    for delim in (",", ";", "\t"):
        if delim in first:
            return delim
    return None


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


_INTEGER = re.compile(r"[+-]?\d+")


def _is_header(rows: list[list[str]]) -> bool:
    """Is the first row a header: no cell is a number (a first data row with a typo in one
    cell is an error, not a header), or pandas' default column names 0, 1, ..., k - 1 after
    an unnamed index column (``pd.DataFrame(z).to_csv()``), or alone
    (``to_csv(index=False)``) when some later value is not an integer (a file of integers
    whose first row is 0, 1 is data)."""
    row = rows[0]
    if any(c.strip() for c in row) and all(_number(c) is None for c in row if c.strip()) \
            and all(c.strip() for c in row[1:]):
        return True
    # an index column, unnamed ("", pandas' default) or named ("id": df.index.name = "id")
    indexed = len(row) > 1 and (not row[0].strip() or _number(row[0]) is None)
    names = row[1:] if indexed else row
    if [c.strip() for c in names] != [str(k) for k in range(len(names))]:
        return False
    return indexed or any(c.strip() and not _INTEGER.fullmatch(c.strip())
                          for r in rows[1:] for c in r)


def _load_text(path: Path) -> np.ndarray:
    shown = show_path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise FileReadError(f"{shown}: not a text file (could not decode as UTF-8)") from None
    except OSError as exc:
        raise _os_error(path, exc) from None
    numbered = [(k, ln) for k, ln in enumerate(text.splitlines(), start=1)
                if ln.strip() and not ln.lstrip().startswith("#")]
    if not numbered:
        raise FileReadError(f"{shown}: is empty (no data rows); write one row of numbers per "
                            "sample")
    lines = [ln for _, ln in numbered]
    delim = _sniff_delimiter(lines[0])
    if delim is None:
        rows = [ln.split() for ln in lines]
    else:
        try:
            rows = list(csv.reader(lines, delimiter=delim, skipinitialspace=True))
        except csv.Error as exc:
            raise FileReadError(f"{shown}: not a readable CSV file ({_one_line(exc)})") from None
        if len(rows) != len(lines):
            raise FileReadError(f"{shown}: a quoted field spans several lines; numeric data "
                                "has one row per line")
    # a trailing delimiter on every line (some exporters write one): an empty last column
    if delim is not None and len(rows) > 1 and all(len(r) > 1 and not r[-1].strip() for r in rows):
        rows = [r[:-1] for r in rows]
    if (delim is None and len(rows) > 1 and len(rows[0]) == len(rows[1]) - 1
            and not lines[0][:1].strip()):
        # pandas' to_csv(sep=" ") with its index: the header's empty first cell is lost in
        # the whitespace split (" 0 1 2" above "0 0.1 ..."), so restore it
        rows[0] = [""] + rows[0]
    start = 1 if _is_header(rows) else 0
    if start >= len(rows):
        raise FileReadError(f"{shown}: has a header but no data rows")
    if start and len(rows[0]) > 1 and (not rows[0][0].strip() or (
            _number(rows[0][0]) is None
            and [c.strip() for c in rows[0][1:]] == [str(k) for k in range(len(rows[0]) - 1)])) and all(
            _INTEGER.fullmatch(r[0].strip()) for r in rows[1:] if r):
        # pandas' DataFrame.to_csv() writes its row index as the first column, unnamed or,
        # above the default column names 0, 1, ..., under the index's name ("id,0,1,2")
        rows = [r[1:] for r in rows]
    width = len(rows[start])
    data = np.empty((len(rows) - start, width), dtype=np.float64)
    for i in range(start, len(rows)):
        row, line = rows[i], numbered[i][0]
        where = f"{shown}: row {i - start + 1} (line {line})"
        if len(row) != width:
            raise FileReadError(f"{where} has {len(row)} values; earlier rows have {width}")
        for j, cell in enumerate(row):
            # an empty cell is a missing value, as pandas writes NaN (nan_policy decides)
            val = math.nan if not cell.strip() else _number(cell)
            if val is None:
                shown_cell = f"a non-numeric value {cell[:40]!r}"
                hint = ""
                if re.search(r"\d,\d", cell) or ";" in cell or (delim == ";" and "," in cell):
                    hint = "; decimal commas? write numbers with a decimal point (1.5, not 1,5)"
                elif "#" in cell:
                    hint = "; comments go on lines of their own (starting with #)"
                raise FileReadError(f"{where} column {j + 1} has {shown_cell}{hint}")
            data[i - start, j] = val
    return data


def load(path: str | Path, *, key: str | None = None,
         max_npz_mb: float | None = None) -> np.ndarray:
    """Load an (n, d) latent array from .npy, .npz, .csv or .txt.

    .npy files are memory-mapped (float64 data is not copied until used);
    .npz takes ``key`` or the only array, and decompresses a member only up to
    ``max_npz_mb`` megabytes (default :data:`MAX_NPZ_MB`, or ``GAUSSTEST_MAX_NPZ_MB``);
    text files may have one header row (a row with no number in it, or pandas' default
    column names 0, 1, ..., d - 1) and ``#`` comment lines, and commas, semicolons, tabs
    or spaces between values; a first column of integers under a header, unnamed or
    named above the column names 0, 1, ..., d - 1 (the row index that pandas' ``to_csv()``
    writes) and an empty last column (a delimiter at
    the end of every line) are left out. Only regular files
    are read.

    Raises
    ------
    FileReadError
        Naming the file and the problem (row numbers count from 1).
    """
    path = Path(path)
    shown = show_path(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _os_error(path, exc) from None
    except ValueError as exc:  # embedded NUL byte
        raise FileReadError(f"{shown}: not a valid path ({_one_line(exc)})") from None
    if stat.S_ISDIR(st.st_mode):
        raise FileReadError(f"{shown}: is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise FileReadError(f"{shown}: is {kind}; gausstest reads regular files only "
                            "(save the latents to a .npy file)")
    if not os.access(path, os.R_OK):
        raise _os_error(path, PermissionError(errno.EACCES, "Permission denied"))
    if st.st_size == 0:
        raise FileReadError(f"{shown}: is empty (0 bytes); write the latents into it "
                            "(np.save for .npy) and run again")
    suffix = path.suffix.lower()
    if key is not None and suffix != ".npz":
        raise FileReadError(f"{shown}: --key (key=) names an array inside an .npz archive; "
                            f"this is a {suffix or 'suffix-less'} file: drop --key")
    try:
        if suffix == ".npy":
            return _load_npy(path)
        if suffix == ".npz":
            return _load_npz(path, key, max_npz_mb)
        if suffix in (".csv", ".txt", ".tsv", ".dat"):
            return _load_text(path)
    except OSError as exc:
        raise _os_error(path, exc) from None
    if suffix in (".pkl", ".pickle", ".pt", ".pth"):
        raise FileReadError(f"{shown}: {suffix} files are pickles, which gausstest never loads; "
                            "save the latents with np.save(path, z) instead")
    raise FileReadError(f"{shown}: unknown file type {suffix or '(none)'}; "
                        "use .npy, .npz, .csv or .txt")
