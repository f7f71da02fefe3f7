"""Grading a whole class: every submission, its result written as soon as it is known."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from autograder.assignment import Assignment, AssignmentError, load_manifest, previous_otter_args
from autograder.checker import load_tests
from autograder.gradebook import Gradebook
from autograder.grading import GradingOptions, grading_failed
from autograder.ingest import Submission
from autograder.job import plan_job, resolved
from autograder.kernel_pool import kernel_sandbox, remove_stale_workdirs
from autograder.results import SubmissionResult
from autograder.scheduler import Batch, Scheduler, make_scheduler


def ensure_built(assignment: Assignment, say: Callable[[str], None] = lambda _: None):
    """The current build's manifest, building first when dist/ is missing or older than solutions/."""
    manifest = load_manifest(assignment)
    if manifest is None and (refusal := assignment.rebuild_refusal()):
        raise AssignmentError(refusal)
    if manifest is None:
        from autograder.build import build_assignment  # imports the build's dependencies only when needed

        say(f"building {assignment.name} (dist/ is missing or older than solutions/)")
        manifest = build_assignment(assignment, previous_otter_args(assignment), warn=say)
    return manifest


def grade_batch(assignment: Assignment, submissions: list[Submission], out: Path,
                options: GradingOptions | None = None, regrade: bool = False,
                on_result: Callable[[SubmissionResult, bool], None] = lambda result, reused: None,
                scheduler: Scheduler | None = None) -> list[SubmissionResult]:
    """Grade every submission not yet in the gradebook (all of them with ``regrade``); return all results
    in the order of ``submissions``.

    Each submission becomes a job (``autograder.job``) that holds every setting its grade depends on; a recorded
    result is reused only under the same job key, so changing a setting regrades. ``on_result(result, reused)`` is
    called as each result is known; ``reused`` says it came from the gradebook. Results are recorded one
    transaction each, as they come.
    """
    options = resolved(options or GradingOptions())
    kernel_sandbox(options).check()  # before grading anything: the sandbox can run here (else it says what to do)
    remove_stale_workdirs()
    manifest = ensure_built(assignment)
    batch = Batch(assignment, manifest, load_tests(assignment.tests_dir, [q.name for q in manifest.autograded]))
    scheduler = scheduler or make_scheduler(None, workers=1, warm=False)
    by_key: dict[tuple[str, str], SubmissionResult] = {}
    with Gradebook(out, assignment.name) as gradebook:
        todo, job_keys = [], {}
        for submission in submissions:
            try:
                job = plan_job(assignment, manifest, submission, options)
            except KeyboardInterrupt:
                raise
            # a grader bug planning one submission, or a SystemExit from an exam's variant code, costs only it
            except BaseException as error:  # noqa: BLE001
                by_key[submission.student, submission.content_hash] = failed = grading_failed(batch, submission, error)
                gradebook.record(failed)
                on_result(failed, False)
                continue
            job_keys[submission.student, submission.content_hash] = job.key()
            recorded = None if regrade else gradebook.recorded(submission.student, job.key())
            if recorded is None or recorded.grader_failed:  # new, or the grader itself failed on it: grade again
                todo.append(job)
            else:
                by_key[submission.student, submission.content_hash] = recorded
                on_result(recorded, True)
        for result in scheduler.run(batch, todo):
            gradebook.record(result, job_keys[result.student, result.content_hash])
            by_key[result.student, result.content_hash] = result
            on_result(result, False)
        gradebook.export([q.name for q in manifest.autograded])
    return [by_key[s.student, s.content_hash] for s in submissions]
