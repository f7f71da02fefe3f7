"""`autograder report`: every number of grades.csv and questions.csv against hand-computed values, the LMS
files against their formats, escaping of what students control, artifacts, and the pages in Chromium."""

from __future__ import annotations

import csv
import datetime
import json
import sqlite3
import statistics
import subprocess
from pathlib import Path

import numpy as np
import pytest

from autograder import results as grading_results
from autograder.cli import main
from autograder.gradebook import Gradebook, student_file_name
from autograder.report import ReportError, build_report
from autograder.report.inputs import read_manual
from autograder.results import QuestionResult, SubmissionResult
from autograder.rubric import load_rubric

EVIL = "<script>alert(1)</script>"
EVIL_MESSAGE = "not a notebook: <b>unexpected</b> byte at 0"
DUE = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)

RUBRIC = """
assignment: demo
title: Demo lab
due: 2026-03-01T12:00:00+00:00
late: {per_day: 0.1, grace_minutes: 15, cap: 0.5, of: score}
questions:
  q1: 3
  q2: 2
  q3: 1
  q4:
    points: 4
    manual: true
    criteria:
      - {points: 2, text: "names the trade-off"}
      - {points: 2, text: "explains it with the loss"}
grades: {A: 85, B: 70, C: 50, D: 40, F: 0}
lms: {canvas_assignment_id: 777}
"""

# Tests passed per student; points follow: q1 = test_shape (1) + test_values (2), q2 = test_sum (1) +
# test_edge (1, hidden), q3 = test_tiny (1). q4 is graded by hand (manual.csv).
PASSED = {
    "alice": {"test_shape", "test_values", "test_sum", "test_edge"},  # q1 3, q2 2, q3 0
    "bob": {"test_values", "test_sum"},  # q1 2, q2 1, q3 0
    "carol": {"test_shape", "test_sum", "test_edge", "test_tiny"},  # q1 1, q2 2, q3 1
    "dave": {"test_shape", "test_tiny"},  # q1 1, q2 0 (timed out), q3 1
    "frank": {"test_shape", "test_values", "test_sum"},  # q1 3, q2 1, q3 0
}
TESTS = {"q1": [("test_shape", 1.0, False), ("test_values", 2.0, False)],
         "q2": [("test_sum", 1.0, False), ("test_edge", 1.0, True)],
         "q3": [("test_tiny", 1.0, False)]}
MANUAL_CSV = f"student,q4\nalice,4\nbob,3\ncarol,3\ndave,1\nfrank,4\n\"{EVIL}\",\n"
TIMES_CSV = ("student,submitted_at\n"
             "alice,2026-03-01T11:00:00+00:00\n"  # an hour early
             "bob,2026-03-01T12:10:00\n"  # no timezone: the due date's (UTC); 10 min late, inside the grace
             "carol,2026-03-02T12:20:00+00:00\n"  # 24 h 20 min late
             "frank,2026-03-10T09:00:00+01:00\n")  # 8 d 20 h late; overrides frank's on-time JSON time


def _result(student: str) -> SubmissionResult:
    result = SubmissionResult(student, f"{student}.ipynb", "demo", "v1", "g1", f"hash-{student}")
    if student == EVIL:
        result.raise_status("invalid-notebook", EVIL_MESSAGE)
        return result
    for question, tests in TESTS.items():
        outcomes = []
        for name, points, hidden in tests:
            passed = name in PASSED[student]
            message = "" if passed else f"{name} failed: expected <1.0>, got {EVIL}"
            if student == "dave" and question == "q2":
                message = "the question's cell ran longer than 20 s and was interrupted"
            outcome = grading_results.TestOutcome(name, points if passed else 0.0, points, passed, hidden, message)
            outcomes.append(outcome)
        result.questions.append(QuestionResult(question, sum(t.points for t in outcomes),
                                               sum(t.max_points for t in outcomes), outcomes))
    if student == "dave":
        result.raise_status("timeout", "q2: a cell ran longer than 20 s and was interrupted")
    result.profile = {"total_s": 10.0 + len(student), "overhead_s": 1.0, "overhead_share": 1.0 / (10 + len(student)),
                      "cells_s": 6.0, "tests_s": 3.0, "round_trips": 40}
    return result


