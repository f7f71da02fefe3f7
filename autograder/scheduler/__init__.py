"""Where submissions are graded: one small interface, two backends (local threads, a Dask cluster).

A scheduler takes the batch's context and its planned jobs (``autograder.job.GradingJob``, data) and yields
each ``SubmissionResult`` as soon as it is known; every job is graded by ``grading.run_job``, wherever it runs.
The caller (``batch.grade_batch``) records the results in the gradebook. Results always come back as data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from autograder.assignment import Assignment, Manifest
from autograder.results import SubmissionResult


@dataclass
class Batch:
    """What the planner already has loaded for the batch's jobs (a local worker uses it instead of loading it)."""

    assignment: Assignment
    manifest: Manifest
    tests: dict


class Scheduler(Protocol):
    def run(self, batch: Batch, jobs: list) -> Iterator[SubmissionResult]:
        """Grade every job (``autograder.job.GradingJob``); yield results in the order they finish."""


def make_scheduler(address: str | None, workers: int, warm: bool, gpus: list[str] | None = None) -> Scheduler:
    if address:
        from autograder.scheduler.dask import DaskScheduler

        return DaskScheduler(address)
    from autograder.scheduler.local import LocalScheduler

    return LocalScheduler(workers, warm, gpus)
