"""What a report is made from: the gradebook (read only), the tutors' manual scores and submission times.

Submission times: a ``submitted_at`` key in the recorded result JSON (epoch seconds or ISO 8601), which the
grader records where the LMS gave one; a row of ``--times times.csv`` (columns ``student, submitted_at``,
ISO 8601) overrides it, for LMSs whose downloads carry no time or for a corrected time. A time without a
timezone is read in the due date's timezone. A submission without a time gets no late penalty.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import math
from dataclasses import dataclass
from pathlib import Path

from autograder.gradebook import OutputError, read_current
from autograder.results import SubmissionResult
from autograder.rubric import Rubric


class ReportError(ValueError):
    """Inputs a report cannot be made from; the message names the file, the row and what to do."""


@dataclass
class GradedSubmission:
    """One student's newest graded submission, with what the result JSON carries beyond SubmissionResult."""

    result: SubmissionResult
    submitted_at: datetime.datetime | None = None
    display_name: str = ""

    @property
    def student(self) -> str:
        return self.result.student

    @property
    def name(self) -> str:
        return self.display_name or self.result.student


_RESULT_FIELDS = {f.name for f in dataclasses.fields(SubmissionResult)}


def read_gradebook(grade_dir: Path, assignment: str, timezone: datetime.tzinfo) -> list[GradedSubmission]:
    """Each student's newest row of GRADE_DIR/gradebook.sqlite (as ``Gradebook.current_results`` picks them)."""
    try:
        recorded = read_current(grade_dir, assignment)
    except OutputError as error:
        raise ReportError(str(error)) from None
    submissions = []
    for data in recorded:
        known = {key: value for key, value in data.items() if key in _RESULT_FIELDS or key in ("schema", "questions")}
        result = SubmissionResult.from_json(known)
        submitted_at = _time(data.get("submitted_at"), timezone)
        submissions.append(GradedSubmission(result, submitted_at, str(data.get("display_name") or "")))
    return submissions


def read_manual(path: Path, rubric: Rubric, students: set[str]) -> dict[str, dict[str, float]]:
    """The tutors' scores: columns ``student`` and one per manual question; an empty cell is "not graded yet"."""
    manual = {q.name: q for q in rubric.manual}
    header, rows = _read_csv(path)
    if "student" not in header:
        raise ReportError(f"{path}: the first line needs a `student` column (found: {', '.join(header)})")
    for column in header:
        if column == "student" or column in manual:
            continue
        if rubric.question(column):
            raise ReportError(f"{path}: column {column} is an autograded question; manual scores are for "
                              f"{', '.join(manual) or 'no question of this rubric'}")
        raise ReportError(f"{path}: unknown column {column!r}; the columns are `student` and the manual "
                          f"questions {', '.join(manual) or '(none in the rubric)'}")
    scores: dict[str, dict[str, float]] = {}
    for line, row in rows:
        student = row.get("student", "").strip()
        if not student:
            raise ReportError(f"{path} line {line}: the student cell is empty")
        if student not in students:
            raise ReportError(f"{path} line {line}: student {student!r} has no submission in the gradebook; "
                              "check the id (it must match the gradebook's `student`)")
        if student in scores:
            raise ReportError(f"{path} line {line}: student {student!r} appears a second time; keep one row")
        scores[student] = {}
        for name, question in manual.items():
            cell = (row.get(name) or "").strip()
            if not cell:
                continue
            try:
                value = float(cell)
            except ValueError:
                raise ReportError(f"{path} line {line}: {name} of {student!r} is {cell!r}, not a number") from None
            if not math.isfinite(value) or value < 0 or value > question.points + 1e-9:
                raise ReportError(f"{path} line {line}: {name} of {student!r} is {cell}, but it must be between 0 "
                                  f"and {question.points:g} (the question's points)")
            scores[student][name] = value
    return scores


def read_times(path: Path, students: set[str], timezone: datetime.tzinfo) -> dict[str, datetime.datetime]:
    """``student, submitted_at`` rows; an empty time means "no time known"."""
    header, rows = _read_csv(path)
    missing = {"student", "submitted_at"} - set(header)
    if missing:
        raise ReportError(f"{path}: the first line needs the columns student and submitted_at "
                          f"(missing: {', '.join(sorted(missing))})")
    times = {}
    for line, row in rows:
        student = row.get("student", "").strip()
        if student not in students:
            raise ReportError(f"{path} line {line}: student {student!r} has no submission in the gradebook")
        if student in times:
            raise ReportError(f"{path} line {line}: student {student!r} appears a second time; keep one row")
        cell = (row.get("submitted_at") or "").strip()
        if cell:
            when = _time(cell, timezone)
            if when is None:
                raise ReportError(f"{path} line {line}: {cell!r} is not an ISO 8601 time like "
                                  "2026-05-08T23:59:00+02:00")
            times[student] = when
    return times


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and each row with the line it ends on (as an editor numbers lines)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:  # -sig: spreadsheets write a BOM
            reader = csv.reader(handle)
            header = [cell.strip() for cell in next(reader, [])]
            rows = []
            for cells in reader:
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) > len(header):
                    raise ReportError(f"{path} line {reader.line_num}: {len(cells)} cells but the header has "
                                      f"{len(header)} columns")
                rows.append((reader.line_num, dict(zip(header, cells))))
    except OSError as error:
        raise ReportError(f"cannot read {path}: {error.strerror}") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise ReportError(f"{path} is not a readable UTF-8 CSV file ({error})") from None
    if not header:
        raise ReportError(f"{path} is empty; it needs a header line")
    return header, rows


def _time(value, timezone: datetime.tzinfo) -> datetime.datetime | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return datetime.datetime.fromtimestamp(value, datetime.UTC) if math.isfinite(value) else None
    try:
        when = datetime.datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone)
