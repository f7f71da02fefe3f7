"""Training histories: loss curves as lists of numbers, one per epoch."""

from __future__ import annotations

import numpy as np

from autograder.checks.base import CheckFailed, as_float_array, fmt


def check_finite(losses, what: str = "loss") -> None:
    values = as_float_array(losses, what)
    if values.size == 0:
        raise CheckFailed(f"the {what} history is empty: did you call fit?")
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise CheckFailed(f"the {what} became {values[bad[0]]} at epoch {bad[0] + 1}: lower the learning rate "
                          "or check the loss and the output activation")


def check_epochs(losses, minimum: int, what: str = "loss") -> None:
    count = as_float_array(losses, what).size
    if count < minimum:
        raise CheckFailed(f"the model was trained for {count} epoch(s); train for at least {minimum}")


def check_decreases(losses, factor: float, what: str = "validation loss") -> None:
    """The last value is at most ``factor`` times the first (e.g. 0.5: halved)."""
    values = as_float_array(losses, what)
    check_finite(values, what)
    first, last = values[0], values[-1]
    if not last <= factor * first:
        raise CheckFailed(f"the {what} went from {fmt(first)} in the first epoch to {fmt(last)} in the last; "
                          f"it should fall to at most {factor:g} times its first value: train longer or "
                          "check the model")


def check_no_late_divergence(losses, window: int = 5, tolerance: float = 0.1, what: str = "validation loss") -> None:
    """Over the last ``window`` epochs the value may not rise by more than ``tolerance`` (relative) above
    the best value seen before that window."""
    values = as_float_array(losses, what)
    check_finite(values, what)
    if values.size <= window:
        return
    best_before = values[:-window].min()
    late = values[-window:]
    if late[-1] > best_before * (1 + tolerance) and late[-1] > late[0]:
        raise CheckFailed(f"the {what} rose from {fmt(best_before)} to {fmt(late[-1])} over the last {window} "
                          "epochs; the model is diverging or overfitting (lower the learning rate, stop earlier, "
                          "or regularise)")
