"""``autograder exam build``: a spec and a roster in, each student's notebook, answer key and grader out."""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import nbformat
import yaml

from autograder.assignment import Manifest
from autograder.bank import load_bank
from autograder.bank.check import EXAM_PREAMBLE
from autograder.exam import EXAM_FILE, EXAM_SCHEMA, ROSTER_FILE, SECRET_FILE, Exam, ExamQuestion, Student, read_roster
from autograder.exam.spec import (
    Drawn,
    ExamSpec,
    draw_questions,
    load_spec,
    previous_draw,
    read_exam_log,
    recent_exams,
    record_exam,
)
from autograder.notebook import QuestionInfo
from autograder.testfile import read_test_file

PAGE_BREAK = '<div style="page-break-after: always"></div>'


@dataclass
class BuiltExam:
    exam: Exam
    students: int
    questions: list[ExamQuestion]
    notebooks: Path
    print_all: Path
    keys: Path


def build_exam(spec_path: Path, roster_path: Path, out: Path, root: Path = Path(".")) -> BuiltExam:
    spec = load_spec(spec_path, root)
    students = read_roster(roster_path)
    bank = load_bank(spec.bank)
    log = read_exam_log(spec.bank)
    drawn = draw_questions(spec, bank, recent_exams(log, spec), previous_draw(log, spec))
    exam = Exam(spec.exam, Path(out).resolve())
    for stale in (exam.master_dir, exam.dist_dir, exam.public_dir):
        shutil.rmtree(stale, ignore_errors=True)
    questions = [ExamQuestion(f"q{number:02d}", d.question.id, d.points, d.section.title)
                 for number, d in enumerate(drawn, start=1)]
    _write_private(exam, spec, drawn, questions, roster_path)
    _write_tests(exam, drawn, questions)
    _write_rubric(exam, spec, drawn, questions)
    (exam.public_dir / "print").mkdir(parents=True)
    (exam.master_dir / "keys").mkdir()
    printable, keys = [], []
    for student in students:
        variants = {q.name: exam.variant(student.id, q) for q in questions}
        notebook = _student_notebook(spec, student, drawn, questions, variants)
        nbformat.write(notebook, exam.public_dir / f"{student.id}.ipynb")
        _write_html(notebook, exam.public_dir / "print" / f"{student.id}.html")
        printable.append(notebook)
        key = _key_notebook(spec, student, drawn, questions, variants)
        _write_html(key, exam.master_dir / "keys" / f"{student.id}.html")
        keys += [{"student": student.id, "question": q.name, "bank_id": q.bank_id, "points": q.points,
                  "params": json.dumps(variants[q.name], sort_keys=True),
                  "answer": d.question.solution(variants[q.name])} for q, d in zip(questions, drawn)]
    _write_keys_csv(exam.master_dir / "keys.csv", keys)
    print_all = exam.root / "print-all.html"
    _write_html(_joined(printable), print_all)
    manifest = Manifest(exam.name, exam.source_version(),
                        [QuestionInfo(q.name, q.points, d.question.manual, first_cell_id=f"{q.name}-prompt")
                         for q, d in zip(questions, drawn)], support_files=[], preload=["numpy"])
    exam.manifest_path.write_text(json.dumps(manifest.to_json(), indent=1), encoding="utf-8")
    record_exam(spec.bank, spec, drawn)
    return BuiltExam(exam, len(students), questions, exam.public_dir, print_all, exam.master_dir / "keys")


def _write_private(exam: Exam, spec: ExamSpec, drawn: list[Drawn], questions: list[ExamQuestion], roster: Path):
    exam.master_dir.mkdir(parents=True)
    for d in drawn:  # the questions' code as built: later edits to the bank cannot change this exam's variants
        shutil.copytree(d.question.folder, exam.master_dir / "questions" / d.question.id,
                        ignore=shutil.ignore_patterns("__pycache__", "history.jsonl"))
    shutil.copy(roster, exam.master_dir / ROSTER_FILE)
    secret = exam.master_dir / SECRET_FILE
    secret.write_bytes(spec.secret() + b"\n")
    secret.chmod(0o600)
    record = {"schema": EXAM_SCHEMA, "exam": spec.exam, "title": spec.title, "date": spec.date.isoformat(),
              "bank": str(spec.bank.resolve()), "questions": [vars(q) for q in questions]}
    (exam.master_dir / EXAM_FILE).write_text(json.dumps(record, indent=1), encoding="utf-8")


def _write_tests(exam: Exam, drawn: list[Drawn], questions: list[ExamQuestion]) -> None:
    exam.tests_dir.mkdir(parents=True)
    for q, d in zip(questions, drawn):
        if d.question.manual:
            continue
        tests = read_test_file(d.question.tests_path)
        scale = q.points / tests.max_points if tests.max_points else 0.0
        points = [round((case.points or 0.0) * scale, 4) for case in tests.cases]
        source = d.question.tests_path.read_text(encoding="utf-8")
        (exam.tests_dir / f"{q.name}.py").write_text(
            f"{source.rstrip()}\n\n# exam {exam.name}: bank question {q.bank_id} as {q.name}\n"
            f"name = {q.name!r}\npoints = {points!r}\n", encoding="utf-8")


