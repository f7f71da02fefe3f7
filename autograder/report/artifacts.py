"""Pictures of what a student's code produced, for the feedback page.

The grader leaves arrays in ``GRADE_DIR/artifacts/<safe student id>/<question>.<name>.npy`` (``numpy.save``
with ``allow_pickle=False``). We read them with ``allow_pickle=False`` only and skip any file that does not
load as a numeric array. What we draw, per question:
  * 1-D arrays whose name contains ``loss`` (``q3.history.loss``, ``q3.history.val_loss``): one line plot;
    ``reference.<curve>_low`` / ``_high`` pairs (``q3.reference.val_loss_low``) shade a reference band on it;
  * arrays of images, ``(n, h, w)``, ``(n, h, w, 1)`` or ``(n, h, w, 3)`` (``q4.denoised``): a grid;
  * arrays of points in the plane, ``(n, 2)``, whose name contains ``samples`` (``q3.samples``): a scatter plot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from autograder.report.plots import png

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_IMAGES = 32
MAX_POINTS = 5000
LONG_CURVE = 200  # longer loss curves are per training step: drawn as lines without markers


@dataclass
class Picture:
    question: str
    title: str
    png: bytes


def load_artifacts(folder: Path) -> dict[str, dict[str, np.ndarray]]:
    """question -> name -> array, for every readable numeric ``.npy`` file in ``folder``."""
    found: dict[str, dict[str, np.ndarray]] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.npy")):
        question, _, name = path.name[: -len(".npy")].partition(".")
        if not question or not name or not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            continue
        try:
            array = np.load(path, allow_pickle=False)
        except Exception:  # any file that does not load is skipped, as the contract says
            continue
        if not isinstance(array, np.ndarray):  # a zip (.npz) under a .npy name
            array.close()
            continue
        if array.dtype.kind in "biuf":  # booleans, integers, floats: what we can draw
            found.setdefault(question, {})[name] = array
    return found


def draw_artifacts(folder: Path) -> list[Picture]:
    pictures = []
    for question, arrays in load_artifacts(folder).items():
        losses = {name: a for name, a in arrays.items() if a.ndim == 1 and "loss" in name and not _band_end(name)}
        if losses:
            pictures.append(Picture(question, f"{question}: training curves", _loss_plot(question, losses, arrays)))
        for name, array in arrays.items():
            if _is_images(array):
                pictures.append(Picture(question, f"{question}: {name}", _image_grid(array)))
            elif array.ndim == 2 and array.shape[1] == 2 and len(array) and "samples" in name:
                pictures.append(Picture(question, f"{question}: {name}", _scatter(question, name, array)))
    return pictures


def _band_end(name: str) -> str:
    return "low" if name.endswith("_low") else "high" if name.endswith("_high") else ""


def _loss_plot(question: str, losses: dict[str, np.ndarray], arrays: dict[str, np.ndarray]) -> bytes:
    figure = Figure(figsize=(6, 3.4))
    axes = figure.add_subplot()
    for name, low in arrays.items():
        if low.ndim == 1 and name.endswith("_low") and name[: -len("_low")] + "_high" in arrays:
            high = arrays[name[: -len("_low")] + "_high"]
            count = min(len(low), len(high))
            curve = name[: -len("_low")].removeprefix("reference.")
            axes.fill_between(np.arange(1, count + 1), _finite(low[:count]), _finite(high[:count]), alpha=0.2,
                              color="#999999", label=f"reference band ({curve})")
    steps = max(len(values) for values in losses.values()) > LONG_CURVE  # a GAN's steps, not epochs
    for name, values in losses.items():
        axes.plot(np.arange(1, len(values) + 1), _finite(values), marker=None if steps else "o", markersize=3,
                  linewidth=0.8 if steps else 1.5, label=name.removeprefix("history."))
    unit = "step" if steps else "epoch"
    axes.set_xlabel(unit)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.set_ylabel("loss")
    axes.set_title(f"{question}: loss per {unit}")
    axes.legend(fontsize=8)
    return png(figure)


def _scatter(question: str, name: str, points: np.ndarray) -> bytes:
    points = points[:MAX_POINTS].astype(float)
    points = points[np.all(np.isfinite(points), axis=1)]
    figure = Figure(figsize=(4, 4))
    axes = figure.add_subplot()
    axes.scatter(points[:, 0], points[:, 1], s=2, alpha=0.4, linewidths=0)
    axes.set_aspect("equal", adjustable="datalim")
    axes.set_title(f"{question}: {name} ({len(points)} points)")
    return png(figure)


def _finite(values: np.ndarray) -> np.ndarray:
    values = values.astype(float)
    return np.where(np.isfinite(values), values, np.nan)  # inf or nan: a gap in the line, not a broken axis


def _is_images(array: np.ndarray) -> bool:
    if array.ndim == 4 and array.shape[-1] in (1, 3):
        return min(array.shape[:3]) > 0
    return array.ndim == 3 and min(array.shape) > 0 and array.shape[1] > 1 and array.shape[2] > 1


def _image_grid(array: np.ndarray) -> bytes:
    images = array[:MAX_IMAGES].astype(float)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    columns = min(8, len(images))
    rows = math.ceil(len(images) / columns)
    figure = Figure(figsize=(1.1 * columns, 1.1 * rows))
    finite = images[np.isfinite(images)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if images.ndim == 4:  # colour: matplotlib wants [0, 1]
        images = np.clip((np.nan_to_num(images) - low) / ((high - low) or 1.0), 0, 1)
    for index, image in enumerate(images):
        axes = figure.add_subplot(rows, columns, index + 1)
        axes.imshow(image, cmap="gray", vmin=None if images.ndim == 4 else low,
                    vmax=None if images.ndim == 4 else high, interpolation="nearest")
        axes.set_axis_off()
    return png(figure)
