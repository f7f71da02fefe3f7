"""Tolerance bands recorded from the reference solution."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Band:
    """An accepted interval for a measured value, with where it came from.

    ``reference`` is what the reference solution measured (with ``seed``); ``low``/``high`` add the margin
    that admits every valid solution we know of. ``note`` says how the margin was chosen.
    """

    low: float
    high: float
    reference: float | None = None
    seed: int | None = None
    note: str = ""

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def describe(self) -> str:
        if self.low == float("-inf"):
            return f"at most {self.high:.4g}"
        if self.high == float("inf"):
            return f"at least {self.low:.4g}"
        return f"between {self.low:.4g} and {self.high:.4g}"