class _Boom:
    """Unpickling this would create a file: proof that artifacts are never unpickled."""

    def __init__(self, sentinel: Path):
        self.sentinel = sentinel

    def __reduce__(self):
        return (open, (str(self.sentinel), "w"))


def _course(tmp: Path) -> dict[str, Path]:
    """A course folder with the rubric, a grade folder with six students, manual scores, times, artifacts."""
    root, grades = tmp / "course", tmp / "graded"
    (root / "rubrics").mkdir(parents=True)
    (root / "rubrics" / "demo.yml").write_text(RUBRIC)
    with Gradebook(grades, "demo") as gradebook:
        for student in [*PASSED, EVIL]:
            gradebook.record(_result(student))
    # What a grader that knows more records beside SubmissionResult's fields: a time (epoch seconds or
    # ISO 8601) and a display name.
    extra = {"dave": {"submitted_at": (DUE + datetime.timedelta(minutes=16)).timestamp()},  # 1 min past grace
             "frank": {"submitted_at": "2026-03-01T09:00:00+00:00"},  # on time, but times.csv says otherwise
             "alice": {"display_name": "Alice Liddell"}}
    db = sqlite3.connect(grades / "gradebook.sqlite")
    with db:
        for student, keys in extra.items():
            (text,) = db.execute("SELECT result FROM submissions WHERE student = ?", (student,)).fetchone()
            db.execute("UPDATE submissions SET result = ? WHERE student = ?",
                       (json.dumps({**json.loads(text), **keys}), student))
    db.close()
    artifacts = grades / "artifacts" / "alice"
    artifacts.mkdir(parents=True)
    np.save(artifacts / "q1.history.loss.npy", np.array([1.0, 0.6, 0.4, 0.3]), allow_pickle=False)
    np.save(artifacts / "q1.history.val_loss.npy", np.array([1.1, 0.7, 0.5, np.inf]), allow_pickle=False)
    np.save(artifacts / "q1.reference.val_loss_low.npy", np.array([0.9, 0.5, 0.3, 0.2]), allow_pickle=False)
    np.save(artifacts / "q1.reference.val_loss_high.npy", np.array([1.3, 0.9, 0.7, 0.6]), allow_pickle=False)
    np.save(artifacts / "q2.denoised.npy", np.random.default_rng(0).random((10, 8, 8, 1)), allow_pickle=False)
    np.save(artifacts / "q2.samples.npy", np.random.default_rng(1).normal(size=(300, 2)), allow_pickle=False)
    np.save(artifacts / "q2.evil.npy", np.array([_Boom(tmp / "unpickled")], dtype=object), allow_pickle=True)
    (artifacts / "q2.broken.npy").write_bytes(b"not an array")
    (tmp / "manual.csv").write_text(MANUAL_CSV)
    (tmp / "times.csv").write_text(TIMES_CSV)
    return {"root": root, "grades": grades, "manual": tmp / "manual.csv", "times": tmp / "times.csv", "tmp": tmp}


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict[str, Path]:
    course = _course(tmp_path_factory.mktemp("report"))
    code = main(["report", "demo", str(course["grades"]), "--manual", str(course["manual"]), "--times",
                 str(course["times"]), "--root", str(course["root"])])
    assert code == 0
    return {**course, "out": course["grades"] / "report"}


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _numbers(row: dict[str, str], keys: list[str]) -> list[float | None]:
    return [float(row[key]) if row[key] != "" else None for key in keys]


