"""Where submissions are graded: one small interface, two backends (local threads, a Dask cluster).

A scheduler takes a ``GradingJob`` and submissions and yields each ``SubmissionResult`` as soon as it is
known; the caller (``batch.grade_batch``) records it in the gradebook. Results always come back as data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from autograder.assignment import Assignment, Manifest
from autograder.ingest import Submission
from autograder.results import SubmissionResult


@dataclass
class GradingJob:
    assignment: Assignment
    manifest: Manifest
    options: object  # GradingOptions
    tests: dict


class Scheduler(Protocol):
    def run(self, job: GradingJob, submissions: list[Submission]) -> Iterator[SubmissionResult]:
        """Grade every submission; yield results in the order they finish."""


def make_scheduler(address: str | None, workers: int, warm: bool, gpus: list[str] | None = None) -> Scheduler:
    if address:
        from autograder.scheduler.dask import DaskScheduler

        return DaskScheduler(address)
    from autograder.scheduler.local import LocalScheduler

    return LocalScheduler(workers, warm, gpus)
