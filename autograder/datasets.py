"""The autoencoder assignment's data at each grading scale, loaded in one trusted place (light: numpy only, so
the sandbox and the checker can import it).

``small``: scikit-learn's 1,797 digits of 8 x 8 pixels (pixels / 16), split 1,200 / 297 / 300 with seed 0.
``full``: Fashion-MNIST's 28 x 28 clothing images from Debian's ``dataset-fashion-mnist`` package (pixels / 255):
10,000 training and 2,000 validation images drawn from its 60,000 training images, and 2,000 test images from
its 10,000 test images, each with a fixed seed (why these sizes: docs/design.md).

Hidden tests call ``autoencoder_split(scale)`` with the ``scale`` the checker gives them, never the notebook's.
The notebook keeps its own visible copy of this code (students must see how their data is made);
``tests/test_datasets.py`` checks that both give identical arrays at both scales. Nothing is downloaded.
"""

from __future__ import annotations

import functools
import gzip
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SCALES = ("small", "full")
# What the small scale imports only when first used, for ``checker.import_ahead`` to import first.
IMPORT_AHEAD = ("sklearn.datasets",)
SCALE_VARIABLE = "AUTOGRADER_SCALE"  # how the scale reaches the kernel (the notebook's data cell reads it)

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                       "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
FASHION_MNIST_PACKAGE = "dataset-fashion-mnist"
FULL_TRAIN, FULL_VAL, FULL_TEST = 10_000, 2_000, 2_000


class DataMissing(RuntimeError):
    """A scale's data files are not installed here; the message names them and the command that installs them."""


@dataclass(frozen=True)
class Split:
    """Images (n, height, width, 1) float32 in [0, 1] and their labels, for training, validation and test."""

    x_train: np.ndarray
    x_val: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray
    y_val: np.ndarray
    y_test: np.ndarray

    @property
    def image_shape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self.x_train.shape[1:])

    @property
    def all_images(self) -> np.ndarray:
        """Every image of the split, training, validation and test: what a copying "model" could return."""
        return np.concatenate([self.x_train, self.x_val, self.x_test])


def image_shape(scale: str) -> tuple[int, int, int]:
    """The shape of one image at ``scale``, without loading anything."""
    return {"small": (8, 8, 1), "full": (28, 28, 1)}[check_scale(scale)]


def check_scale(scale: str) -> str:
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    return scale


def missing_files(scale: str, folder: Path | None = None) -> list[Path]:
    """The data files ``scale`` needs that are not here (none for ``small``: scikit-learn ships the digits)."""
    if check_scale(scale) == "small":
        return []
    folder = Path(folder or FASHION_MNIST_DIR)
    return [folder / name for name in FASHION_MNIST_FILES if not (folder / name).is_file()]


def require_data(scale: str, folder: Path | None = None) -> None:
    """Raise DataMissing, saying what is missing, where, and how to install it, unless ``scale`` can be graded."""
    folder = Path(folder or FASHION_MNIST_DIR)
    missing = missing_files(scale, folder)
    if missing:
        raise DataMissing(
            f"the {scale} scale grades on Fashion-MNIST, but {len(missing)} of its files are missing in {folder}: "
            f"{', '.join(path.name for path in missing)}; install Debian's {FASHION_MNIST_PACKAGE} package "
            f"(`apt-get install {FASHION_MNIST_PACKAGE}`, as root) or grade with --scale small")


def kernel_needs(scale: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """What a kernel graded at ``scale`` gets: the variable its notebook's data cell reads, and the folder of
    Fashion-MNIST it may read at the full scale (a sandbox knows neither; it gets both in its KernelSpec)."""
    return {SCALE_VARIABLE: scale}, ((str(FASHION_MNIST_DIR),) if scale == "full" else ())


def read_idx(path: Path) -> np.ndarray:
    """An array from a gzipped IDX file (the MNIST format): a magic number whose last byte is the number of
    dimensions, one big-endian 32-bit size per dimension, then unsigned bytes."""
    with gzip.open(path, "rb") as file:
        data = file.read()
    zero, kind, dimensions = struct.unpack(">HBB", data[:4])
    if zero != 0 or kind != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes (magic {data[:4].hex()})")
    shape = struct.unpack(f">{dimensions}I", data[4:4 + 4 * dimensions])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dimensions).reshape(shape)


def autoencoder_split(scale: str, folder: Path | None = None) -> Split:
    """The assignment's split at ``scale``. Cached: the arrays are read-only."""
    folder = Path(folder or FASHION_MNIST_DIR)
    check_scale(scale)
    if scale == "full":
        require_data(scale, folder)
    return _split(scale, str(folder))


@functools.lru_cache(maxsize=4)
def _split(scale: str, folder: str) -> Split:
    if scale == "small":
        from sklearn.datasets import load_digits

        digits = load_digits()
        images = (digits.images / 16.0).astype("float32")[..., np.newaxis]
        order = np.random.default_rng(0).permutation(len(images))
        train, val, test = order[:1200], order[1200:1497], order[1497:]
        return _frozen(Split(images[train], images[val], images[test],
                             digits.target[train], digits.target[val], digits.target[test]))
    root = Path(folder)
    train_images = read_idx(root / "train-images-idx3-ubyte.gz")
    train_labels = read_idx(root / "train-labels-idx1-ubyte.gz")
    test_images = read_idx(root / "t10k-images-idx3-ubyte.gz")
    test_labels = read_idx(root / "t10k-labels-idx1-ubyte.gz")
    order = np.random.default_rng(0).permutation(len(train_images))
    train, val = order[:FULL_TRAIN], order[FULL_TRAIN:FULL_TRAIN + FULL_VAL]
    test = np.random.default_rng(1).permutation(len(test_images))[:FULL_TEST]

    def scaled(images):
        return (images / 255.0).astype("float32")[..., np.newaxis]

    return _frozen(Split(scaled(train_images[train]), scaled(train_images[val]), scaled(test_images[test]),
                         train_labels[train].astype(np.int64), train_labels[val].astype(np.int64),
                         test_labels[test].astype(np.int64)))


def _frozen(split: Split) -> Split:
    for array in vars(split).values():
        array.flags.writeable = False
    return split

