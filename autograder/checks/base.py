"""What every check shares."""

import numpy as np


class CheckFailed(AssertionError):
    """A check that did not hold; the message is for the student."""


def fmt(value: float) -> str:
    """Numbers as a student reads them: 4 significant digits."""
    return f"{float(value):.4g}"


def as_float_array(values, what: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what} should be numbers, but got {type(values).__name__}") from None
    return array
