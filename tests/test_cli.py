"""The command line: bad input gets one clear line and a non-zero exit, never a traceback."""

import json
import subprocess
import sys
import zipfile

import nbformat

from tests.conftest import mini_notebook


def autograder(*args, cwd=None):
    done = subprocess.run([sys.executable, "-m", "autograder.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=600)
    return done.returncode, done.stdout, done.stderr


def one_clear_line(stderr: str, *words: str) -> None:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert "Traceback" not in stderr
    assert lines and lines[-1].startswith("error:"), stderr
    for word in words:
        assert word in stderr, stderr


def test_unknown_assignment(mini_course, tmp_path):
    code, _, err = autograder("--root", mini_course, "grade", "nope", tmp_path, "--out", tmp_path / "o")
    assert code == 2
    one_clear_line(err, "unknown assignment 'nope'", "mini")


def test_missing_path(mini_course, tmp_path):
    code, _, err = autograder("--root", mini_course, "grade", "mini", tmp_path / "absent", "--out", tmp_path / "o")
    assert code == 2
    one_clear_line(err, "no such file or folder", "absent")


def test_unreadable_zip(mini_course, tmp_path):
    (tmp_path / "class.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    code, _, err = autograder("--root", mini_course, "grade", "mini", tmp_path / "class.zip", "--out", tmp_path / "o")
    assert code == 2
    one_clear_line(err, "not a readable zip file", "class.zip")


def test_output_folder_of_another_assignment(mini_course, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    import sqlite3
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('assignment', 'temperature')")
    nbformat.write(mini_notebook(mini_course), tmp_path / "alice.ipynb")
    code, _, err = autograder("--root", mini_course, "grade", "mini", tmp_path / "alice.ipynb", "--out", out)
    assert code == 2
    one_clear_line(err, "holds grades of assignment 'temperature'")


def test_grading_a_zip_writes_results_and_the_gradebook(mini_course, tmp_path):
    with zipfile.ZipFile(tmp_path / "class.zip", "w") as archive:
        archive.writestr("alice.ipynb", nbformat.writes(mini_notebook(mini_course)))
        archive.writestr("bob.ipynb", "{broken")
    code, out, err = autograder("--root", mini_course, "grade", "mini", tmp_path / "class.zip", "--out", tmp_path / "o")
    assert code == 0, err
    assert "alice" in out and "4/4" in out and "invalid-notebook" in out
    rows = (tmp_path / "o" / "gradebook.csv").read_text().splitlines()
    assert rows[0] == "student,submission,q1,q2,total,max_total,status,message"
    assert rows[1].startswith("alice,") and ",2,2,4,4,ok," in rows[1]
    assert rows[2].startswith("bob,") and ",0,0,0,4,invalid-notebook," in rows[2]
    result = json.loads((tmp_path / "o" / "results" / "alice.json").read_text())
    assert result["total"] == 4 and all(t["passed"] for q in result["questions"] for t in q["tests"])


def test_the_results_table_prints_student_text_literally():
    from rich.console import Console

    from autograder.cli import _table
    from autograder.results import QuestionResult, SubmissionResult

    results = [SubmissionResult(student, "x.ipynb", "mini", "1", "1", "0", status="[bold]x[/bold]",
                                questions=[QuestionResult("q1", 1, 2)]) for student in ("[/]", "[bold]x[/bold]")]
    console = Console(record=True, width=200)
    console.print(_table(results, ["q1"]))
    text = console.export_text()
    assert "[/]" in text and text.count("[bold]x[/bold]") == 3


def test_student_ids_and_notes_with_markup_print_literally(mini_course, tmp_path):
    metadata = ("submission_1:\n  :submitters:\n  - :name: '[red]Eve'\n    :sid: '[bold]x[/bold]'\n"
                "submission_2:\n  :submitters:\n  - :sid: 'a[/]b'\n")
    good = nbformat.writes(mini_notebook(mini_course))
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as archive:
        archive.writestr("submission_metadata.yml", metadata)
        archive.writestr("submission_1/mini.ipynb", good)
        archive.writestr("submission_2/mini.ipynb", good)
        archive.writestr("submission_2/w[/]x/submission_metadata.yml", "planted: [/]")
    code, out, err = autograder("--root", mini_course, "grade", "mini", tmp_path / "export.zip", "--out",
                                tmp_path / "o", "--workers", "2")
    assert code == 0, err
    assert "[bold]x[/bold]" in out and "a[/]b" in out and "4/4" in out
    assert "note: a[/]b: " in err and "submission_2/w[/]x/submission_metadata.yml" in err
