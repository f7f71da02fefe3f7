"""Checks for exam answers: a number, a choice, a short word. Pure functions with messages for students."""

from __future__ import annotations

import math

from autograder.checks.base import CheckFailed, fmt


def check_number(value, expected: float, what: str, rel: float = 1e-6, abs_tol: float = 0.0) -> None:
    """``value`` equals ``expected`` within a relative (and optional absolute) tolerance."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)  # numpy scalars and numeric strings are fine
        except (TypeError, ValueError):
            raise CheckFailed(f"{what} should be a number, but it is {type(value).__name__} {value!r:.60}") from None
    if not math.isfinite(float(value)):
        raise CheckFailed(f"{what} should be a finite number, but it is {value}")
    if not math.isclose(float(value), float(expected), rel_tol=rel, abs_tol=abs_tol):
        shown = f"{int(value):,}" if float(value).is_integer() and abs(float(value)) < 1e15 else fmt(value)
        raise CheckFailed(f"{what} is {shown}, which is not the right value")


def check_choice(answer, correct: str, choices: list[str], what: str) -> None:
    """``answer`` is the letter of the correct choice (A, B, ...), in either case."""
    letters = [chr(ord("A") + index) for index in range(len(choices))]
    given = str(answer).strip().strip(".)").upper() if isinstance(answer, str) else None
    if given not in letters:
        raise CheckFailed(f"{what} should be one of the letters {', '.join(letters)}, but it is {answer!r:.60}")
    if given != correct:
        raise CheckFailed(f"{what} is {given}, which is not the right choice")


def check_word(answer, accepted: list[str], what: str) -> None:
    """``answer`` is one of ``accepted`` (a word or short phrase), ignoring case, spaces, '-' and '_'."""
    def normal(text: str) -> str:
        return "".join(ch for ch in text.casefold() if ch.isalnum())

    if not isinstance(answer, str):
        raise CheckFailed(f"{what} should be a string, but it is {type(answer).__name__}")
    if normal(answer) not in {normal(word) for word in accepted}:
        raise CheckFailed(f"{what} is {answer!r:.60}, which is not the right answer")


def check_numbers(values, expected, what: str, rel: float = 1e-6, abs_tol: float = 0.0) -> None:
    """``values`` is a list (or 1-D array) of numbers, each equal to ``expected``'s within the tolerances."""
    expected = list(expected)
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise CheckFailed(f"{what} should be a list of {len(expected)} numbers, but it is {type(values).__name__}")
    if len(values) != len(expected):
        raise CheckFailed(f"{what} should hold {len(expected)} numbers, but it holds {len(values)}")
    for index, (value, want) in enumerate(zip(values, expected)):
        check_number(value, want, f"{what}[{index}]", rel=rel, abs_tol=abs_tol)


def whole_numbers(values, length: int, what: str, meaning: str) -> list[int]:
    """``values`` as a list of ``length`` integers (a shape, say), or a failure that says what was expected."""
    try:
        numbers = [int(n) for n in values if float(n) == int(n)]
    except (TypeError, ValueError):
        numbers = []
    if isinstance(values, (str, bytes)) or len(numbers) != length or len(values) != length:
        raise CheckFailed(f"{what} should be a tuple of {length} integers ({meaning})")
    return numbers
