"""Exams from the bank: a roster of 30, variants per student, grading against each student's own variant."""

import csv
import json
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml

from autograder.assignment import AssignmentError
from autograder.bank.stats import statistics_table
from autograder.cli import main
from autograder.course import find_assignment
from autograder.exam import Exam, read_roster, variant_seed
from autograder.exam.build import build_exam
from autograder.exam.spec import SpecError

BANK = Path(__file__).resolve().parent.parent / "bank"
SPEC = {
    "exam": "midterm-2026", "title": "Generative Deep Learning, midterm", "date": "2026-12-10",
    "sections": [
        {"title": "Autoencoders and attention", "topics": ["autoencoders", "transformers"], "count": 2,
         "difficulty": {"easy": 1, "hard": 1}, "points": 10},
        {"title": "GANs", "topics": ["gans"], "kinds": ["multiple_choice"], "count": 1},
        {"title": "Training", "tags": ["loss-curves"], "kinds": ["free_response"], "count": 1},
    ],
}


@pytest.fixture
def course(tmp_path):
    """A course folder: a copy of the bank, a spec and a roster of 30."""
    shutil.copytree(BANK, tmp_path / "bank", ignore=shutil.ignore_patterns("__pycache__", "history.jsonl",
                                                                          "exams.yml"))
    write_spec(tmp_path, SPEC)
    # A fixed secret, so every run draws the same variants: with a new random one each run, s001's answers were
    # now and then right for s003's variants too, and the copy test failed (seen in a full run).
    (tmp_path / f"{SPEC['exam']}.secret").write_text("5f" * 32 + "\n")
    with (tmp_path / "roster.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "name"])
        writer.writerows([f"s{number:03d}", f"Student {number}"] for number in range(30))
    return tmp_path


def write_spec(folder: Path, spec: dict, name: str = "spec.yml") -> Path:
    (folder / name).write_text(yaml.safe_dump(spec, sort_keys=False))
    return folder / name


def build(course, out="exam", spec="spec.yml") -> Exam:
    return build_exam(course / spec, course / "roster.csv", course / out, course).exam


def answer_cells(notebook_path: Path) -> dict[str, str]:
    notebook = nbformat.read(notebook_path, as_version=4)
    return {cell.id: cell.source for cell in notebook.cells}


def test_every_student_gets_a_stable_variant_of_the_same_questions(course):
    exam = build(course)
    students = [s.id for s in read_roster(course / "roster.csv")]
    assert len(students) == 30 and [q.name for q in exam.questions] == ["q01", "q02", "q03", "q04"]
    assert sum(q.points for q in exam.questions[:2]) == pytest.approx(10)  # the section's total, in half points
    assert all(float(q.points * 2).is_integer() for q in exam.questions)
    prompts = {s: answer_cells(exam.public_dir / f"{s}.ipynb")["q01-prompt"] for s in students}
    assert len(set(prompts.values())) >= 5  # the numbers differ between students
    variants = {s: json.dumps([exam.variant(s, q) for q in exam.questions]) for s in students}
    assert len(set(variants.values())) == 30

    copy = course / "bank" / "autoencoders" / "dense_weight_count_copy"  # the bank grows after the build
    shutil.copytree(course / "bank" / "autoencoders" / "dense_weight_count", copy)
    for path in copy.glob("*.*"):
        path.write_text(path.read_text().replace("dense_weight_count", "dense_weight_count_copy"))
    again = build(course, out="rebuilt")  # same spec, same secret: the same exam
    assert again.questions == exam.questions
    for student in students:
        assert answer_cells(again.public_dir / f"{student}.ipynb") == answer_cells(exam.public_dir / f"{student}.ipynb")
    assert (course / "print-all.html").exists() is False and (course / "exam" / "print-all.html").stat().st_size > 0
    assert len(list((exam.master_dir / "keys").glob("*.html"))) == 30
    assert (exam.public_dir / "print" / "s000.html").is_file()

    with (exam.master_dir / "keys.csv").open() as handle:
        keys = list(csv.DictReader(handle))
    assert len(keys) == 30 * 4 and {row["question"] for row in keys} == {"q01", "q02", "q03", "q04"}


def test_the_variant_is_an_hmac_of_the_secret_the_student_and_the_question():
    seed = variant_seed(b"0" * 32, "s001", "gans/diagnose_training")
    assert seed == variant_seed(b"0" * 32, "s001", "gans/diagnose_training")
    assert seed != variant_seed(b"1" * 32, "s001", "gans/diagnose_training")
    assert seed != variant_seed(b"0" * 32, "s002", "gans/diagnose_training")
    assert seed != variant_seed(b"0" * 32, "s001", "autoencoders/dense_weight_count")


def fill(exam: Exam, notebook_of: str, answers_of: str, wrong: dict[str, str] | None = None):
    """``notebook_of``'s notebook with the reference answers of ``answers_of``'s variant (or a named mistake)."""
    notebook = nbformat.read(exam.public_dir / f"{notebook_of}.ipynb", as_version=4)
    for question in exam.questions:
        bank_question = exam._bank_questions[question.bank_id]
        params = exam.variant(answers_of, question)
        source = bank_question.solution(params)
        if wrong and question.name in wrong:
            source = bank_question.mistakes(params)[wrong[question.name]]
        next(cell for cell in notebook.cells if cell.get("id") == f"{question.name}-answer").source = source
    return notebook


def test_grading_recomputes_each_students_variant(course):
    exam = build(course)
    submissions = course / "submissions"
    submissions.mkdir()
    for student in ("s000", "s001", "s002"):
        nbformat.write(fill(exam, student, student), submissions / f"{student}.ipynb")
    # s003 hands in s001's answered notebook: graded against s003's own variant
    nbformat.write(fill(exam, "s001", "s001"), submissions / "s003.ipynb")
    # s004's notebook claims (in its metadata) to be s000's: ignored, the file name says who it is
    first = exam.questions[0]
    mistake = next(iter(exam._bank_questions[first.bank_id].mistakes(exam.variant("s004", first))))
    notebook = fill(exam, "s004", "s004", wrong={"q01": mistake})
    notebook.metadata["autograder"]["student"] = "s000"
    nbformat.write(notebook, submissions / "s004.ipynb")
    nbformat.write(fill(exam, "s005", "s005"), submissions / "intruder.ipynb")

    assert main(["--root", str(exam.root), "grade", exam.name, str(submissions), "--out", str(course / "grades"),
                 "--workers", "2"]) == 0
    results = {path.stem: json.loads(path.read_text()) for path in (course / "grades" / "results").glob("*.json")}
    auto = sum(q.points for q in exam.questions[:3])
    for student in ("s000", "s001", "s002"):
        assert (results[student]["total"], results[student]["status"]) == (pytest.approx(auto), "ok")
    assert results["s003"]["total"] < auto
    points = {q["name"]: q["points"] for q in results["s004"]["questions"]}
    assert points["q01"] == 0 and sum(points.values()) == pytest.approx(auto - exam.questions[0].points)
    assert results["intruder"]["status"] == "unknown-student" and results["intruder"]["total"] == 0
    assert "not on the roster" in results["intruder"]["message"]

    assert main(["--root", str(exam.root), "report", exam.name, str(course / "grades")]) == 0
    history = statistics_table(course / "bank")
    assert sorted(history["question"]) == sorted(q.bank_id for q in exam.questions[:3])  # q04 is marked by hand
    assert set(history["exam"]) == {"midterm-2026"} and set(history["students"]) == {5}  # not the intruder


def test_a_spec_the_bank_cannot_fill_says_what_is_missing(course):
    spec = {**SPEC, "sections": [{"title": "GANs", "topics": ["gans"], "count": 40, "difficulty": {"hard": 40}}]}
    write_spec(course, spec, "big.yml")
    with pytest.raises(SpecError, match=r"section 1 \(GANs\) asks for 40 hard question\(s\) with topic gans, the "
                                        r"bank has \d+; add \d+ such question\(s\) to the bank or ask for fewer"):
        build(course, spec="big.yml")
    assert main(["exam", "build", str(course / "big.yml"), "--roster", str(course / "roster.csv"),
                 "--out", str(course / "big")]) == 2


def test_recently_used_questions_are_left_out(course):
    section = {"title": "Autoencoders", "topics": ["autoencoders"], "count": 1}
    write_spec(course, {**SPEC, "sections": [section]}, "first.yml")
    [used] = [q.bank_id for q in build(course, out="first", spec="first.yml").questions]
    available = len(list((course / "bank" / "autoencoders").glob("*/question.yml")))
    final = {**SPEC, "exam": "final-2026", "date": "2027-02-01", "exclude_recent": 1}
    write_spec(course, {**final, "sections": [{**section, "count": available}]}, "final.yml")
    with pytest.raises(SpecError, match=f"recently used: {used} \\(used in midterm-2026\\)"):
        build(course, out="final", spec="final.yml")
    write_spec(course, {**final, "sections": [{**section, "count": available - 1}]}, "final.yml")
    drawn = {q.bank_id for q in build(course, out="final", spec="final.yml").questions}
    assert used not in drawn and len(drawn) == available - 1
    log = yaml.safe_load((course / "bank" / "exams.yml").read_text())
    assert [entry["exam"] for entry in log] == ["midterm-2026", "final-2026"]


def test_bad_specs_and_rosters_are_explained(course):
    write_spec(course, {**SPEC, "sections": [{"title": "x", "count": 2, "difficulty": {"easy": 1}}]}, "mix.yml")
    with pytest.raises(SpecError, match="the difficulty mix adds up to 1 questions, count is 2"):
        build(course, spec="mix.yml")
    (course / "roster.csv").write_text("student_id,name\ns1,A\ns1,B\n")
    with pytest.raises(AssignmentError, match="line 3: student s1 is listed twice"):
        build(course)
    (course / "roster.csv").write_text("email,name\na@b.c,A\n")
    with pytest.raises(AssignmentError, match="no column of student ids"):
        build(course)


def test_an_exam_changed_after_its_build_is_not_graded(course):
    exam = build(course)
    (exam.master_dir / "questions" / exam.questions[0].bank_id / "question.py").write_text("# edited\n")
    again = find_assignment(exam.name, exam.root)
    with pytest.raises(AssignmentError, match="was changed after it was built"):
        from autograder.batch import ensure_built
        ensure_built(again)
