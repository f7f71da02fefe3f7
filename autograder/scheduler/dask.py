"""Grading on a Dask cluster: each task grades one submission where it runs and returns its result as JSON.

The workers must see the same course folder (solutions/, assignments/, dist/) at the same path, as on a
shared file system; the gradebook stays with the client, so resuming works as with local grading.
Workers keep a warm kernel per worker thread, as the local pool does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from autograder.ingest import Submission
from autograder.results import SubmissionResult
from autograder.scheduler import GradingJob


class DaskScheduler:
    def __init__(self, address: str, connect_timeout_s: float = 30):
        try:
            from distributed import Client
        except ImportError:
            raise RuntimeError("--scheduler needs dask's distributed package: pip install 'dask[distributed]'")
        try:
            self.client = Client(address, timeout=connect_timeout_s)
        except OSError as error:
            raise RuntimeError(f"cannot reach the Dask scheduler at {address} ({error}); start it with "
                               "`dask scheduler` and workers with `dask worker ADDRESS`") from None

    def run(self, job: GradingJob, submissions: list[Submission]) -> Iterator[SubmissionResult]:
        """A task that errs (its worker died, say) is recorded as that student's failed result; the rest go on."""
        from distributed import as_completed

        from autograder.grading import grading_failed

        options = _options_to_data(job.options)
        futures = {}
        for index, s in enumerate(submissions):
            future = self.client.submit(grade_on_worker, str(job.assignment.root), job.assignment.name, options,
                                        s.student, s.name, s.data, s.submitted_at, s.display_name, pure=False,
                                        key=f"grade-{s.student}-{index}")
            futures[future.key] = future, s
        for future in as_completed([future for future, _ in futures.values()]):
            submission = futures[future.key][1]
            try:
                result = SubmissionResult.from_json(json.loads(future.result()))
            except KeyboardInterrupt:
                raise
            except BaseException as error:  # noqa: BLE001 - KilledWorker, a worker's error, a malformed answer
                result = grading_failed(job, submission, error)
            yield result  # outside the try: a GeneratorExit thrown in here must end the generator

    def close(self) -> None:
        self.client.close()


def _options_to_data(options) -> dict:
    return asdict(options)


def _options_from_data(data: dict):
    from autograder.grading import GradingOptions
    from autograder.sandbox.limits import ResourceLimits

    return GradingOptions(**{**data, "limits": ResourceLimits(**data["limits"])})


_WORKER = threading.local()


def grade_on_worker(root: str, name: str, options: dict, student: str, origin: str, data: bytes,
                    submitted_at: float | None = None, display_name: str = "") -> str:
    """Runs on a Dask worker: grade one submission there, return its result as JSON text.

    Whatever grading raises (a SystemExit too, which Dask would let end the worker) becomes this submission's
    failed result; a worker that cannot even load the assignment raises a plain error, which the client records.
    """
    from autograder.assignment import AssignmentError, find_assignment, load_manifest
    from autograder.checker import load_tests
    from autograder.grading import grade_submission, grading_failed
    from autograder.kernel_pool import KernelBudget, WarmKernels
    from autograder.scheduler import GradingJob

    submission = Submission(student, origin, data, submitted_at=submitted_at, display_name=display_name)
    try:
        assignment = find_assignment(name, Path(root))
        manifest = load_manifest(assignment)
        if manifest is None:
            raise AssignmentError(f"{assignment.dist_dir} on this worker is missing or older than solutions/; "
                                  "build the assignment where the workers can see it")
        grading_options = _options_from_data(options)
        key = (root, name, manifest.version, json.dumps(options, sort_keys=True))
        if getattr(_WORKER, "key", None) != key:
            if getattr(_WORKER, "kernels", None) is not None:
                _WORKER.kernels.close()
            _WORKER.key, _WORKER.kernels = None, None  # until the new tests and kernels are ready
            _WORKER.tests = load_tests(assignment.tests_dir, [q.name for q in manifest.autograded])
            _WORKER.kernels = WarmKernels(assignment, manifest, grading_options, KernelBudget(10**9))
            _WORKER.key = key
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - no tests to fail yet: the client records it for this student
        raise RuntimeError(f"the Dask worker could not prepare {name} ({type(error).__name__}: {error})") from None
    try:
        result = grade_submission(assignment, manifest, submission, grading_options, _WORKER.tests, _WORKER.kernels)
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - one submission must not take the worker or the batch with it
        result = grading_failed(GradingJob(assignment, manifest, grading_options, _WORKER.tests), submission, error)
    return json.dumps(result.to_json())
