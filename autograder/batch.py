"""Grading a whole class: every submission, its result written as soon as it is known."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from autograder.assignment import Assignment, load_manifest
from autograder.gradebook import GradeFolder
from autograder.grading import GradingOptions, grade_submission
from autograder.ingest import Submission
from autograder.checker import load_tests
from autograder.results import SubmissionResult
from autograder.sandbox import make_sandbox


def ensure_built(assignment: Assignment, say: Callable[[str], None] = lambda _: None):
    """The current build's manifest, building first when dist/ is missing or older than solutions/."""
    manifest = load_manifest(assignment)
    if manifest is None:
        from autograder.build import build_assignment  # imports the build's dependencies only when needed

        say(f"building {assignment.name} (dist/ is missing or older than solutions/)")
        manifest = build_assignment(assignment)
    return manifest


def grade_batch(assignment: Assignment, submissions: list[Submission], out: Path,
                options: GradingOptions | None = None,
                on_result: Callable[[SubmissionResult], None] = lambda _: None) -> list[SubmissionResult]:
    options = options or GradingOptions()
    make_sandbox(options.sandbox, options.limits)  # fail before grading anything when the sandbox cannot run here
    manifest = ensure_built(assignment)
    tests = load_tests(assignment.tests_dir, [q.name for q in manifest.autograded])
    folder = GradeFolder(out, assignment.name)
    results = []
    for submission in submissions:
        result = grade_submission(assignment, manifest, submission, options, tests)
        folder.write_result(result)
        results.append(result)
        on_result(result)
    folder.write_csv(results, [q.name for q in manifest.autograded])
    return results
