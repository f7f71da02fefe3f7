"""The autoencoder's data at both scales: the IDX reader, the trusted split, the notebook's own copy of the
loading code (it must give the very same arrays), and what happens when Fashion-MNIST is not installed."""

import gzip
import struct
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import datasets
from autograder.datasets import DataMissing, autoencoder_split, image_shape, missing_files, read_idx, require_data
from tests.conftest import needs_fashion_mnist

ROOT = Path(__file__).resolve().parent.parent
STUDENT_NOTEBOOK = ROOT / "assignments" / "autoencoder" / "autoencoder.ipynb"


def write_idx(path: Path, array: np.ndarray) -> Path:
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as file:
        file.write(header + array.astype(np.uint8).tobytes())
    return path


def test_read_idx_reads_the_header_and_the_bytes(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    labels = np.array([7, 1, 255], dtype=np.uint8)
    assert np.array_equal(read_idx(write_idx(tmp_path / "images.gz", images)), images)
    assert np.array_equal(read_idx(write_idx(tmp_path / "labels.gz", labels)), labels)


def test_read_idx_refuses_a_file_of_another_kind(tmp_path):
    path = tmp_path / "floats.gz"
    with gzip.open(path, "wb") as file:
        file.write(struct.pack(">HBBI", 0, 0x0D, 1, 1) + b"\0\0\0\0")
    with pytest.raises(ValueError, match="not an IDX file of unsigned bytes"):
        read_idx(path)


@needs_fashion_mnist
def test_the_full_split_is_fashion_mnist_in_the_documented_sizes():
    split = autoencoder_split("full")
    assert (split.x_train.shape, split.x_val.shape, split.x_test.shape) == (
        (10_000, 28, 28, 1), (2_000, 28, 28, 1), (2_000, 28, 28, 1))
    assert split.image_shape == image_shape("full") == (28, 28, 1)
    assert split.x_train.dtype == np.float32 and 0.0 <= split.x_train.min() and split.x_train.max() == 1.0
    assert sorted(np.unique(split.y_test)) == list(range(10))
    assert not split.x_train.flags.writeable  # cached for every test of every submission: nobody may change it


def test_the_small_split_is_the_digits_split_the_hidden_tests_always_used():
    from sklearn.datasets import load_digits

    split = autoencoder_split("small")
    images = (load_digits().images / 16.0).astype("float32")[..., np.newaxis]
    assert np.array_equal(split.x_test, images[np.random.default_rng(0).permutation(len(images))[1497:]])
    assert (len(split.x_train), len(split.x_val), len(split.x_test)) == (1200, 297, 300)
    assert split.image_shape == image_shape("small") == (8, 8, 1)


def notebook_data(scale: str | None, monkeypatch) -> dict:
    """What the student notebook's data cell defines with AUTOGRADER_SCALE=``scale`` (None: unset), run as the
    kernel would run it, without importing Keras."""
    import os

    from sklearn.datasets import load_digits

    cells = nbformat.read(STUDENT_NOTEBOOK, as_version=4).cells
    source = next(cell.source for cell in cells if cell.cell_type == "code" and "AUTOGRADER_SCALE" in cell.source)
    if scale is None:
        monkeypatch.delenv("AUTOGRADER_SCALE", raising=False)
    else:
        monkeypatch.setenv("AUTOGRADER_SCALE", scale)
    namespace = {"np": np, "gzip": gzip, "os": os, "struct": struct, "load_digits": load_digits}
    exec(compile(source, "the notebook's data cell", "exec"), namespace)  # noqa: S102 - our own notebook
    return namespace


@pytest.mark.parametrize("scale", ["small", pytest.param("full", marks=needs_fashion_mnist)])
def test_the_notebooks_copy_of_the_loading_code_gives_the_same_arrays(scale, monkeypatch):
    notebook, trusted = notebook_data(scale, monkeypatch), autoencoder_split(scale)
    assert notebook["scale"] == scale
    for name in ("x_train", "x_val", "x_test", "y_train", "y_val", "y_test"):
        ours, theirs = getattr(trusted, name), notebook[name]
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs), name
    assert tuple(notebook["IMAGE_SHAPE"]) == image_shape(scale)


def test_students_get_the_digits_unless_they_ask_for_the_full_scale(monkeypatch):
    notebook = notebook_data(None, monkeypatch)
    assert notebook["scale"] == "small" and tuple(notebook["IMAGE_SHAPE"]) == (8, 8, 1)


def test_missing_data_says_what_where_and_the_apt_command(tmp_path):
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(3))
    assert missing_files("small", tmp_path) == []
    assert [path.name for path in missing_files("full", tmp_path)] == [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"]
    with pytest.raises(DataMissing) as raised:
        require_data("full", tmp_path)
    message = str(raised.value)
    assert str(tmp_path) in message and "train-images-idx3-ubyte.gz" in message
    assert "apt-get install dataset-fashion-mnist" in message and "--scale small" in message
    require_data("small", tmp_path)  # the digits come with scikit-learn
    with pytest.raises(DataMissing):
        autoencoder_split("full", tmp_path)


def test_an_unknown_scale_is_refused():
    with pytest.raises(ValueError, match="choose one of small, full"):
        datasets.check_scale("medium")
