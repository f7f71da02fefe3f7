"""The grade folder: ``gradebook.sqlite`` (the record), ``results/STUDENT.json`` and ``gradebook.csv``
(exports of it).

Each submission's result and all its test outcomes are written in one transaction, found again by the student
and the key of the job that graded it (``autograder.job``: the submission's content, the assignment's build, the
grader's version and every setting). A grader killed at any moment leaves whole submissions or nothing; a re-run
skips what is already recorded under the same key.

Exports hold text that students choose (ids, file names, display names, the messages of their exceptions):
every CSV cell goes through ``spreadsheet_row`` (no live formulas) and every file named after a student through
``student_file_name`` (one file per student, on any file system).
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
import numbers
import os
import re
import sqlite3
from collections.abc import Callable, Iterable
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
    job_hash TEXT NOT NULL DEFAULT '',
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
    """A file name for a student id: letters of any script, digits, dot, dash; nothing else.

    Two ids can give the same name (``alice`` and ``alice_``): for a file of one student use ``student_file_name``.
    """
    name = re.sub(r"[^\w.-]+", "_", student, flags=re.UNICODE).strip("._") or "student"
    return name[:120]


_PLAIN_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)), *(f"lpt{n}" for n in range(10))}
FILE_NAME_HASH_DIGITS = 16  # 64 bits: no student can search for an id whose name is another student's


def student_file_name(student: str) -> str:
    """The stem of a student's own files (results/STEM.json, artifacts/STEM/, the report's STEM.html), the same in
    every run and on every file system: the id itself when it is a plain name (lowercase ASCII letters, digits,
    ``.``, ``_``, ``-``), else its ``safe_file_name``, ``-`` and 16 hex digits of the id's SHA-256 (``alice_`` ->
    ``alice-<hash>``, ``Alice`` -> ``Alice-<hash>``: case-insensitive file systems would make it alice's file).
    A plain id that looks like such a name (``alice-`` and 16 hex digits) is hashed too. Two ids share a name only
    if 64 bits of their hashes collide; the gradebook then refuses to write (``student_file_names``)."""
    name = safe_file_name(student)
    looks_hashed = re.fullmatch(rf".*-[0-9a-f]{{{FILE_NAME_HASH_DIGITS}}}", name)
    if (name == student and _PLAIN_NAME.fullmatch(name) and not looks_hashed
            and name.split(".")[0] not in _WINDOWS_DEVICES):
        return name
    digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:FILE_NAME_HASH_DIGITS]
    return f"{name[:100]}-{digest}"


def similar_id_notes(students: Iterable[str]) -> list[str]:
    """For the tutor: ids that would have shared a file name before it carried a hash (``alice``, ``alice_``,
    ``Alice``), and where each one's results are."""
    groups: dict[str, list[str]] = {}
    for student in sorted(set(students)):
        groups.setdefault(safe_file_name(student).casefold(), []).append(student)
    return [f"students {', '.join(map(repr, group))} have similar ids; their results are "
            + ", ".join(f"results/{student_file_name(student)}.json" for student in group)
            for group in groups.values() if len(group) > 1]


def student_file_names(students: Iterable[str]) -> dict[str, str]:
    """``student_file_name`` of each id; refuses (naming both ids) two ids whose files would be one."""
    names: dict[str, str] = {}
    owners: dict[str, str] = {}
    for student in students:
        name = names[student] = student_file_name(student)
        other = owners.setdefault(name.casefold(), student)
        if other != student:
            raise OutputError(f"students {other!r} and {student!r} would share the file name {name!r} (their ids' "
                              "hashes collide); change one of the ids (the submission's file name) and grade again")
    return names


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def inert_text(value: str) -> str:
    """Text a spreadsheet shows as it is, never runs as a formula (``=HYPERLINK(...)``, ``@SUM(...)``): a leading
    ``=``, ``+``, ``-``, ``@``, tab, carriage return or line feed (OWASP's list, with NUL and the full-width
    ``＝＋－＠`` that some Excel versions also read as formulas) gets a single quote before it. One such character
    alone (Moodle's ``-`` for "no date") is no formula and stays."""
    return f"'{value}" if len(value) > 1 and value.startswith(FORMULA_STARTS) else value


def spreadsheet_row(cells: Iterable, number: Callable[[float], str]) -> list:
    """One CSV row: our own numbers written by ``number``, so they stay numbers for the LMS importers; every text
    cell through ``inert_text``; anything else (None: an empty cell) as it is."""
    row = []
    for cell in cells:
        if isinstance(cell, numbers.Real) and not isinstance(cell, bool):
            row.append(number(cell))
        elif isinstance(cell, str):
            row.append(inert_text(cell))
        else:
            row.append(cell)
    return row


CURRENT = ("SELECT result FROM submissions WHERE id IN (SELECT MAX(id) FROM submissions GROUP BY student) "
           "ORDER BY student")  # each student's newest result


