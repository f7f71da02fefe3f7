"""A grading job: one submission and everything its grading depends on, as plain, versioned data.

``plan_job`` makes it where grading is planned (``batch.grade_batch``, on the tutor's machine); ``run_job``
(``autograder.grading``) grades it wherever it runs: a local worker thread, a Dask worker (which receives the job's
JSON and returns the result's JSON). Nothing else travels: the grading settings (``GradingOptions``: sandbox,
image, Keras backend, threads, limits, timeouts, seed, scale), the assignment's name and build, and the trusted
values of each question (the scale, an exam variant's parameters) are all in the job, computed once.

Its ``key()`` is the hash of everything that can change a grade; the gradebook reuses a recorded result only under
the same key, so changing any setting regrades and changing nothing reuses. Labels that cannot change a grade
(where the upload came from, the student's display name, the course folder's path) and the worker's own device
are not hashed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, replace

from autograder import __version__
from autograder.assignment import Assignment, Manifest, UnknownStudent
from autograder.ingest import Submission
from autograder.kernel_pool import keras_backend
from autograder.sandbox.limits import ResourceLimits

JOB_VERSION = 1
_LABELS = ("origin", "display_name", "course_root", "data")  # travel with the job, do not change its grade


class JobError(ValueError):
    """A job's JSON that this grader cannot run (another version, a damaged submission)."""


@dataclass(frozen=True)
class GradingJob:
    student: str
    origin: str  # the upload's name, for messages
    content_hash: str
    submitted_at: float | None
    display_name: str
    assignment: str
    assignment_version: str
    course_root: str
    options: object  # GradingOptions; its ``gpu`` is always None here: the device is the worker's
    trusted: dict = field(default_factory=dict)  # question -> the values the checker gives its tests
    refusal: str = ""  # why this submission is not graded at all (a student the exam's roster does not know)
    data: bytes = b""
    grader_version: str = __version__
    version: int = JOB_VERSION

    def to_json(self) -> dict:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__ if name not in ("options", "data")}
        return {**data, "options": asdict(self.options), "data": base64.b64encode(self.data).decode("ascii")}

    @classmethod
    def from_json(cls, data: dict) -> GradingJob:
        from autograder.grading import GradingOptions

        if data.get("version") != JOB_VERSION:
            raise JobError(f"a grading job of version {data.get('version')!r}; this grader runs version {JOB_VERSION}")
        options = data["options"]
        fields = {**data, "options": GradingOptions(**{**options, "limits": ResourceLimits(**options["limits"])}),
                  "data": base64.b64decode(data["data"])}
        job = cls(**fields)
        if hashlib.sha256(job.data).hexdigest() != job.content_hash:
            raise JobError(f"the notebook of {job.student!r} does not match its content hash")
        return job

    def key(self) -> str:
        """The hash of everything that can change this job's grade (the gradebook's key for its result)."""
        data = self.to_json()
        for label in _LABELS:
            data.pop(label)
        data["options"].pop("gpu")
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(canonical.encode("ascii")).hexdigest()

    def submission(self) -> Submission:
        return Submission(self.student, self.origin, self.data, submitted_at=self.submitted_at,
                          display_name=self.display_name)


def resolved(options):
    """``options`` with the defaults that come from the planner's environment written in: the Keras backend
    (``$KERAS_BACKEND``, else tensorflow) and, for Docker, the image (``$AUTOGRADER_DOCKER_IMAGE``, else the
    default). Resolved once, where grading is planned, so every worker grades with the same."""
    from autograder.sandbox.docker import DEFAULT_IMAGE

    backend = keras_backend(options)
    image = (options.image or os.environ.get("AUTOGRADER_DOCKER_IMAGE") or DEFAULT_IMAGE
             if options.sandbox == "docker" else None)
    return replace(options, keras_backend=backend, image=image, gpu=None)


def trusted_values(assignment: Assignment, manifest: Manifest, student: str, scale: str) -> tuple[dict, str]:
    """What the checker gives each question's tests itself, never read from the notebook: the grading ``scale``
    (which data the tests measure on) and an exam variant's parameters (recomputed from the roster and the exam's
    secret); and why the student is refused ('' unless the roster does not know them)."""
    try:
        return {q.name: {"scale": scale, **assignment.trusted_arguments(student, q.name)}
                for q in manifest.autograded}, ""
    except UnknownStudent as error:
        return {}, str(error)


def plan_job(assignment: Assignment, manifest: Manifest, submission: Submission, options) -> GradingJob:
    """The job for one submission: its trusted values computed here (an exam variant from the roster and the
    secret), never on the worker and never from the notebook."""
    options = resolved(options)
    trusted, refusal = trusted_values(assignment, manifest, submission.student, options.scale)
    # through JSON: the job's values are exactly what a worker elsewhere would get
    trusted = json.loads(json.dumps(trusted))
    return GradingJob(submission.student, submission.name, submission.content_hash, submission.submitted_at,
                      submission.display_name, assignment.name, manifest.version, str(assignment.root), options,
                      trusted, refusal, submission.data)