def test_grades_csv_holds_the_hand_computed_grades(report):
    rows = _rows(report["out"] / "grades.csv")
    header = (report["out"] / "grades.csv").read_text().splitlines()[0]
    assert header == ("student,q1,q2,q3,q4,auto,manual,late_penalty,final,percent,grade,status,submitted_at,"
                      "days_late")
    by_student = {row["student"]: row for row in rows}
    assert list(by_student) == [EVIL, "alice", "bob", "carol", "dave", "frank"]  # the gradebook's order
    keys = ["q1", "q2", "q3", "q4", "auto", "manual", "late_penalty", "final", "percent", "days_late"]
    # max = 3 + 2 + 1 + 4 = 10 points; late: 10% of the student's points per started day after due + 15 min.
    expected = {
        # invalid notebook: no autograded points, q4 not scored yet (empty), no time known
        EVIL: ([0, 0, 0, None, 0, 0, 0, 0, 0, 0], "F", "invalid-notebook"),
        # on time: 3+2+0 = 5 auto, 4 manual, final 9 = 90% >= 85 -> A
        "alice": ([3, 2, 0, 4, 5, 4, 0, 9, 90, 0], "A", "ok"),
        # 10 min after due is inside the 15 min grace: no penalty; 3 + 3 = 6 = 60% -> C
        "bob": ([2, 1, 0, 3, 3, 3, 0, 6, 60, 0], "C", "ok"),
        # 24 h 20 min late = 24 h 5 min past the grace -> 2 started days -> 20% of 7 = 1.4; 5.6 = 56% -> C
        "carol": ([1, 2, 1, 3, 4, 3, 1.4, 5.6, 56, 2], "C", "ok"),
        # 16 min late (JSON time) = 1 min past the grace -> 1 day -> 10% of 3 = 0.3; 2.7 = 27% -> F
        "dave": ([1, 0, 1, 1, 2, 1, 0.3, 2.7, 27, 1], "F", "timeout"),
        # 8 d 19 h 45 min past the grace -> 9 days -> 90%, capped at 50% of 8 = 4; 4 = 40% -> D (exactly)
        "frank": ([3, 1, 0, 4, 4, 4, 4, 4, 40, 9], "D", "ok"),
    }
    for student, (numbers, grade, status) in expected.items():
        row = by_student[student]
        assert _numbers(row, keys) == pytest.approx(numbers), student
        assert (row["grade"], row["status"]) == (grade, status), student
    assert by_student["bob"]["submitted_at"] == "2026-03-01T12:10:00+00:00"
    assert by_student["frank"]["submitted_at"] == "2026-03-10T09:00:00+01:00"
    assert by_student[EVIL]["submitted_at"] == ""


def test_questions_csv_holds_the_hand_computed_statistics(report):
    path = report["out"] / "questions.csv"
    assert path.read_text().splitlines()[0] == ("question,kind,max,students,mean,median,full_marks_rate,zero_rate,"
                                                "difficulty,discrimination,flag")
    rows = {row["question"]: row for row in _rows(path)}
    keys = ["max", "students", "mean", "median", "full_marks_rate", "zero_rate", "difficulty", "discrimination"]
    # Raw totals (before penalties, unscored q4 = 0): eve 0, alice 9, bob 6, carol 7, dave 3, frank 8.
    # Discrimination r = Sxy / sqrt(Sxx Syy) of the question (x) against the total of the other questions (y),
    # with Sxy = sum(xy) - sum(x) sum(y) / n and so on.
    expected = {
        # x = 0,3,2,1,1,3 (eve, alice, bob, carol, dave, frank); mean 10/6; median of 0,1,1,2,3,3 = 1.5;
        # full marks 2/6, zero 1/6; difficulty (10/6)/3 = 0.555556.
        # y = 0,6,4,6,2,5: sum x 10, sum y 23, sum xy 49, sum x2 24, sum y2 117; Sxy = 49 - 230/6 = 32/3,
        # Sxx = 24 - 100/6 = 22/3, Syy = 117 - 529/6 = 173/6; r = (32/3) / sqrt(22/3 * 173/6) = 0.733551
        "q1": ([3, 6, 1.666667, 1.5, 0.333333, 0.166667, 0.555556, 0.733551], "auto", ""),
        # x = 0,2,1,2,0,1; mean 1, median 1, full 2/6, zero 2/6, difficulty 0.5.
        # y = 0,7,5,5,3,7: sum y 27, sum xy 36, sum x2 10, sum y2 157; Sxy = 36 - 27 = 9, Sxx = 10 - 6 = 4,
        # Syy = 157 - 729/6 = 35.5; r = 9 / sqrt(142) = 0.755263
        "q2": ([2, 6, 1, 1, 0.333333, 0.333333, 0.5, 0.755263], "auto", ""),
        # x = 0,0,0,1,1,0 (weak students pass it); mean 1/3, median 0, full 2/6, zero 4/6, difficulty 1/3.
        # y = 0,9,6,6,2,8: sum y 31, sum xy 8, sum x2 2, sum y2 221; Sxy = 8 - 62/6 = -7/3, Sxx = 2 - 4/6 = 4/3,
        # Syy = 221 - 961/6 = 365/6; r = (-7/3) / sqrt(4/3 * 365/6) = -0.259082 -> flagged negative
        "q3": ([1, 6, 0.333333, 0, 0.333333, 0.666667, 0.333333, -0.259082], "auto", "negative"),
        # scored for 5 (eve has no score): x = 4,3,3,1,4; mean 3, median 3, full 2/5, zero 0, difficulty 0.75.
        # y = 5,3,4,2,4: sum x 15, sum y 18, sum xy 59, sum x2 51, sum y2 70; Sxy = 59 - 54 = 5, Sxx = 51 - 45 = 6,
        # Syy = 70 - 64.8 = 5.2; r = 5 / sqrt(31.2) = 0.895144
        "q4": ([4, 5, 3, 3, 0.4, 0, 0.75, 0.895144], "manual", ""),
    }
    assert list(rows) == list(expected)
    for question, (numbers, kind, flag) in expected.items():
        assert _numbers(rows[question], keys) == pytest.approx(numbers, abs=1e-6), question
        assert (rows[question]["kind"], rows[question]["flag"]) == (kind, flag), question


