"""``autograder report``: from a grade folder to grades, statistics, LMS uploads, plots and web pages.

    inputs    gradebook.sqlite (newest row per student), --manual scores, --times, the rubric
    bank      an exam's item statistics, appended to its questions' histories in the bank
    tables    grades.csv, questions.csv, tests.csv (pandas)
    lms       lms/canvas.csv, lms/moodle.csv, lms/gradescope.csv
    plots     plots/*.png
    html      students/<file name>.html (feedback, with pictures of the student's artifacts) and index.html

Every CSV cell goes through ``gradebook.inert_text`` (no live formulas), every page is named by
``gradebook.student_file_name`` (one per student, the same in every run).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from autograder.assignment import Assignment, AssignmentError, Manifest
from autograder.course import find_assignment
from autograder.gradebook import student_file_names
from autograder.report import html, lms, plots, tables
from autograder.report.artifacts import draw_artifacts
from autograder.report.inputs import ReportError, read_gradebook, read_manual, read_times
from autograder.rubric import Rubric, check_rubric, load_rubric, rubric_path

__all__ = ["Report", "ReportError", "build_report"]


@dataclass
class Report:
    folder: Path
    index: Path
    grades: Path
    questions: Path
    lms_files: dict[str, Path]
    students: int
    attention: int
    bank_history: list[Path] = field(default_factory=list)  # an exam's questions' histories, updated


def build_report(name: str, grade_dir: Path, out: Path | None = None, manual: Path | None = None,
                 times: Path | None = None, root: Path = Path("."),
                 now: datetime.datetime | None = None) -> Report:
    """Write the report of assignment ``name`` graded into ``grade_dir`` to ``out`` (default grade_dir/report)."""
    grade_dir = Path(grade_dir)
    out = Path(out) if out else grade_dir / "report"
    now = now or datetime.datetime.now(datetime.UTC)
    rubric = _rubric(name, Path(root))
    submissions = read_gradebook(grade_dir, name, rubric.due.tzinfo)
    students = {s.student for s in submissions}
    scores = read_manual(Path(manual), rubric, students) if manual else {}
    if times:
        for student, when in read_times(Path(times), students, rubric.due.tzinfo).items():
            next(s for s in submissions if s.student == student).submitted_at = when

    grades = tables.grades_table(submissions, rubric, scores)
    questions = tables.questions_table(grades, rubric)
    tests = tables.tests_table(submissions, rubric)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"grades.csv": out / "grades.csv", "questions.csv": out / "questions.csv", "tests.csv": out / "tests.csv"}
    for table, label in ((grades, "grades.csv"), (questions, "questions.csv"), (tests, "tests.csv")):
        tables.write_csv(table, paths[label])
    lms_files = lms.write_lms_files(out / "lms", grades, submissions, rubric, now)

    pictures = {"totals": plots.totals_histogram(grades, rubric), "questions": plots.question_means(questions),
                "tests": plots.test_full_marks(tests)}
    (out / "plots").mkdir(exist_ok=True)
    for title, image in pictures.items():
        (out / "plots" / f"{title}.png").write_bytes(image)

    stems = student_file_names(s.student for s in submissions)  # the gradebook's names for artifacts/ too
    pages = {student: f"{stem}.html" for student, stem in stems.items()}
    student_dir = out / "students"
    student_dir.mkdir(exist_ok=True)
    for old in student_dir.glob("*.html"):  # students no longer in the gradebook must not keep a page
        old.unlink()
    rows = grades.set_index("student", drop=False)
    for submission in submissions:
        artifacts = draw_artifacts(grade_dir / "artifacts" / stems[submission.student])
        page = html.feedback_page(submission, rows.loc[submission.student], rubric, artifacts, now)
        (student_dir / pages[submission.student]).write_text(page, encoding="utf-8")

    attention = int(grades["status"].isin(html.ATTENTION_STATUSES).sum())
    summary = tables.summary(grades, rubric, attention)
    files = {**{label: label for label in paths},
             **{f"{lms_name} upload ({path.name})": f"lms/{path.name}" for lms_name, path in lms_files.items()}}
    links = {student: f"students/{quote(page)}" for student, page in pages.items()}
    index = out / "index.html"
    index.write_text(html.dashboard(rubric, grades, questions, submissions, summary,
                                    {"Distribution of totals": pictures["totals"],
                                     "Mean score per question": pictures["questions"],
                                     "Full-marks rate per test": pictures["tests"]}, links, files, now),
                     encoding="utf-8")
    return Report(out, index, paths["grades.csv"], paths["questions.csv"], lms_files, len(submissions), attention,
                  _question_statistics(name, Path(root), grades, rubric))


def _question_statistics(name: str, root: Path, grades, rubric: Rubric) -> list[Path]:
    """What the assignment keeps of each question's statistics (an exam: its bank's history), from the students
    it knows (not those refused as unknown)."""
    try:
        assignment = find_assignment(name, root)
    except AssignmentError:  # graded elsewhere: this folder has the rubric and the grades only, nothing to keep
        return []
    graded = grades[grades["status"] != "unknown-student"]
    return assignment.record_statistics(tables.questions_table(graded, rubric).set_index("question"))


def _rubric(name: str, root: Path) -> Rubric:
    path = rubric_path(root, name)
    if not path.is_file():
        raise ReportError(f"assignment {name} has no rubric: {path} does not exist; write one "
                          "(rubrics/temperature.yml shows every key)")
    rubric = load_rubric(path)
    if rubric.assignment != name:
        raise ReportError(f"{path}: assignment is {rubric.assignment!r}, not {name!r}")
    manifest_path = Assignment(name, root.resolve()).manifest_path
    if manifest_path.is_file():  # a rubric that disagrees with the built notebook would grade the wrong points
        check_rubric(rubric, Manifest.from_json(json.loads(manifest_path.read_text(encoding="utf-8"))))
    return rubric

