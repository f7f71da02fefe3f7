"""Grade uploads for the LMSs, in the formats their importers read. Every file holds the final points (after
the late penalty) out of the rubric's maximum. The id column is the gradebook's ``student``, which is the
LMS's own id when the submissions came from that LMS's download (see ``autograder.ingest``). Rows go through
``spreadsheet_row``: names and ids a student chose cannot be formulas, points stay numbers."""

from __future__ import annotations

import csv
import datetime
import math
from pathlib import Path

import pandas as pd

from autograder.gradebook import spreadsheet_row
from autograder.report.inputs import GradedSubmission
from autograder.rubric import Rubric

# Canvas: Grades > Import takes the CSV that Grades > Export writes: the columns Student, ID, SIS User ID,
# SIS Login ID, Section, then one per assignment headed "Name (assignment id)"; the second line is the
# "Points Possible" row, which the export indents by four spaces and the import skips. Rows are matched by
# ID (the Canvas user id), then the SIS ids. Without the assignment id Canvas offers to create a new
# assignment of that name. (Canvas Instructor Guide, "How do I import grades in the Gradebook?")
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_POSSIBLE = "    Points Possible"

# Moodle: Assignment > View all submissions > Grading action > "Download grading worksheet" writes these
# columns (with the offline grading worksheet and feedback comments enabled); "Upload grading worksheet"
# matches rows by Identifier ("Participant N", N the participant id that also names the submission
# folders of a Moodle download) and reads Grade and Feedback comments. (mod/assign/feedback/offline)
# Its "Email address" column is left out: no download we read gives one, and the upload does not need it.
MOODLE_COLUMNS = ["Identifier", "Full name", "Status", "Grade", "Maximum Grade",
                  "Grade can be changed", "Last modified (submission)", "Online text", "Last modified (grade)",
                  "Feedback comments"]
MOODLE_DATE = "%A, %d %B %Y, %I:%M %p"  # userdate()'s default, as the worksheet shows dates

# Gradescope: Assignment > Manage Scores / "Upload scores" reads a CSV with a header line that has an
# Email or SID column and a score column; Name is shown for checking. (Gradescope Help, "Uploading scores")
# The SID is the student id we graded under, so no Email column (which we could only leave empty).
GRADESCOPE_COLUMNS = ["Name", "SID", "Total Score"]


def write_lms_files(folder: Path, grades: pd.DataFrame, submissions: list[GradedSubmission], rubric: Rubric,
                    now: datetime.datetime) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    people = {s.student: s for s in submissions}
    return {"Canvas": _canvas(folder / "canvas.csv", grades, people, rubric),
            "Moodle": _moodle(folder / "moodle.csv", grades, people, rubric, now),
            "Gradescope": _gradescope(folder / "gradescope.csv", grades, people)}


def canvas_column(rubric: Rubric) -> str:
    return f"{rubric.title} ({rubric.canvas_assignment_id})" if rubric.canvas_assignment_id else rubric.title


def _canvas(path: Path, grades: pd.DataFrame, people: dict[str, GradedSubmission], rubric: Rubric) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(spreadsheet_row([*CANVAS_COLUMNS, canvas_column(rubric)], _points))
        writer.writerow(spreadsheet_row([CANVAS_POINTS_POSSIBLE, "", "", "", "", rubric.max_points], _points))
        for row in grades.to_dict("records"):
            writer.writerow(spreadsheet_row([people[row['student']].name, row['student'], "", "", "", row['final']],
                                            _points))
    return path


def _moodle(path: Path, grades: pd.DataFrame, people: dict[str, GradedSubmission], rubric: Rubric,
            now: datetime.datetime) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(spreadsheet_row(MOODLE_COLUMNS, _points))
        for row in grades.to_dict("records"):
            person = people[row['student']]
            submitted = person.submitted_at.astimezone().strftime(MOODLE_DATE) if person.submitted_at else "-"
            writer.writerow(spreadsheet_row([f"Participant {row['student']}", person.name,
                                             "Submitted for grading", row['final'], rubric.max_points, "Yes",
                                             submitted, "", now.astimezone().strftime(MOODLE_DATE),
                                             _moodle_feedback(row, rubric)], lambda points: f"{points:.2f}"))
    return path


def _moodle_feedback(row: dict, rubric: Rubric) -> str:
    parts = [f"autograded {_points(row['auto'])}"]
    if rubric.manual:
        unscored = [q.name for q in rubric.manual if math.isnan(row[q.name])]
        note = f" ({', '.join(unscored)} not graded yet)" if unscored else ""
        parts.append(f"by hand {_points(row['manual'])}{note}")
    if row['late_penalty']:
        parts.append(f"late {row['days_late']} day(s): -{_points(row['late_penalty'])}")
    return f"{'; '.join(parts)}; total {_points(row['final'])} of {_points(rubric.max_points)}"


def _gradescope(path: Path, grades: pd.DataFrame, people: dict[str, GradedSubmission]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(spreadsheet_row(GRADESCOPE_COLUMNS, _points))
        for row in grades.to_dict("records"):
            person = people[row['student']]
            writer.writerow(spreadsheet_row([person.name, row['student'], row['final']], _points))
    return path


def _points(value: float) -> str:
    """At most two decimals, no trailing zeros: 7, 7.5, 7.25."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