def _write_rubric(exam: Exam, spec: ExamSpec, drawn: list[Drawn], questions: list[ExamQuestion]) -> None:
    entries = {}
    for q, d in zip(questions, drawn):
        if d.question.manual:
            scale = q.points / d.question.points
            entries[q.name] = {"points": q.points, "manual": True,
                               "criteria": [{"points": round(float(c["points"]) * scale, 4), "text": str(c["text"])}
                                            for c in d.question.criteria]}
        else:
            entries[q.name] = q.points
    rubric = {"assignment": exam.name, "title": spec.title, "due": spec.due.isoformat(),
              "late": {"per_day": 0.0}, "questions": entries, "grades": spec.grades}
    path = exam.root / "rubrics" / f"{exam.name}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# Written by `autograder exam build` from {spec.source.name}; build again rather than edit.\n"
                    + yaml.safe_dump(rubric, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _student_notebook(spec, student: Student, drawn, questions, variants) -> nbformat.NotebookNode:
    who = f"{student.name} ({student.id})" if student.name else student.id
    total = sum(q.points for q in questions)
    cells = [nbformat.v4.new_markdown_cell(
        f"# {spec.title}\n\n**Student:** {who}  \n**Questions:** {len(questions)}, **points:** {total:g}\n\n"
        "This exam is yours alone: the numbers in your questions differ from everyone else's, and your answers "
        "are graded against your own questions. Answer each question in the cell below it, defining exactly the "
        "names it asks for; questions marked *written* are answered in words, in their Markdown cell. Run every "
        f"cell from the top before you hand in this notebook, and hand it in as `{student.id}.ipynb`.",
        id="exam-title"),
        nbformat.v4.new_code_cell(EXAM_PREAMBLE.strip(), id="exam-setup")]
    section = None
    for number, (q, d) in enumerate(zip(questions, drawn), start=1):
        if q.section != section:
            section = q.section
            cells.append(nbformat.v4.new_markdown_cell(f"## {section}", id=f"{q.name}-section"))
        kind = "written" if d.question.manual else d.question.kind.replace("_", " ")
        cells.append(nbformat.v4.new_markdown_cell(
            f"### Question {number} ({q.points:g} points, {kind})\n\n{d.question.prompt(variants[q.name])}",
            id=f"{q.name}-prompt"))
        starter = d.question.starter(variants[q.name])
        make = nbformat.v4.new_markdown_cell if d.question.manual else nbformat.v4.new_code_cell
        cells.append(make(starter.strip(), id=f"{q.name}-answer"))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata.update({"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                              "autograder": {"exam": spec.exam, "student": student.id}})
    return notebook


def _key_notebook(spec, student: Student, drawn, questions, variants) -> nbformat.NotebookNode:
    who = f"{student.name} ({student.id})" if student.name else student.id
    cells = [nbformat.v4.new_markdown_cell(f"# Answer key: {spec.title}\n\n**Student:** {who}")]
    for number, (q, d) in enumerate(zip(questions, drawn), start=1):
        params = variants[q.name]
        cells.append(nbformat.v4.new_markdown_cell(
            f"### Question {number} ({q.points:g} points): {d.question.title}\n\n*Bank:* `{q.bank_id}`, "
            f"*outcome:* {d.question.outcome}\n\n{d.question.prompt(params)}"))
        if d.question.manual:
            criteria = "\n".join(f"* {float(c['points']) * q.points / d.question.points:g} point(s): {c['text']}"
                                 for c in d.question.criteria)
            cells.append(nbformat.v4.new_markdown_cell(
                f"**Model answer.** {d.question.solution(params)}\n**Criteria.**\n\n{criteria}"))
        else:
            cells.append(nbformat.v4.new_markdown_cell("**Reference answer:**"))
            cells.append(nbformat.v4.new_code_cell(d.question.solution(params).strip()))
        cells.append(nbformat.v4.new_markdown_cell(f"<small>variant: `{json.dumps(params, sort_keys=True)}`</small>"))
    return nbformat.v4.new_notebook(cells=cells)


def _joined(notebooks: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    cells = []
    for index, notebook in enumerate(notebooks):
        if index:
            cells.append(nbformat.v4.new_markdown_cell(PAGE_BREAK))
        cells += [nbformat.from_dict({**cell, "id": f"s{index}-{cell.id}"}) for cell in notebook.cells]
    return nbformat.v4.new_notebook(cells=cells)


@cache
def _html_exporter():
    from nbconvert import HTMLExporter  # imported only when building exams

    return HTMLExporter(template_name="classic")  # one exporter: it compiles its templates once


def _write_html(notebook: nbformat.NotebookNode, path: Path) -> None:
    body, _ = _html_exporter().from_notebook_node(notebook)
    path.write_text(body, encoding="utf-8")


def _write_keys_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["student", "question", "bank_id", "points", "params", "answer"])
        writer.writeheader()
        writer.writerows(rows)