def test_tests_csv_gives_each_tests_full_marks_rate(report):
    rows = _rows(report["out"] / "tests.csv")
    # out of all 6 students (eve's notebook never ran: no test passed)
    assert [(r["question"], r["test"], r["hidden"], float(r["full_marks_rate"])) for r in rows] == [
        ("q1", "test_shape", "False", pytest.approx(4 / 6)),  # alice, carol, dave, frank
        ("q1", "test_values", "False", pytest.approx(3 / 6)),  # alice, bob, frank
        ("q2", "test_sum", "False", pytest.approx(4 / 6)),  # alice, bob, carol, frank
        ("q2", "test_edge", "True", pytest.approx(2 / 6)),  # alice, carol
        ("q3", "test_tiny", "False", pytest.approx(2 / 6)),  # carol, dave
    ]


def test_lms_files_have_the_formats_the_lms_import(report):
    lms = report["out"] / "lms"
    canvas = (lms / "canvas.csv").read_text(encoding="utf-8").splitlines()
    assert canvas[0] == "Student,ID,SIS User ID,SIS Login ID,Section,Demo lab (777)"
    assert canvas[1] == "    Points Possible,,,,,10"
    assert canvas[2:] == [f"{EVIL},{EVIL},,,,0", "Alice Liddell,alice,,,,9", "bob,bob,,,,6", "carol,carol,,,,5.6",
                          "dave,dave,,,,2.7", "frank,frank,,,,4"]

    moodle = (lms / "moodle.csv").read_text(encoding="utf-8").splitlines()
    assert moodle[0] == ("Identifier,Full name,Status,Grade,Maximum Grade,Grade can be changed,"
                         "Last modified (submission),Online text,Last modified (grade),Feedback comments")
    rows = {row["Identifier"]: row for row in _rows(lms / "moodle.csv")}
    assert list(rows) == [f"Participant {s}" for s in (EVIL, "alice", "bob", "carol", "dave", "frank")]
    carol = rows["Participant carol"]
    assert (carol["Full name"], carol["Status"], carol["Grade"], carol["Maximum Grade"],
            carol["Grade can be changed"]) == ("carol", "Submitted for grading", "5.60", "10.00", "Yes")
    assert carol["Feedback comments"] == "autograded 4; by hand 3; late 2 day(s): -1.4; total 5.6 of 10"
    assert rows[f"Participant {EVIL}"]["Last modified (submission)"] == "-"
    datetime.datetime.strptime(carol["Last modified (submission)"], "%A, %d %B %Y, %I:%M %p")

    gradescope = (lms / "gradescope.csv").read_text(encoding="utf-8").splitlines()
    assert gradescope[0] == "Name,SID,Total Score"
    assert gradescope[1:] == [f"{EVIL},{EVIL},0", "Alice Liddell,alice,9", "bob,bob,6", "carol,carol,5.6",
                              "dave,dave,2.7", "frank,frank,4"]


def test_plots_are_pngs(report):
    for name in ("totals", "questions", "tests"):
        data = (report["out"] / "plots" / f"{name}.png").read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5_000, name


