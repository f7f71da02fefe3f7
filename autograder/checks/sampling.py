"""Sampling distributions: do draws follow the probabilities they should?"""

from __future__ import annotations

import numpy as np
from scipy import stats

from autograder.checks.base import CheckFailed, as_float_array, fmt


def chi_square_pvalue(draws, probabilities) -> float:
    """p-value of Pearson's chi-square test of integer ``draws`` against ``probabilities`` (categories with
    zero probability must never be drawn)."""
    probabilities = as_float_array(probabilities, "the probabilities")
    draws = np.asarray(draws)
    if draws.size == 0:
        raise CheckFailed("no draws were returned")
    if not np.issubdtype(draws.dtype, np.integer) or draws.min() < 0 or draws.max() >= probabilities.size:
        raise CheckFailed(f"draws should be indices from 0 to {probabilities.size - 1}")
    counts = np.bincount(draws, minlength=probabilities.size)
    impossible = (probabilities == 0) & (counts > 0)
    if impossible.any():
        return 0.0
    support = probabilities > 0
    expected = probabilities[support] * draws.size
    return float(stats.chisquare(counts[support], expected).pvalue)


def check_distribution(draws, probabilities, what: str, alpha: float = 1e-6) -> None:
    pvalue = chi_square_pvalue(draws, probabilities)
    if pvalue < alpha:
        counts = np.bincount(np.asarray(draws), minlength=len(probabilities)) / max(len(draws), 1)
        raise CheckFailed(f"{what} do not follow the expected probabilities (chi-square p = {fmt(pvalue)}): "
                          f"expected frequencies {np.round(probabilities, 3).tolist()}, "
                          f"observed {np.round(counts, 3).tolist()}")
