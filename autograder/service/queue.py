"""The service's graders: worker threads that take queued jobs from the database, grade each with
``grading.run_job`` (warm kernels, the same path as ``autograder grade``) or on a Dask cluster (``--scheduler``:
each thread keeps one job in the cluster), and record its result exactly once.

A job's identity (student, assignment, time received, late) is the database's, written when the upload was
accepted; the notebook is read from the content-addressed file. Every result is then copied into the
assignment's gradebook (``GRADES/ASSIGNMENT/gradebook.sqlite``, the format ``autograder report`` reads) and the
tutors' report is rebuilt, at most every ``REPORT_EVERY_S`` seconds.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

from autograder.batch import ensure_built
from autograder.checker import load_tests
from autograder.course import find_assignment
from autograder.gradebook import Gradebook, student_file_name, write_artifacts
from autograder.grading import GradingOptions, Worker, grading_failed, run_job
from autograder.ingest import Submission
from autograder.job import plan_job, resolved
from autograder.results import SubmissionResult
from autograder.rubric import rubric_scale
from autograder.scheduler import Batch
from autograder.service.store import Store

log = logging.getLogger("autograder.service")
REPORT_EVERY_S = 5.0
MANUAL_FILE = "manual.csv"  # the tutors' scores for questions graded by hand, uploaded on the dashboard
IDLE_POLL_S = 0.5


class Graders:
    """``count`` worker threads for the course at ``root``; ``grades`` holds one grade folder per assignment."""

    def __init__(self, store: Store, root: Path, grades: Path, count: int, options: GradingOptions,
                 scale: str | None = None, cluster=None):
        self.store, self.root, self.grades, self.count = store, Path(root), Path(grades), count
        self.options = resolved(options)
        self.scale = scale  # None: each assignment's rubric says (as `autograder grade` without --scale)
        self.cluster = cluster  # a DaskScheduler: jobs run on its workers, ``count`` of them at a time
        self.claim_prefix = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.stopping = threading.Event()
        self.wake = threading.Event()
        self.threads: list[threading.Thread] = []
        self.loaded: dict[str, tuple] = {}
        self.lock = threading.Lock()
        self.report_due: dict[str, float] = {}

    def start(self) -> None:
        abandoned = self.store.requeue_abandoned()
        if abandoned:
            log.info("requeued %d job(s) a stopped service was grading", abandoned)
        self.export_recorded()
        for number in range(self.count):
            thread = threading.Thread(target=self._work, args=(number,), name=f"grader-{number}", daemon=True)
            thread.start()
            self.threads.append(thread)
        threading.Thread(target=self._reports, name="reports", daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        for thread in self.threads:
            thread.join(timeout=30)
        if self.cluster is not None:
            self.cluster.close()

    def notify(self) -> None:
        """A job was queued: wake an idle worker now rather than at its next poll."""
        self.wake.set()

    def assignment(self, name: str) -> tuple:
        """The assignment, its built manifest and its tests, loaded once per service."""
        with self.lock:
            if name not in self.loaded:
                assignment = find_assignment(name, self.root)
                manifest = ensure_built(assignment)
                tests = load_tests(assignment.tests_dir, [q.name for q in manifest.autograded])
                self.loaded[name] = assignment, manifest, tests
            return self.loaded[name]

    def reload(self, name: str) -> None:
        """Load the assignment and its tests again for the next job (a regrade after the tests changed)."""
        with self.lock:
            self.loaded.pop(name, None)

    def rebuild_report(self, name: str) -> None:
        with self.lock:
            self.report_due.setdefault(name, time.monotonic())

    def _work(self, number: int) -> None:
        worker = Worker(None, warm=self.cluster is None)
        claim = f"{self.claim_prefix}-{number}"
        try:
            while not self.stopping.is_set():
                row = None
                try:
                    row = self.store.claim(claim)
                    if row is None:
                        self.wake.wait(IDLE_POLL_S)
                        self.wake.clear()
                        continue
                    self._grade(row, claim, worker)
                except Exception:  # noqa: BLE001 - the database or the disk failed: this worker goes on
                    log.exception("grader %d: %s", number, f"job {row['job_id']} goes back to the queue"
                                  if row is not None else "could not take a job")
                    if row is not None:
                        self.store.release(row["job_id"], claim)
                    self.stopping.wait(IDLE_POLL_S)
        finally:
            worker.close()

    def _grade(self, row, claim: str, worker: Worker) -> None:
        job_id, name = row["job_id"], row["assignment"]
        started = time.monotonic()
        submission = Submission(row["student"], row["file_name"], b"", submitted_at=row["received"])
        try:
            submission.data = self.store.file_path(row["content_hash"]).read_bytes()
            assignment, manifest, tests = self.assignment(name)
            options = replace(self.options, scale=self.scale or rubric_scale(self.root, name))
            job = plan_job(assignment, manifest, submission, options)
            worker.loaded[str(assignment.root), assignment.name, manifest.version] = assignment, manifest, tests
            if self.cluster is not None:
                self.store.set_progress(job_id, claim, "grading on the cluster")
                result = next(iter(self.cluster.run(Batch(assignment, manifest, tests), [job])))
            else:
                worker.progress = lambda text: self.store.set_progress(job_id, claim, text)
                result = run_job(job, worker)
            key = job.key()
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # noqa: BLE001 - a grader bug on one submission costs only it
            log.exception("job %d: the grader failed", job_id)
            batch = Batch(*self.assignment(name)) if name in self.loaded else None
            result = _failed(batch, submission, error, name)
            result.content_hash = row["content_hash"]  # the upload's, whatever could be read of it
            key = ""
        write_artifacts(result, self.store.artifacts(job_id))  # the arrays its feedback page draws
        if not self.store.finish(job_id, claim, {"result": result.to_json(), "key": key}):
            log.warning("job %d was no longer this worker's; its result was not recorded", job_id)
            return
        log.info("job %d graded: student=%r assignment=%s status=%s points=%g/%g seconds=%.1f", job_id,
                 row["student"], name, result.status, result.total, result.max_total, time.monotonic() - started)
        self.export_recorded()

    def export_recorded(self) -> None:
        """Copy every recorded result not yet in its assignment's gradebook there (again after a crash)."""
        with self.lock:
            for row in self.store.unexported():
                recorded = json.loads(row["result"])
                result = SubmissionResult.from_json(recorded["result"])
                folder = self.grades / row["assignment"]
                with Gradebook(folder, row["assignment"]) as gradebook:
                    gradebook.record(result, recorded["key"])
                pictures = folder / "artifacts" / student_file_name(result.student)
                shutil.rmtree(pictures, ignore_errors=True)
                if self.store.artifacts(row["job_id"]).is_dir():
                    shutil.copytree(self.store.artifacts(row["job_id"]), pictures)
                self.store.mark_exported(row["job_id"])
                self.report_due.setdefault(row["assignment"], time.monotonic())

    def _reports(self) -> None:
        """Rebuild each changed assignment's report (the tutors' dashboard), at most every REPORT_EVERY_S."""
        from autograder.report import build_report

        while not self.stopping.wait(1.0):
            with self.lock:
                due = [name for name, since in self.report_due.items() if time.monotonic() - since >= 0]
                for name in due:
                    del self.report_due[name]
            for name in due:
                try:
                    folder = self.grades / name
                    with Gradebook(folder, name) as gradebook:
                        gradebook.export([q.name for q in self.assignment(name)[1].autograded])
                    manual = folder / MANUAL_FILE
                    build_report(name, folder, root=self.root, manual=manual if manual.is_file() else None)
                except Exception:  # noqa: BLE001 - a report that fails is logged; grading goes on
                    log.exception("the report of %s could not be rebuilt", name)
            if due:
                self.stopping.wait(REPORT_EVERY_S)


def _failed(batch, submission: Submission, error: BaseException, name: str) -> SubmissionResult:
    if batch is not None:
        return grading_failed(batch, submission, error)
    from autograder import __version__

    result = SubmissionResult(submission.student, submission.name, name, "", __version__, submission.content_hash)
    result.raise_status("error", f"the grader could not grade this submission ({type(error).__name__}: {error})")
    result.grader_failed = True
    return result