def test_what_students_control_is_shown_as_text(report):
    index = (report["out"] / "index.html").read_text(encoding="utf-8")
    page = (report["out"] / "students" / f"{student_file_name(EVIL)}.html").read_text(encoding="utf-8")
    alice = (report["out"] / "students" / "alice.html").read_text(encoding="utf-8")
    for text in (index, page):
        assert EVIL not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "<b>unexpected</b>" not in text and "&lt;b&gt;unexpected&lt;/b&gt;" in text
    assert EVIL not in alice and "expected &lt;1.0&gt;, got &lt;script&gt;" in alice
    for text in (index, page, alice):  # self-contained: nothing fetched from anywhere
        assert "http://" not in text and "https://" not in text and "<link" not in text


def test_the_dashboard_lists_students_plots_and_what_needs_attention(report):
    index = (report["out"] / "index.html").read_text(encoding="utf-8")
    assert "<table class='sortable' id='students'>" in index
    assert index.count("<tr data-student=") == 6
    assert index.count("src='data:image/png;base64,") == 3
    attention = index.split("<ul id='attention'>")[1].split("</ul>")[0]
    assert "timeout" in attention and "a cell ran longer than 20 s" in attention  # dave
    assert "invalid-notebook" in attention and "no score yet for q4" in attention  # eve
    assert "alice" not in attention
    time_went = index.split("Where grading's time went")[1].split("</table>")[0]
    totals = sorted(10.0 + len(s) for s in PASSED if s != EVIL)  # the profiles _result gives, EVIL's has none
    assert f"<td>total</td><td>{statistics.median(totals):.2f} s</td><td>{max(totals):.2f} s</td>" in time_went
    assert "<td>  round trips</td><td>40</td><td>40</td>" in time_went
    for link in ("grades.csv", "questions.csv", "lms/canvas.csv", "lms/moodle.csv", "lms/gradescope.csv",
                 "students/alice.html", f"students/{student_file_name(EVIL)}.html"):
        assert f"href='{link}'" in index, link


def test_a_feedback_page_shows_each_test_and_the_students_artifacts(report):
    alice = (report["out"] / "students" / "alice.html").read_text(encoding="utf-8")
    assert "Alice Liddell" in alice and "<strong>9</strong> of 10" in alice
    assert alice.count("class='passed'>passed<") == 4 and alice.count("class='failed'>failed<") == 1
    assert "test_edge <span class=muted>(hidden)</span>" in alice
    assert "names the trade-off" in alice  # the manual question's criteria
    # q1's loss curves with the reference band, q2's images and points; the pickled and the broken file are skipped
    assert "q1: training curves" in alice and "q2: denoised" in alice and "evil" not in alice
    assert "q2: samples" in alice
    assert alice.count("src='data:image/png;base64,") == 3
    assert not (report["tmp"] / "unpickled").exists()
    carol = (report["out"] / "students" / "carol.html").read_text(encoding="utf-8")
    assert "2 day(s) late" in carol and "−1.4" in carol


def test_manual_scores_are_checked_row_by_row(tmp_path):
    rubric_file = tmp_path / "demo.yml"
    rubric_file.write_text(RUBRIC)
    rubric = load_rubric(rubric_file)
    students = {"alice", "bob"}
    cases = {
        "student,q4\nalice,4\nmallory,2\n": "line 3: student 'mallory' has no submission",
        "student,q4\nalice,4.5\n": "line 2: q4 of 'alice' is 4.5, but it must be between 0 and 4",
        "student,q4\nalice,-1\n": "line 2: q4 of 'alice' is -1, but it must be between 0 and 4",
        "student,q4\nalice,four\n": "line 2: q4 of 'alice' is 'four', not a number",
        "student,q4\nalice,1\nalice,2\n": "line 3: student 'alice' appears a second time",
        "student,q1\nalice,1\n": "column q1 is an autograded question",
        "student,Q4\nalice,1\n": "unknown column 'Q4'",
        "name,q4\nalice,1\n": "needs a `student` column",
    }
    for text, message in cases.items():
        path = tmp_path / "manual.csv"
        path.write_text(text)
        with pytest.raises(ReportError, match=message.replace("(", r"\(").replace(")", r"\)")):
            read_manual(path, rubric, students)
    path.write_text("\ufeffstudent,q4\r\nalice, 3.5 \r\nbob,\r\n")  # a spreadsheet's BOM and CRLF
    assert read_manual(path, rubric, students) == {"alice": {"q4": 3.5}, "bob": {}}


