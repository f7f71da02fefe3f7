"""Scalar metrics and bands: reconstruction error, ROC AUC, value ranges."""

from __future__ import annotations

import numpy as np

from autograder.checks.bands import Band
from autograder.checks.base import CheckFailed, as_float_array, fmt


def mean_squared_error(x, x_hat) -> float:
    x, x_hat = as_float_array(x, "the images"), as_float_array(x_hat, "the reconstructions")
    if x.shape != x_hat.shape:
        raise CheckFailed(f"the reconstructions have shape {x_hat.shape}, but the images have shape {x.shape}")
    return float(np.mean((x - x_hat) ** 2))


def roc_auc(normal_scores, anomalous_scores) -> float:
    """Probability that an anomaly scores higher than a normal example (ties count half)."""
    normal = as_float_array(normal_scores, "the scores").ravel()
    anomalous = as_float_array(anomalous_scores, "the scores").ravel()
    if normal.size == 0 or anomalous.size == 0:
        raise CheckFailed("anomaly_scores returned no scores")
    if not (np.isfinite(normal).all() and np.isfinite(anomalous).all()):
        raise CheckFailed("anomaly_scores returned nan or inf")
    scores = np.concatenate([normal, anomalous])
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(scores.size)
    sorted_scores = scores[order]
    # average ranks over ties
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    ends = np.r_[starts[1:], scores.size]
    for start, end in zip(starts, ends):
        ranks[order[start:end]] = (start + end + 1) / 2
    rank_sum = ranks[normal.size:].sum()
    return float((rank_sum - anomalous.size * (anomalous.size + 1) / 2) / (normal.size * anomalous.size))


def check_in_band(value: float, band: Band, what: str) -> None:
    if not np.isfinite(value) or value not in band:
        raise CheckFailed(f"{what} was {fmt(value)}; it should be {band.describe()}")


def check_auc_at_least(auc: float, minimum: float, what: str) -> None:
    if not auc >= minimum:
        raise CheckFailed(f"{what}: ROC AUC {fmt(auc)}, but at least {fmt(minimum)} is needed "
                          "(higher scores should mean more anomalous)")


def check_value_range(values, low: float, high: float, what: str) -> None:
    array = as_float_array(values, what)
    if not np.isfinite(array).all():
        raise CheckFailed(f"{what} contain nan or inf")
    if array.min() < low or array.max() > high:
        raise CheckFailed(f"{what} range from {fmt(array.min())} to {fmt(array.max())}; they should lie in "
                          f"[{fmt(low)}, {fmt(high)}] (a sigmoid output layer does that)")
