"""What grading produces: plain dataclasses with a JSON form (schema-versioned), never pickles."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

RESULT_SCHEMA = 1

# Statuses, most severe first; a submission reports the most severe one that happened.
# grader-overloaded: the machine was too busy to grade it (kernel.OVERLOAD_FACTOR); graded again on the next run.
STATUSES = ("grader-overloaded", "unknown-student", "invalid-notebook", "kernel-died", "memory-limit", "timeout",
            "output-limit", "error", "ok")


@dataclass
class TestOutcome:
    """One hidden or public test case, as the student sees it (never the test's code)."""

    name: str
    points: float
    max_points: float
    passed: bool
    hidden: bool
    message: str = ""


@dataclass
class QuestionResult:
    name: str
    points: float
    max_points: float
    tests: list[TestOutcome] = field(default_factory=list)
    note: str = ""  # why the question could not be graded normally, if it could not
    artifacts: dict[str, dict] = field(default_factory=dict)  # name -> codec-encoded array, for feedback pages
    located: str = ""  # how the question's cells were found in the notebook (notebook.plan_run), for the tutor


@dataclass
class SubmissionResult:
    student: str
    submission: str
    assignment: str
    assignment_version: str
    grader_version: str
    content_hash: str
    status: str = "ok"
    message: str = ""
    questions: list[QuestionResult] = field(default_factory=list)
    seconds: float = 0.0
    device: str = "cpu"  # where the kernel ran: "cpu" or "cuda:N"
    keras_backend: str = ""
    scale: str = "small"  # the data the autoencoder-style assignments were graded on (autograder.datasets)
    submitted_at: float | None = None  # from the LMS export, when it says (for late penalties)
    display_name: str = ""
    grader_failed: bool = False  # the grader itself failed, not the notebook: never reused, graded again next run
    profile: dict = field(default_factory=dict)  # where the seconds went (autograder.profile), plain numbers

    @property
    def total(self) -> float:
        return round(sum(q.points for q in self.questions), 6)

    @property
    def max_total(self) -> float:
        return round(sum(q.max_points for q in self.questions), 6)

    def points(self, question: str) -> float:
        return next((q.points for q in self.questions if q.name == question), 0.0)

    def raise_status(self, status: str, message: str) -> None:
        """Record a problem; the most severe status wins, and every message is kept."""
        if STATUSES.index(status) < STATUSES.index(self.status):
            self.status = status
        self.message = f"{self.message}; {message}" if self.message else message

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["schema"] = RESULT_SCHEMA
        data["total"] = self.total
        data["max_total"] = self.max_total
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmissionResult:
        if data.get("schema") != RESULT_SCHEMA:
            raise ValueError(f"result schema {data.get('schema')!r} is not {RESULT_SCHEMA}")
        fields = {k: v for k, v in data.items() if k not in ("schema", "total", "max_total", "questions")}
        questions = [QuestionResult(**{**q, "tests": [TestOutcome(**t) for t in q["tests"]]})
                     for q in data["questions"]]
        return cls(**fields, questions=questions)
