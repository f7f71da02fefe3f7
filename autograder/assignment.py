"""Where an assignment's files live, and what a build recorded about it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder.notebook import QuestionInfo

MANIFEST_SCHEMA = 1


class AssignmentError(Exception):
    """An assignment that cannot be found, built or used; the message says what to do."""


class UnknownStudent(Exception):
    """A submission from someone the assignment has no variant for (an exam's roster lacks them)."""


@dataclass(frozen=True)
class Assignment:
    """An assignment's places in a course folder: solutions/ (private), assignments/ (public), dist/."""

    name: str
    root: Path

    @property
    def master_dir(self) -> Path:
        return self.root / "solutions" / self.name

    @property
    def master(self) -> Path:
        return self.master_dir / f"{self.name}.ipynb"

    @property
    def public_dir(self) -> Path:
        return self.root / "assignments" / self.name

    @property
    def student_notebook(self) -> Path:
        return self.public_dir / f"{self.name}.ipynb"

    @property
    def dist_dir(self) -> Path:
        return self.root / "dist" / self.name

    @property
    def tests_dir(self) -> Path:
        return self.dist_dir / "tests"

    @property
    def manifest_path(self) -> Path:
        return self.dist_dir / "assignment.json"

    def trusted_arguments(self, student: str, question: str) -> dict:
        """Values the checker passes a question's tests itself (an exam gives each student's variant)."""
        return {}

    def rebuild_refusal(self) -> str:
        """Why a missing or stale dist/ cannot simply be built again by ``grade`` ("": it can)."""
        return ""

    def record_statistics(self, questions) -> list[Path]:
        """After a report: keep what the class's results say of each question (``questions``: the report's
        questions table, one row per question); the files written. An assignment keeps nothing."""
        return []

    def source_version(self) -> str:
        """A hash of everything under solutions/NAME: any edit there makes a new version."""
        digest = hashlib.sha256()
        for path in sorted(p for p in self.master_dir.rglob("*") if p.is_file()):
            if "__pycache__" in path.parts or ".ipynb_checkpoints" in path.parts:
                continue
            digest.update(path.relative_to(self.master_dir).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
        return digest.hexdigest()[:16]


@dataclass
class Manifest:
    """What ``autograder build`` recorded in dist/NAME/assignment.json, and what grading reads."""

    name: str
    version: str
    questions: list[QuestionInfo]
    support_files: list[str]
    preload: list[str] = field(default_factory=lambda: ["numpy"])  # imported before the first cell
    seed: int | None = None  # Otter's `generate: seed` / `seed: autograder_value`: reseed before every cell
    seed_variable: str | None = None  # `seed: variable`: set this variable to the seed before every cell instead
    otter_args: list[str] = field(default_factory=list)  # `build --otter-args`, used again when grade rebuilds

    @property
    def autograded(self) -> list[QuestionInfo]:
        return [q for q in self.questions if not q.manual]

    def to_json(self) -> dict:
        return {"schema": MANIFEST_SCHEMA, "name": self.name, "version": self.version,
                "questions": [asdict(q) for q in self.questions], "support_files": self.support_files,
                "preload": self.preload, "seed": self.seed, "seed_variable": self.seed_variable,
                "otter_args": self.otter_args}

    @classmethod
    def from_json(cls, data: dict) -> Manifest:
        if data.get("schema") != MANIFEST_SCHEMA:
            raise AssignmentError("dist/ was built by another version of autograder; run `autograder build` again")
        return cls(data["name"], data["version"], [QuestionInfo(**q) for q in data["questions"]],
                   list(data["support_files"]), list(data.get("preload", ["numpy"])), data.get("seed"),
                   data.get("seed_variable"), list(data.get("otter_args", [])))


def previous_otter_args(assignment: Assignment) -> list[str]:
    """The ``--otter-args`` of the last build, current or stale (so ``grade`` rebuilds as the tutor built)."""
    try:
        args = json.loads(assignment.manifest_path.read_text()).get("otter_args", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [str(arg) for arg in args] if isinstance(args, list) else []


def load_manifest(assignment: Assignment) -> Manifest | None:
    """The manifest of the current build, or None when dist/ is missing or older than solutions/."""
    try:
        manifest = Manifest.from_json(json.loads(assignment.manifest_path.read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if manifest.version != assignment.source_version() or not assignment.tests_dir.is_dir():
        return None
    return manifest
