"""Grading a whole class: every submission, its result written as soon as it is known."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from autograder.assignment import Assignment, load_manifest
from autograder.build import build_assignment
from autograder.gradebook import GradeFolder
from autograder.grading import GradingOptions, grade_submission
from autograder.ingest import Submission
from autograder.results import SubmissionResult


def ensure_built(assignment: Assignment, say: Callable[[str], None] = lambda _: None):
    """The current build's manifest, building first when dist/ is missing or older than solutions/."""
    manifest = load_manifest(assignment)
    if manifest is None:
        say(f"building {assignment.name} (dist/ is missing or older than solutions/)")
        manifest = build_assignment(assignment)
    return manifest


def grade_batch(assignment: Assignment, submissions: list[Submission], out: Path,
                options: GradingOptions | None = None,
                on_result: Callable[[SubmissionResult], None] = lambda _: None) -> list[SubmissionResult]:
    manifest = ensure_built(assignment)
    folder = GradeFolder(out, assignment.name)
    results = []
    for submission in submissions:
        result = grade_submission(assignment, manifest, submission, options)
        folder.write_result(result)
        results.append(result)
        on_result(result)
    folder.write_csv(folder.read_results(), [q.name for q in manifest.autograded])
    return results
