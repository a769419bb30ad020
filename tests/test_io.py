"""Reading files: .npy (memory-mapped), .npz, .csv/.txt; never unpickling."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from gausstest import FileReadError, example_path, load


def test_npy_is_memory_mapped(tmp_path, rng):
    a = rng.standard_normal((30, 3))
    np.save(tmp_path / "z.npy", a)
    out = load(tmp_path / "z.npy")
    assert isinstance(out, np.memmap)
    np.testing.assert_array_equal(out, a)


def test_object_npy_is_refused_not_unpickled(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(FileReadError, match="never unpickles"):
        load(tmp_path / "obj.npy")


def test_pickle_file_refused(tmp_path):
    p = tmp_path / "z.pkl"
    p.write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(FileReadError, match="never loads"):
        load(p)


def test_npz_only_array_and_key(tmp_path, rng):
    a, b = rng.standard_normal((10, 2)), rng.standard_normal((12, 3))
    np.savez(tmp_path / "one.npz", z=a)
    np.testing.assert_array_equal(load(tmp_path / "one.npz"), a)
    np.savez(tmp_path / "two.npz", mu=a, logvar=b)
    with pytest.raises(FileReadError, match="--key"):
        load(tmp_path / "two.npz")
    np.testing.assert_array_equal(load(tmp_path / "two.npz", key="logvar"), b)
    with pytest.raises(FileReadError, match="no array 'nope'"):
        load(tmp_path / "two.npz", key="nope")


def test_csv_with_header(tmp_path):
    p = tmp_path / "z.csv"
    p.write_text("z0,z1\n1.5,2\n-3,4e-1\n")
    np.testing.assert_array_equal(load(p), [[1.5, 2.0], [-3.0, 0.4]])



@pytest.mark.parametrize("text", [
    ",z0,z1\n0,1.5,2\n1,-3,4e-1\n",     # pandas df.to_csv(): unnamed index column
    ",0,1\n0,1.5,2\n1,-3,4e-1\n",       # ... with default integer column names
    "0,1\n1.5,2\n-3,4e-1\n",            # pd.DataFrame(z).to_csv(index=False)
    ",0,1\n7,1.5,2\n12,-3,4e-1\n",      # a filtered frame: the index is not 0..n-1
    "1.5,2,\n-3,4e-1,\n",                # a delimiter at the end of every line
    "z0,z1,\n1.5,2,\n-3,4e-1,\n",
    # to_csv(sep=" ") with the index: the header's empty first cell is lost in the
    # whitespace split, and the index had been read as a coordinate (sweep 8)
    " 0 1\n0 1.5 2\n1 -3 4e-1\n",
    " a b\n0 1.5 2\n1 -3 4e-1\n",
    # a named index above pandas' default column names (df.index.name = "id"): refused as
    # "non-numeric value 'id'" (sweep 9)
    "id,0,1\n0,1.5,2\n1,-3,4e-1\n",
])
def test_csv_as_pandas_and_exporters_write_it(tmp_path, text):
    """The row index pandas writes is not a latent dimension (it had been scored as one:
    'dimension 0 has variance 7.5e+03'), nor is a header of column numbers a data row."""
    p = tmp_path / "z.csv"
    p.write_text(text)
    np.testing.assert_array_equal(load(p), [[1.5, 2.0], [-3.0, 0.4]])


def test_csv_of_integers_starting_0_1_is_data_and_pandas_d1_reads(tmp_path):
    p = tmp_path / "ints.csv"
    p.write_text("0,1\n2,3\n4,5\n")
    np.testing.assert_array_equal(load(p), [[0, 1], [2, 3], [4, 5]])
    for text in ("0\n1.5\n-3\n", ",0\n0,1.5\n1,-3\n"):  # pandas, d = 1, without / with index
        p.write_text(text)
        np.testing.assert_array_equal(load(p), [[1.5], [-3.0]])


def test_csv_first_column_of_integers_with_a_name_is_data(tmp_path):
    p = tmp_path / "z.csv"
    p.write_text("a,b\n0,1.5\n1,-3\n")
    np.testing.assert_array_equal(load(p), [[0, 1.5], [1, -3]])
    p.write_text("id,z0\n0,1.5\n1,-3\n")  # named columns: "id" may be a quantized latent
    np.testing.assert_array_equal(load(p), [[0, 1.5], [1, -3]])


def test_csv_empty_cell_is_a_missing_value(tmp_path):
    """pandas writes NaN as an empty cell: it is NaN, for nan_policy to decide (it had been
    "column 2 has an empty value", exit 2 even with --nan-policy omit; sweep 9)."""
    p = tmp_path / "z.csv"
    p.write_text("a,b\n1.5,2\n-3,\n0.5,1\n")
    got = load(p)
    assert got.shape == (3, 2) and np.isnan(got[1, 1])
    np.testing.assert_array_equal(got[[0, 2]], [[1.5, 2.0], [0.5, 1.0]])


def test_csv_empty_first_row_and_integer_files_with_gaps(tmp_path):
    """An all-empty first row is a row of NaN, not a header; an empty cell later does not
    make "0,1,2" a header of an integer file (review 9)."""
    p = tmp_path / "z.csv"
    p.write_text(",\n1.5,2\n-3,4\n")
    got = load(p)
    assert got.shape == (3, 2) and np.isnan(got[0]).all()
    p.write_text("0,1,2\n3,,5\n6,7,8\n")
    got = load(p)
    assert got.shape == (3, 3) and list(got[0]) == [0, 1, 2] and np.isnan(got[1, 1])


def test_txt_whitespace_and_comments(tmp_path):
    p = tmp_path / "z.txt"
    p.write_text("# latents\n1 2 3\n4  5\t6\n")
    np.testing.assert_array_equal(load(p), [[1, 2, 3], [4, 5, 6]])


def test_non_numeric_csv_names_row(tmp_path):
    p = tmp_path / "z.csv"
    p.write_text("a,b\n1,2\n3,oops\n")
    with pytest.raises(FileReadError, match=r"row 2 \(line 3\) column 2 has a non-numeric value 'oops'"):
        load(p)


def test_ragged_csv(tmp_path):
    p = tmp_path / "z.csv"
    p.write_text("1,2\n3\n")
    with pytest.raises(FileReadError, match=r"row 2 \(line 2\) has 1 values"):
        load(p)


@pytest.mark.parametrize("name, content, message", [
    ("missing.npy", None, "no such file"),
    ("empty.csv", b"", "empty"),
    ("empty.npy", b"", "empty"),
    ("garbage.npy", b"not a numpy file at all", "not a readable .npy"),
    ("garbage.npz", b"PK not a zip", "not a readable .npz"),
    ("z.parquet", b"abc", "unknown file type"),
    ("blank.csv", b"\n\n# only a comment\n", "empty"),
])
def test_bad_files(tmp_path, name, content, message):
    p = tmp_path / name
    if content is not None:
        p.write_bytes(content)
    with pytest.raises(FileReadError, match=message):
        load(p)


def test_example_ships():
    z = load(example_path())
    assert z.shape == (2000, 16) and np.isfinite(z).all()
