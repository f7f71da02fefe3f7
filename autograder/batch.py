"""Grading a whole class: every submission, its result written as soon as it is known."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from autograder import __version__
from autograder.assignment import Assignment, load_manifest
from autograder.checker import load_tests
from autograder.gradebook import Gradebook
from autograder.grading import GradingOptions, grade_submission, remove_stale_workdirs
from autograder.ingest import Submission
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
                options: GradingOptions | None = None, regrade: bool = False,
                on_result: Callable[[SubmissionResult, bool], None] = lambda result, reused: None,
                ) -> list[SubmissionResult]:
    """Grade every submission not yet in the gradebook (all of them with ``regrade``); return all results.

    ``on_result(result, reused)`` is called as each result is known; ``reused`` says it came from the gradebook.
    """
    options = options or GradingOptions()
    make_sandbox(options.sandbox, options.limits)  # fail before grading anything when the sandbox cannot run here
    remove_stale_workdirs()
    manifest = ensure_built(assignment)
    tests = load_tests(assignment.tests_dir, [q.name for q in manifest.autograded])
    results = []
    with Gradebook(out, assignment.name) as gradebook:
        for submission in submissions:
            result = None if regrade else gradebook.recorded(submission.student, submission.content_hash,
                                                             manifest.version, __version__)
            reused = result is not None
            if result is None:
                result = grade_submission(assignment, manifest, submission, options, tests)
                gradebook.record(result)
            results.append(result)
            on_result(result, reused)
        gradebook.export([q.name for q in manifest.autograded])
    return results
