"""Grading on this machine: a pool of worker threads, each a ``grading.Worker`` with its own warm kernels.

Threads are enough: a worker spends its time waiting for its kernel (a separate, sandboxed process);
the checker's own work per test is small.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed

from autograder.grading import Worker, grading_failed, run_job, runnable
from autograder.kernel_pool import KernelBudget
from autograder.results import SubmissionResult
from autograder.scheduler import Batch


class LocalScheduler:
    def __init__(self, workers: int, warm: bool = True, gpus: list[str] | None = None):
        if workers < 1:
            raise ValueError(f"--workers must be at least 1, not {workers}")
        self.workers = workers
        self.warm = warm
        self.gpus = gpus or []  # worker k owns gpus[k % len(gpus)]

    def run(self, batch: Batch, jobs: list) -> Iterator[SubmissionResult]:
        budget = KernelBudget(sum(runnable(job.data) for job in jobs))
        workers: list[Worker] = []
        lock = threading.Lock()
        local = threading.local()

        def this_worker() -> Worker:
            if not hasattr(local, "worker"):
                with lock:
                    gpu = self.gpus[len(workers) % len(self.gpus)] if self.gpus else None
                    local.worker = Worker(gpu, self.warm, budget)
                    # the batch's assignment and tests, loaded once before any kernel started
                    local.worker.loaded[str(batch.assignment.root), batch.assignment.name,
                                        batch.manifest.version] = batch.assignment, batch.manifest, batch.tests
                    workers.append(local.worker)
            return local.worker

        def grade(job) -> SubmissionResult:
            try:
                return run_job(job, this_worker())
            except KeyboardInterrupt:
                raise
            # A grader bug, or a SystemExit from code the grader runs, on one submission must not lose the others:
            # raised here, future.result() would raise it again in the main thread and end the batch.
            except BaseException as error:  # noqa: BLE001
                return grading_failed(batch, job.submission(), error)

        with ThreadPoolExecutor(self.workers, thread_name_prefix="grader") as pool:
            try:
                for future in as_completed([pool.submit(grade, job) for job in jobs]):
                    yield future.result()
            finally:
                for worker in workers:
                    worker.close()
