"""Helpers that hidden tests may import; each works on real objects (plain Otter) and on checker proxies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def call_many(function: Callable[..., Any], n: int, *args: Any, **kwargs: Any) -> list[Any]:
    """Call ``function(*args, **kwargs)`` ``n`` times and return the results in order.

    On a checker proxy the loop runs inside the student's kernel in one round trip, so a
    chi-square test of 20,000 draws costs one bridge call instead of 20,000.
    """
    batched = getattr(type(function), "_autograder_call_many", None)
    if batched is not None:
        return batched(function, n, args, kwargs)
    return [function(*args, **kwargs) for _ in range(n)]
