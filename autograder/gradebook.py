"""The grade folder: ``gradebook.sqlite`` (the record), ``results/STUDENT.json`` and ``gradebook.csv``
(exports of it).

Each submission's result and all its test outcomes are written in one transaction, keyed by the student,
the submission's content hash, the assignment's version and the grader's version. A grader killed at
any moment leaves whole submissions or nothing; a re-run skips what is already recorded.
"""

from __future__ import annotations

import csv
import datetime
import json
import os
import re
import sqlite3
from pathlib import Path

import numpy

from autograder.bridge import codec
from autograder.results import SubmissionResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    student TEXT NOT NULL,
    submission TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    assignment_version TEXT NOT NULL,
    grader_version TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    total REAL NOT NULL,
    max_total REAL NOT NULL,
    seconds REAL NOT NULL,
    graded_at TEXT NOT NULL,
    result TEXT NOT NULL,
    UNIQUE (student, content_hash, assignment_version, grader_version)
);
CREATE TABLE IF NOT EXISTS tests (
    submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    test TEXT NOT NULL,
    points REAL NOT NULL,
    max_points REAL NOT NULL,
    passed INTEGER NOT NULL,
    hidden INTEGER NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (submission_id, question, test)
);
"""
DATABASE = "gradebook.sqlite"


class OutputError(Exception):
    """An output folder we must not write into; the message says why."""


def safe_file_name(student: str) -> str:
    """A file name for a student id: letters of any script, digits, dot, dash; nothing else."""
    name = re.sub(r"[^\w.-]+", "_", student, flags=re.UNICODE).strip("._") or "student"
    return name[:120]


class Gradebook:
    """The grades of one assignment in one output folder."""

    def __init__(self, out: Path, assignment: str):
        self.out = Path(out)
        self.assignment = assignment
        path = self.out / DATABASE
        if not path.exists() and self.out.exists() and any(self.out.iterdir()):
            raise OutputError(f"{self.out} is not empty and holds no {DATABASE}; choose a new or empty --out folder")
        self.out.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(path, timeout=60)
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA journal_mode = WAL")
            with self.db:
                self.db.executescript(SCHEMA)
                self.db.execute("INSERT OR IGNORE INTO meta VALUES ('assignment', ?)", (assignment,))
            owner = self.db.execute("SELECT value FROM meta WHERE key = 'assignment'").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise OutputError(f"{path} is not a gradebook we can use ({error}); choose another --out folder") from None
        if owner != assignment:
            raise OutputError(f"{self.out} holds grades of assignment {owner!r}, not {assignment!r}; "
                              "choose another --out folder")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def recorded(self, student: str, content_hash: str, assignment_version: str, grader_version: str):
        """The recorded result for exactly this key, or None."""
        row = self.db.execute(
            "SELECT result FROM submissions WHERE student = ? AND content_hash = ? AND assignment_version = ? "
            "AND grader_version = ?", (student, content_hash, assignment_version, grader_version)).fetchone()
        return SubmissionResult.from_json(json.loads(row[0])) if row else None

    def record(self, result: SubmissionResult) -> None:
        """Store one result and its tests in a single transaction (replacing a regraded one), then export it.

        Artifacts (arrays for feedback pages) go to artifacts/STUDENT/QUESTION.NAME.npy, not into the database.
        """
        self._write_artifacts(result)
        key = (result.student, result.content_hash, result.assignment_version, result.grader_version)
        with self.db:
            self.db.execute("DELETE FROM submissions WHERE student = ? AND content_hash = ? AND "
                            "assignment_version = ? AND grader_version = ?", key)
            cursor = self.db.execute(
                "INSERT INTO submissions (student, submission, content_hash, assignment_version, grader_version, "
                "status, message, total, max_total, seconds, graded_at, result) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*key[:1], result.submission, *key[1:], result.status, result.message, result.total,
                 result.max_total, result.seconds, datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                 json.dumps(result.to_json(), ensure_ascii=False)))
            self.db.executemany(
                "INSERT INTO tests VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(cursor.lastrowid, question.name, test.name, test.points, test.max_points, int(test.passed),
                  int(test.hidden), test.message) for question in result.questions for test in question.tests])
        self._write_json(result)

    def current_results(self) -> list[SubmissionResult]:
        """Each student's most recently graded submission."""
        rows = self.db.execute("SELECT result FROM submissions WHERE id IN "
                               "(SELECT MAX(id) FROM submissions GROUP BY student) ORDER BY student").fetchall()
        return [SubmissionResult.from_json(json.loads(row[0])) for row in rows]

    def export(self, questions: list[str]) -> Path:
        """Write gradebook.csv and results/*.json from the database."""
        results = self.current_results()
        for result in results:  # again: a grader killed between a commit and its JSON file left it missing
            self._write_json(result)
        path = self.out / "gradebook.csv"
        temporary = path.with_suffix(".csv.tmp")
        with open(temporary, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["student", "submission", *questions, "total", "max_total", "status", "message"])
            for result in results:
                writer.writerow([result.student, result.submission, *[_number(result.points(q)) for q in questions],
                                 _number(result.total), _number(result.max_total), result.status, result.message])
        os.replace(temporary, path)
        return path

    def _write_artifacts(self, result: SubmissionResult) -> None:
        folder = self.out / "artifacts" / safe_file_name(result.student)
        for question in result.questions:
            for name, encoded in question.artifacts.items():
                try:
                    array = codec.decode(encoded, _no_handle)
                except codec.WireError:
                    continue
                folder.mkdir(parents=True, exist_ok=True)
                numpy.save(folder / f"{safe_file_name(question.name)}.{safe_file_name(name)}.npy", array,
                           allow_pickle=False)
            question.artifacts = {}

    def _write_json(self, result: SubmissionResult) -> None:
        folder = self.out / "results"
        folder.mkdir(exist_ok=True)
        path = folder / f"{safe_file_name(result.student)}.json"
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(temporary, path)


def _no_handle(tagged):
    raise codec.WireError("artifacts hold arrays only")


def _number(value: float) -> str:
    return f"{value:g}"