def test_the_cli_names_the_bad_row_and_fails(tmp_path, capsys):
    course = _course(tmp_path)
    course["manual"].write_text("student,q4\nalice,4\nzed,1\n")
    code = main(["--root", str(course["root"]), "report", "demo", str(course["grades"]), "--manual",
                 str(course["manual"])])
    assert code == 2
    assert "manual.csv line 3: student 'zed' has no submission in the gradebook" in capsys.readouterr().err


def test_a_rubric_that_disagrees_with_the_build_stops_the_report(tmp_path):
    course = _course(tmp_path)
    dist = course["root"] / "dist" / "demo"
    dist.mkdir(parents=True)
    questions = [{"name": "q1", "points": 3.0, "manual": False}, {"name": "q2", "points": 2.5, "manual": False},
                 {"name": "q3", "points": 1.0, "manual": False}, {"name": "q4", "points": 4.0, "manual": True}]
    (dist / "assignment.json").write_text(json.dumps({"schema": 1, "name": "demo", "version": "x",
                                                      "questions": questions, "support_files": []}))
    with pytest.raises(ValueError, match="question q2 has 2 points in the rubric but 2.5 in the built notebook"):
        build_report("demo", course["grades"], root=course["root"])


# --- in a browser ----------------------------------------------------------------------------------------------

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def _chromium(binary: str, tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    run = subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    return run


def test_the_dashboard_sorts_in_a_browser(report, chromium, tmp_path):
    url = (report["out"] / "index.html").resolve().as_uri()
    dom = _chromium(chromium, tmp_path, "--dump-dom", url + "#sort=final-desc").stdout
    assert "<table class=\"sortable\" id=\"students\">" in dom
    order = [part.split('"')[0] for part in dom.split("<tr data-student=\"")[1:]]
    # the script ran: highest final first (alice 9, bob 6, carol 5.6, frank 4, dave 2.7, eve 0)
    assert order[:5] == ["alice", "bob", "carol", "frank", "dave"] and "alert(1)" in order[5]
    assert "aria-sort=\"descending\"" in dom
    unsorted = _chromium(chromium, tmp_path, "--dump-dom", url).stdout
    assert [part.split('"')[0] for part in unsorted.split("<tr data-student=\"")[1:]][1:3] == ["alice", "bob"]


def test_the_pages_render_in_a_browser(report, chromium, tmp_path):
    from matplotlib.image import imread

    for page in (report["out"] / "index.html", report["out"] / "students" / "alice.html"):
        shot = tmp_path / f"{page.stem}.png"
        _chromium(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", page.resolve().as_uri())
        assert shot.is_file() and shot.stat().st_size > 20_000, page
        pixels = imread(shot)
        assert pixels.shape[:2] == (2000, 1280) and pixels.std() > 0.05, page  # not a blank page
    dom = _chromium(chromium, tmp_path, "--dump-dom", (report["out"] / "students" / "alice.html").resolve().as_uri())
    assert "Alice Liddell" in dom.stdout and "q1: training curves" in dom.stdout


def test_a_gan_run_is_drawn_as_step_curves_and_a_scatter_of_its_samples(tmp_path):
    from autograder.report.artifacts import draw_artifacts

    rng = np.random.default_rng(0)
    np.save(tmp_path / "q3.history.d_loss.npy", 0.6 + 0.05 * rng.normal(size=2000), allow_pickle=False)
    np.save(tmp_path / "q3.history.g_loss.npy", 0.9 + 0.05 * rng.normal(size=2000), allow_pickle=False)
    np.save(tmp_path / "q3.samples.npy", rng.normal(size=(2000, 2)), allow_pickle=False)
    np.save(tmp_path / "q3.not_points.npy", rng.normal(size=(10, 2)), allow_pickle=False)  # no "samples": not drawn
    titles = [picture.title for picture in draw_artifacts(tmp_path)]
    assert titles == ["q3: training curves", "q3: samples"]