def read_current(out: Path, assignment: str) -> list[dict]:
    """Each student's most recently graded result, as its recorded JSON, from OUT's gradebook opened read-only
    (for reports: reading changes nothing, not even an old gradebook's schema)."""
    path = Path(out) / DATABASE
    if not path.is_file():
        raise OutputError(f"{path} does not exist; give the folder that `autograder grade ... --out` wrote")
    try:
        db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            owner = db.execute("SELECT value FROM meta WHERE key = 'assignment'").fetchone()
            rows = db.execute(CURRENT).fetchall()
        finally:
            db.close()
    except sqlite3.DatabaseError as error:
        raise OutputError(f"{path} is not a gradebook we can read ({error})") from None
    if owner and owner[0] != assignment:
        raise OutputError(f"{path} holds grades of assignment {owner[0]!r}, not {assignment!r}")
    return [json.loads(text) for (text,) in rows]


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
                columns = [row[1] for row in self.db.execute("PRAGMA table_info(submissions)")]
                if "job_hash" not in columns:  # a gradebook from before jobs had keys: its results are graded again
                    self.db.execute("ALTER TABLE submissions ADD COLUMN job_hash TEXT NOT NULL DEFAULT ''")
                self.db.execute("CREATE INDEX IF NOT EXISTS submissions_by_job ON submissions (student, job_hash)")
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

    def recorded(self, student: str, job_hash: str):
        """The result recorded for this student's job of exactly this key (``GradingJob.key``), or None."""
        if not job_hash:
            return None
        row = self.db.execute("SELECT result FROM submissions WHERE student = ? AND job_hash = ?",
                              (student, job_hash)).fetchone()
        return SubmissionResult.from_json(json.loads(row[0])) if row else None

    def record(self, result: SubmissionResult, job_hash: str = "") -> None:
        """Store one result and its tests in a single transaction (replacing a regraded one), then export it.

        Artifacts (arrays for feedback pages) go to artifacts/STUDENT/QUESTION.NAME.npy, not into the database.
        A student whose files would be another student's is refused before anything is written.
        """
        others = [row[0] for row in self.db.execute("SELECT DISTINCT student FROM submissions WHERE student != ?",
                                                    (result.student,))]
        student_file_names([*others, result.student])
        self._write_artifacts(result)
        key = (result.student, result.content_hash, result.assignment_version, result.grader_version)
        with self.db:
            self.db.execute("DELETE FROM submissions WHERE student = ? AND content_hash = ? AND "
                            "assignment_version = ? AND grader_version = ?", key)
            cursor = self.db.execute(
                "INSERT INTO submissions (student, submission, content_hash, assignment_version, grader_version, "
                "status, message, total, max_total, seconds, graded_at, result, job_hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*key[:1], result.submission, *key[1:], result.status, result.message, result.total,
                 result.max_total, result.seconds, datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                 json.dumps(result.to_json(), ensure_ascii=False), job_hash))
            self.db.executemany(
                "INSERT INTO tests VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(cursor.lastrowid, question.name, test.name, test.points, test.max_points, int(test.passed),
                  int(test.hidden), test.message) for question in result.questions for test in question.tests])
        self._write_json(result)

    def current_results(self) -> list[SubmissionResult]:
        """Each student's most recently graded submission."""
        rows = self.db.execute(CURRENT).fetchall()
        return [SubmissionResult.from_json(json.loads(row[0])) for row in rows]

    def export(self, questions: list[str]) -> Path:
        """Write gradebook.csv and results/*.json from the database (removing JSON files no student has, such as
        those an older grader named by ``safe_file_name``)."""
        results = self.current_results()
        names = student_file_names(result.student for result in results)  # no two students' files are one
        for result in results:  # again: a grader killed between a commit and its JSON file left it missing
            self._write_json(result)
        current = set(names.values())
        for stale in (self.out / "results").glob("*.json"):
            if stale.stem not in current:
                stale.unlink()
        path = self.out / "gradebook.csv"
        temporary = path.with_suffix(".csv.tmp")
        with open(temporary, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(spreadsheet_row(["student", "submission", *questions, "total", "max_total", "status",
                                             "message"], _number))
            for result in results:
                writer.writerow(spreadsheet_row([result.student, result.submission,
                                                 *[result.points(q) for q in questions], result.total,
                                                 result.max_total, result.status, result.message], _number))
        os.replace(temporary, path)
        return path

    def _write_artifacts(self, result: SubmissionResult) -> None:
        write_artifacts(result, self.out / "artifacts" / student_file_name(result.student))

    def _write_json(self, result: SubmissionResult) -> None:
        folder = self.out / "results"
        folder.mkdir(exist_ok=True)
        path = folder / f"{student_file_name(result.student)}.json"
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(temporary, path)


def write_artifacts(result: SubmissionResult, folder: Path) -> None:
    """Each question's artifacts (codec-encoded arrays) as ``folder/QUESTION.NAME.npy`` (no pickles), taken out of
    ``result``; what does not decode as an array is dropped."""
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


def _no_handle(tagged):
    raise codec.WireError("artifacts hold arrays only")


def _number(value: float) -> str:
    return f"{value:g}"
