"""Exams drawn from the question bank, one variant per student, graded like assignments.

``autograder exam build SPEC.yml --roster roster.csv --out DIR`` makes DIR a course folder of its own:

    DIR/assignments/EXAM/STUDENT.ipynb       each student's notebook: hand these out (and nothing else)
    DIR/assignments/EXAM/print/STUDENT.html  the same, printable
    DIR/print-all.html                       every student's exam, a page break between students
    DIR/solutions/EXAM/                      private: exam.json, the roster, the secret, the questions' code,
                                             keys/STUDENT.html (answer keys) and keys.csv
    DIR/dist/EXAM/                           what grading reads: assignment.json and tests/qNN.py
    DIR/rubrics/EXAM.yml                     points, hand-marking criteria, grade bands

and ``autograder --root DIR grade EXAM SUBMISSIONS --out GRADES`` grades it. A student's variant is
``generate(seed)`` with the seed an HMAC of the exam's secret, the student's id and the question's id: the tutor
can recompute it, a student cannot guess another's. The checker recomputes it from the roster and the secret
for the student the submission belongs to (its file name or the LMS's id), never from the notebook, so a student
who hands in someone else's notebook is graded against their own variant.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from autograder.assignment import Assignment, AssignmentError, UnknownStudent
from autograder.bank import BankQuestion, load_question

EXAM_SCHEMA = 1
EXAM_FILE = "exam.json"
SECRET_FILE = "secret.key"
ROSTER_FILE = "roster.csv"
_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")  # becomes a file name, and ingest reads it back


def variant_seed(secret: bytes, student: str, question_id: str) -> int:
    """The seed of ``student``'s variant of bank question ``question_id``."""
    digest = hmac.new(secret, f"{student}\x1f{question_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass(frozen=True)
class ExamQuestion:
    name: str  # q01, q02, ... in the exam
    bank_id: str  # TOPIC/QUESTION_ID in the bank
    points: float
    section: str


@dataclass(frozen=True)
class Student:
    id: str
    name: str


class Exam(Assignment):
    """A built exam: an assignment whose tests get each student's variant as ``params``."""

    @property
    def master(self) -> Path:
        return self.master_dir / EXAM_FILE

    @cached_property
    def record(self) -> dict:
        try:
            data = json.loads(self.master.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise AssignmentError(f"{self.master} cannot be read ({error}); build the exam again") from None
        if data.get("schema") != EXAM_SCHEMA:
            raise AssignmentError(f"{self.master} was written by another version of autograder; build it again")
        return data

    @property
    def questions(self) -> list[ExamQuestion]:
        return [ExamQuestion(**q) for q in self.record["questions"]]

    @cached_property
    def roster(self) -> dict[str, Student]:
        return {student.id: student for student in read_roster(self.master_dir / ROSTER_FILE)}

    @cached_property
    def _secret(self) -> bytes:
        return (self.master_dir / SECRET_FILE).read_bytes().strip()

    @cached_property
    def _bank_questions(self) -> dict[str, BankQuestion]:
        folder = self.master_dir / "questions"
        return {q.bank_id: load_question(folder / q.bank_id, folder) for q in self.questions}

    def variant(self, student: str, question: ExamQuestion) -> dict:
        bank_question = self._bank_questions[question.bank_id]
        return bank_question.generate(variant_seed(self._secret, student, question.bank_id))

    def rebuild_refusal(self) -> str:
        return (f"exam {self.name} was changed after it was built ({self.master_dir}); build it again with "
                "`autograder exam build`")

    def record_statistics(self, questions) -> list[Path]:
        """Each question's difficulty and discrimination (of students on the roster), appended to its history in
        the bank."""
        rows = [{"bank_id": q.bank_id, "points": q.points,
                 **questions.loc[q.name, ["students", "difficulty", "discrimination"]].to_dict()}
                for q in self.questions if questions.loc[q.name, "students"] > 0]
        from autograder.bank.stats import record_statistics  # pandas: only for the report, not for grading

        return record_statistics(Path(self.record["bank"]), self.name, self.record["date"], rows)

    def trusted_arguments(self, student: str, question: str) -> dict:
        if student not in self.roster:
            raise UnknownStudent(f"{student!r} is not on the roster of exam {self.name} "
                                 f"({self.master_dir / ROSTER_FILE}); the submission's file name (or the LMS's "
                                 "id) must be the student's id")
        exam_question = next(q for q in self.questions if q.name == question)
        return {"params": self.variant(student, exam_question)}


def read_roster(path: Path) -> list[Student]:
    """Students from a CSV with a column of ids (student, student_id, id or sis_id) and optionally name."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise AssignmentError(f"cannot read the roster {path}: {error.strerror}") from None
    if not rows:
        raise AssignmentError(f"the roster {path} has no students (expected a header line, then one line each)")
    columns = {name.strip().casefold(): name for name in rows[0] if name}
    id_column = next((columns[c] for c in ("student", "student_id", "id", "sis_id") if c in columns), None)
    if id_column is None:
        raise AssignmentError(f"the roster {path} has no column of student ids: name one of student, student_id, "
                              f"id, sis_id (its columns: {', '.join(columns.values())})")
    name_column = next((columns[c] for c in ("name", "display_name", "full_name") if c in columns), None)
    students, seen = [], set()
    for line, row in enumerate(rows, start=2):
        student = (row.get(id_column) or "").strip()
        if not _STUDENT_ID.match(student):
            raise AssignmentError(f"{path}, line {line}: the student id {student!r} must be letters, digits and "
                                  "._@+- (it names the student's notebook)")
        if student in seen:
            raise AssignmentError(f"{path}, line {line}: student {student} is listed twice")
        seen.add(student)
        students.append(Student(student, (row.get(name_column) or "").strip() if name_column else ""))
    return students
