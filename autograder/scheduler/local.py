"""Grading on this machine: a pool of worker threads, each with its own supply of warm kernels.

Threads are enough: a worker spends its time waiting for its kernel (a separate, sandboxed process);
the checker's own work per test is small.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed

from autograder.grading import grade_submission, grading_failed
from autograder.ingest import Submission
from autograder.kernel_pool import KernelBudget, WarmKernels
from autograder.notebook import InvalidNotebook, read_submission
from autograder.results import SubmissionResult
from autograder.scheduler import GradingJob


class LocalScheduler:
    def __init__(self, workers: int, warm: bool = True):
        if workers < 1:
            raise ValueError(f"--workers must be at least 1, not {workers}")
        self.workers = workers
        self.warm = warm

    def run(self, job: GradingJob, submissions: list[Submission]) -> Iterator[SubmissionResult]:
        budget = KernelBudget(sum(_runnable(s) for s in submissions))
        supplies: list[WarmKernels] = []
        lock = threading.Lock()
        local = threading.local()

        def kernels() -> WarmKernels | None:
            if not self.warm:
                return None
            if not hasattr(local, "kernels"):
                local.kernels = WarmKernels(job.assignment, job.manifest, job.options, budget)
                with lock:
                    supplies.append(local.kernels)
            return local.kernels

        def grade(submission: Submission) -> SubmissionResult:
            try:
                supply = kernels() if _runnable(submission) else None
                return grade_submission(job.assignment, job.manifest, submission, job.options, job.tests, supply)
            except Exception as error:  # a grader bug on one submission must not lose the others
                return grading_failed(job, submission, error)

        with ThreadPoolExecutor(self.workers, thread_name_prefix="grader") as pool:
            try:
                for future in as_completed([pool.submit(grade, s) for s in submissions]):
                    yield future.result()
            finally:
                for supply in supplies:
                    supply.close()


def _runnable(submission: Submission) -> bool:
    try:
        read_submission(submission.data)
    except InvalidNotebook:
        return False
    return True
