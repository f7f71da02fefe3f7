"""What a name means in a course folder: an assignment (solutions/NAME/NAME.ipynb) or an exam built from the bank
(solutions/NAME/exam.json). The one place that knows both kinds; the engine works with either through
``Assignment``'s methods."""

from __future__ import annotations

from pathlib import Path

from autograder.assignment import Assignment, AssignmentError
from autograder.exam import EXAM_FILE, Exam


def find_assignment(name: str, root: Path) -> Assignment:
    """The assignment, or the exam (``autograder exam build``), called ``name`` in the course folder ``root``."""
    if (Path(root) / "solutions" / name / EXAM_FILE).is_file():
        return Exam(name, Path(root).resolve())
    assignment = Assignment(name, Path(root).resolve())
    if not assignment.master.is_file():
        known = sorted(p.name for p in (assignment.root / "solutions").glob("*") if (p / f"{p.name}.ipynb").is_file())
        hint = f"known assignments: {', '.join(known)}" if known else "there is no solutions/ folder here"
        raise AssignmentError(f"unknown assignment {name!r}: {assignment.master} does not exist ({hint})")
    return assignment
