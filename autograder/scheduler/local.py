"""Grading on this machine: a pool of worker threads, each with its own supply of warm kernels.

Threads are enough: a worker spends its time waiting for its kernel (a separate, sandboxed process);
the checker's own work per test is small.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace

from autograder.grading import grade_submission, grading_failed
from autograder.ingest import Submission
from autograder.kernel_pool import KernelBudget, WarmKernels
from autograder.notebook import InvalidNotebook, read_submission
from autograder.results import SubmissionResult
from autograder.scheduler import GradingJob


class LocalScheduler:
    def __init__(self, workers: int, warm: bool = True, gpus: list[str] | None = None):
        if workers < 1:
            raise ValueError(f"--workers must be at least 1, not {workers}")
        self.workers = workers
        self.warm = warm
        self.gpus = gpus or []  # worker k owns gpus[k % len(gpus)]

    def run(self, job: GradingJob, submissions: list[Submission]) -> Iterator[SubmissionResult]:
        budget = KernelBudget(sum(_runnable(s) for s in submissions))
        supplies: list[WarmKernels] = []
        lock = threading.Lock()
        local = threading.local()

        def worker_options():
            if not hasattr(local, "options"):
                with lock:
                    index = len(supplies)
                    supplies.append(None)
                gpu = self.gpus[index % len(self.gpus)] if self.gpus else None
                local.options = replace(job.options, gpu=gpu)
                local.kernels = (WarmKernels(job.assignment, job.manifest, local.options, budget)
                                 if self.warm else None)
                supplies[index] = local.kernels
            return local.options, local.kernels

        def grade(submission: Submission) -> SubmissionResult:
            try:
                options, supply = worker_options()
                supply = supply if _runnable(submission) else None
                return grade_submission(job.assignment, job.manifest, submission, options, job.tests, supply)
            except KeyboardInterrupt:
                raise
            # A grader bug, or a SystemExit from code the grader runs, on one submission must not lose the others:
            # raised here, future.result() would raise it again in the main thread and end the batch.
            except BaseException as error:  # noqa: BLE001
                return grading_failed(job, submission, error)

        with ThreadPoolExecutor(self.workers, thread_name_prefix="grader") as pool:
            try:
                for future in as_completed([pool.submit(grade, s) for s in submissions]):
                    yield future.result()
            finally:
                for supply in supplies:
                    if supply is not None:
                        supply.close()


def _runnable(submission: Submission) -> bool:
    try:
        read_submission(submission.data)
    except InvalidNotebook:
        return False
    return True
