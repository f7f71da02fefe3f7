"""The dashboard's pictures, as PNG bytes. ``Figure`` objects without pyplot: no global backend state, so
reports can be drawn from any thread."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from autograder.rubric import Rubric

DPI = 100


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def totals_histogram(grades: pd.DataFrame, rubric: Rubric) -> bytes:
    """Final points in ten bins of 10% of the maximum, with the grade bands' lower limits marked."""
    figure = Figure(figsize=(7, 3.6))
    axes = figure.add_subplot()
    maximum = rubric.max_points or 1.0
    axes.hist(grades["final"].to_numpy(dtype=float), bins=np.linspace(0, maximum, 11), color="#4c72b0",
              edgecolor="white")
    for band in rubric.bands[:-1]:
        at = maximum * band.min_percent / 100
        axes.axvline(at, color="#999999", linestyle="--", linewidth=1)
        axes.text(at, 1.0, f" {band.letter}", transform=axes.get_xaxis_transform(), va="top", color="#555555")
    axes.set_xlim(0, maximum)
    axes.set_xlabel(f"final points (of {maximum:g})")
    axes.set_ylabel("students")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_title("Distribution of totals")
    return png(figure)


def question_means(questions: pd.DataFrame) -> bytes:
    """Mean score of each question as a fraction of its points; flagged questions in orange."""
    figure = Figure(figsize=(7, 3.2))
    axes = figure.add_subplot()
    colours = ["#dd8452" if flag else "#55a868" for flag in questions["flag"]]
    axes.bar(questions["question"], questions["difficulty"].fillna(0.0), color=colours)
    axes.set_ylim(0, 1)
    axes.set_ylabel("mean / max")
    axes.set_title("Mean score per question (orange: flagged)")
    return png(figure)


def test_full_marks(tests: pd.DataFrame) -> bytes:
    """One horizontal bar per test: the share of students who passed it."""
    labels = [f"{row.question} · {row.test}" for row in tests.itertuples(index=False)]
    figure = Figure(figsize=(8, 0.8 + 0.28 * max(len(labels), 1)))
    axes = figure.add_subplot()
    positions = np.arange(len(labels))
    axes.barh(positions, tests["full_marks_rate"].to_numpy(dtype=float), color="#4c72b0")
    axes.set_yticks(positions, labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 1)
    axes.set_xlabel("share of students with full marks")
    axes.set_title("Full-marks rate per test")
    return png(figure)
