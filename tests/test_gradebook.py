"""The SQLite gradebook: whole submissions or nothing, resumable after SIGKILL, CSV and JSON exports."""

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time

import nbformat
import pytest

from autograder.gradebook import Gradebook, OutputError, student_file_name
from autograder.results import QuestionResult, SubmissionResult, TestOutcome
from tests.conftest import MINI_GOOD, mini_notebook


def result(student="alice", content="h1", points=1.0):
    test = TestOutcome("test_a", points, 1.0, points == 1.0, True, "" if points else "wrong")
    return SubmissionResult(student, f"{student}.ipynb", "mini", "v1", "g1", content, "ok", "",
                            [QuestionResult("q1", points, 1.0, [test])])


def test_a_result_is_recorded_once_and_found_by_its_key(tmp_path):
    with Gradebook(tmp_path, "mini") as book:
        book.record(result(), "job-1")
        book.record(result(points=0.0), "job-2")  # a regrade (another seed, say) replaces, never doubles
        assert book.recorded("alice", "job-2").total == 0.0
        assert book.recorded("alice", "job-1") is None  # the old key's result is gone
        assert book.recorded("bob", "job-2") is None and book.recorded("alice", "") is None
        assert book.db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 1
        assert book.db.execute("SELECT COUNT(*) FROM tests").fetchone()[0] == 1


def test_a_gradebook_from_before_job_keys_is_read_and_its_results_graded_again(tmp_path):
    with Gradebook(tmp_path, "mini") as book:
        book.record(result(), "job-1")
    database = sqlite3.connect(tmp_path / "gradebook.sqlite")  # as an older grader wrote it: no job_hash column
    with database:
        database.execute("DROP INDEX submissions_by_job")
        database.execute("ALTER TABLE submissions DROP COLUMN job_hash")
    database.close()
    with Gradebook(tmp_path, "mini") as book:
        assert [r.student for r in book.current_results()] == ["alice"]  # reports still read it
        assert book.recorded("alice", "job-1") is None  # no key recorded: graded again
        book.record(result(points=0.0), "job-1")
        assert book.recorded("alice", "job-1").total == 0.0


def test_the_newest_submission_of_a_student_is_current_and_exported(tmp_path):
    with Gradebook(tmp_path, "mini") as book:
        book.record(result(content="old", points=0.0))
        book.record(result(content="new", points=1.0))
        book.record(result("Zoë <b>", content="x"))
        book.export(["q1"])
    rows = list(csv.DictReader(open(tmp_path / "gradebook.csv", encoding="utf-8")))
    assert [(r["student"], r["q1"], r["total"]) for r in rows] == [("Zoë <b>", "1", "1"), ("alice", "1", "1")]
    assert (tmp_path / "results" / "alice.json").is_file()
    assert (tmp_path / "results" / f"{student_file_name('Zoë <b>')}.json").is_file()
    assert student_file_name("Zoë <b>").startswith("Zoë_b-")  # not a plain id: its name carries a hash of it


def test_a_folder_of_another_assignment_or_of_other_files_is_refused(tmp_path):
    Gradebook(tmp_path / "a", "temperature").close()
    with pytest.raises(OutputError, match="holds grades of assignment 'temperature'"):
        Gradebook(tmp_path / "a", "mini")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not empty"):
        Gradebook(tmp_path / "b", "mini")


def grade_command(course, submissions, out, *extra):
    return [sys.executable, "-m", "autograder.cli", "--root", str(course), "grade", "mini", str(submissions),
            "--out", str(out), *extra]


def graded_rows(out):
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        try:
            return db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
        except sqlite3.OperationalError:  # the grader has created the file but not its tables yet
            return 0


def test_a_grader_killed_with_sigkill_resumes_with_nothing_lost_or_doubled(mini_course, tmp_path):
    submissions = tmp_path / "class"
    submissions.mkdir()
    for index in range(6):
        answers = dict(MINI_GOOD) if index % 2 else {"def double": "def double(x):\n    return x"}
        nbformat.write(mini_notebook(mini_course, answers), submissions / f"student{index}.ipynb")
    reference = tmp_path / "uninterrupted"
    subprocess.run(grade_command(mini_course, submissions, reference), check=True, capture_output=True, timeout=600)

    out = tmp_path / "killed"
    process = subprocess.Popen(grade_command(mini_course, submissions, out), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not ((out / "gradebook.sqlite").exists() and graded_rows(out) >= 2):
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    killed_after = graded_rows(out)
    assert 2 <= killed_after < 6, "the kill should land in the middle of the batch"
    assert not (out / "gradebook.csv").exists()

    done = subprocess.run(grade_command(mini_course, submissions, out), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"{killed_after} submission(s) were already graded" in done.stderr
    assert graded_rows(out) == 6
    assert (out / "gradebook.csv").read_text() == (reference / "gradebook.csv").read_text()
    # The kernels' connection files live in folders named after the grader's pid.
    leftover = subprocess.run(["pgrep", "-f", f"autograder-{process.pid}-"], capture_output=True, text=True)
    assert leftover.stdout == "", "kernels of the killed grader must not outlive it"
