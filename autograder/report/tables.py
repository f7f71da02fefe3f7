"""The numbers of a report, as pandas tables: one row per student, per question, per test.

Item statistics use every student in the gradebook (a notebook that failed to run scores 0), raw points
(before late penalties), and for a manual question only the students a tutor has scored.
Discrimination is the corrected item-total correlation: Pearson's r between a question's points and the
sum of the student's points on all *other* questions (point-biserial where a question is all-or-nothing).
It is undefined (NaN) when either has no spread.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from autograder.gradebook import inert_text
from autograder.report.inputs import GradedSubmission
from autograder.rubric import Rubric

LOW_DISCRIMINATION = 0.2
ROUND = 6  # decimals kept in the tables; enough to show every hand-computed value exactly


def grades_table(submissions: list[GradedSubmission], rubric: Rubric, manual: dict[str, dict[str, float]]) \
        -> pd.DataFrame:
    """One row per student: points per question, auto, manual, late_penalty, final, percent, grade, status,
    then submitted_at and days_late (what the penalty came from). Unscored manual questions are empty and
    count 0."""
    rows = []
    for submission in submissions:
        result, scores = submission.result, manual.get(submission.student, {})
        row: dict = {"student": submission.student}
        for question in rubric.questions:
            row[question.name] = scores.get(question.name, math.nan) if question.manual else result.points(
                question.name)
        auto = sum(result.points(q.name) for q in rubric.autograded)
        manual_points = sum(scores.get(q.name, 0.0) for q in rubric.manual)
        days = rubric.late.days_late(submission.submitted_at, rubric.due) if submission.submitted_at else 0
        penalty = rubric.late.penalty(days, auto + manual_points, rubric.max_points)
        final = auto + manual_points - penalty
        percent = 100 * final / rubric.max_points if rubric.max_points else 0.0
        row.update(auto=auto, manual=manual_points, late_penalty=penalty, final=final, percent=percent,
                   grade=rubric.band(percent), status=result.status,
                   submitted_at=submission.submitted_at.isoformat() if submission.submitted_at else "",
                   days_late=days)
        rows.append(row)
    columns = ["student", *(q.name for q in rubric.questions), "auto", "manual", "late_penalty", "final", "percent",
               "grade", "status", "submitted_at", "days_late"]
    return pd.DataFrame(rows, columns=columns).round(ROUND)


def questions_table(grades: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """Per question: max, students (scored), mean, median, full_marks_rate, zero_rate, difficulty (mean/max),
    discrimination and a flag (negative, low, no variance, not graded)."""
    names = [q.name for q in rubric.questions]
    raw_total = grades[names].fillna(0.0).sum(axis=1)
    rows = []
    for question in rubric.questions:
        scores = grades[question.name]
        scored = scores.notna()
        x = scores[scored].to_numpy(dtype=float)
        rest = (raw_total[scored] - scores[scored]).to_numpy(dtype=float)
        discrimination = _correlation(x, rest)
        rows.append({
            "question": question.name,
            "kind": "manual" if question.manual else "auto",
            "max": question.points,
            "students": int(scored.sum()),
            "mean": x.mean() if len(x) else math.nan,
            "median": float(np.median(x)) if len(x) else math.nan,
            "full_marks_rate": float(np.mean(x >= question.points - 1e-9)) if len(x) else math.nan,
            "zero_rate": float(np.mean(x <= 1e-9)) if len(x) else math.nan,
            "difficulty": x.mean() / question.points if len(x) and question.points else math.nan,
            "discrimination": discrimination,
            "flag": _flag(discrimination, len(x)),
        })
    return pd.DataFrame(rows).round(ROUND)


def tests_table(submissions: list[GradedSubmission], rubric: Rubric) -> pd.DataFrame:
    """Per test (in the order first seen): question, test, hidden, max_points, full_marks_rate over every
    student (a test a submission never reached counts as not passed)."""
    order = {q.name: index for index, q in enumerate(rubric.questions)}
    tests: dict[tuple[str, str], dict] = {}
    for submission in submissions:
        for question in submission.result.questions:
            for test in question.tests:
                entry = tests.setdefault((question.name, test.name), {
                    "question": question.name, "test": test.name, "hidden": test.hidden,
                    "max_points": test.max_points, "passed": 0})
                entry["passed"] += bool(test.passed)
    count = len(submissions)
    rows = [{**{k: v for k, v in entry.items() if k != "passed"},
             "full_marks_rate": entry["passed"] / count if count else math.nan}
            for entry in sorted(tests.values(), key=lambda e: order.get(e["question"], len(order)))]
    return pd.DataFrame(rows, columns=["question", "test", "hidden", "max_points", "full_marks_rate"]).round(ROUND)


def write_csv(table: pd.DataFrame, path: Path) -> Path:
    """``table`` as a CSV file a spreadsheet opens as data: its text cells and headers through ``inert_text`` (no
    live formulas from an id a student chose), its numeric columns exactly as pandas writes them. Lines end in CRLF
    as RFC 4180 says, so that a cell holding a carriage return is quoted (with pandas' own line ends it was not,
    and the text after it began a row of its own, which ``inert_text`` had not seen)."""
    table = table.copy()
    for column in table.columns:
        if not pd.api.types.is_numeric_dtype(table[column]):
            table[column] = table[column].map(lambda value: inert_text(value) if isinstance(value, str) else value)
    table.columns = [inert_text(str(column)) for column in table.columns]
    table.to_csv(path, index=False, lineterminator="\r\n")
    return path


def summary(grades: pd.DataFrame, rubric: Rubric, attention: int) -> dict[str, str]:
    """The dashboard's headline numbers, formatted for people."""
    count = len(grades)
    final = grades["final"]
    passed = (grades["grade"] != rubric.failing).sum()
    late = (grades["days_late"] > 0).sum()
    return {
        "students": str(count),
        "mean": f"{final.mean():.2f} / {rubric.max_points:g}" if count else "–",
        "median": f"{final.median():.2f} / {rubric.max_points:g}" if count else "–",
        "pass rate": f"{100 * passed / count:.0f}% (grade above {rubric.failing})" if count else "–",
        "late": str(int(late)),
        "need attention": str(attention),
    }


def _correlation(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 2:
        return math.nan
    dx, dy = x - x.mean(), y - y.mean()
    spread = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return float(dx @ dy) / spread if spread > 1e-12 else math.nan


def _flag(discrimination: float, scored: int) -> str:
    if scored == 0:
        return "not graded"
    if math.isnan(discrimination):
        return "no variance"
    if discrimination < 0:
        return "negative"
    return "low" if discrimination < LOW_DISCRIMINATION else ""
