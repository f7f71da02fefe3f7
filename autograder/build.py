"""``autograder build NAME``: Otter assign underneath, then our own manifest and hidden tests in dist/."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import yaml

from autograder.assignment import Assignment, AssignmentError, Manifest
from autograder.notebook import QuestionInfo, cell_text_hash
from autograder.rubric import check_rubric, find_rubric
from autograder.testfile import parse_test_file


def build_assignment(assignment: Assignment) -> Manifest:
    """Write assignments/NAME (student notebook and public files) and dist/NAME (autograder zip, tests)."""
    with tempfile.TemporaryDirectory(prefix="autograder-build-") as tmp:
        out = Path(tmp) / "out"
        command = [sys.executable, "-m", "otter", "assign", str(assignment.master), str(out)]
        done = subprocess.run(command, capture_output=True, text=True, cwd=assignment.master_dir)
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()[-8:]
            raise AssignmentError(f"otter assign failed for {assignment.master}:\n  " + "\n  ".join(detail))
        master = nbformat.read(assignment.master, as_version=4)
        student = nbformat.read(out / "student" / f"{assignment.name}.ipynb", as_version=4)
        _stable_cell_ids(student, master, assignment.name)
        graded = nbformat.read(out / "autograder" / f"{assignment.name}.ipynb", as_version=4)
        tests = dict(graded.metadata.get("otter", {}).get("tests", {}))
        questions = _questions(master, student, tests, assignment)

        if assignment.public_dir.exists():
            shutil.rmtree(assignment.public_dir)
        shutil.copytree(out / "student", assignment.public_dir)
        nbformat.write(student, assignment.student_notebook)
        support = sorted(p.relative_to(assignment.public_dir).as_posix() for p in assignment.public_dir.rglob("*")
                         if p.is_file() and p != assignment.student_notebook)

        if assignment.dist_dir.exists():
            shutil.rmtree(assignment.dist_dir)
        assignment.tests_dir.mkdir(parents=True)
        zips = sorted((out / "autograder").glob("*.zip"))
        if len(zips) != 1:
            raise AssignmentError("otter assign made no autograder zip; set `generate: true` in the assignment config")
        shutil.copy(zips[0], assignment.dist_dir / "autograder.zip")
        for name, source in tests.items():
            (assignment.tests_dir / f"{name}.py").write_text(source)
    manifest = Manifest(assignment.name, assignment.source_version(), questions, support, _libraries(master))
    rubric = find_rubric(assignment.root, assignment.name)
    if rubric is not None:
        check_rubric(rubric, manifest)  # points in rubrics/NAME.yml must match the tests' points
    assignment.manifest_path.write_text(json.dumps(manifest.to_json(), indent=2) + "\n")
    return manifest


PRELOADABLE = ("numpy", "pandas", "keras", "tensorflow", "torch", "jax")


def _libraries(master: nbformat.NotebookNode) -> list[str]:
    """The heavy libraries the assignment imports; kernels import them before the first cell."""
    found = ["numpy"]
    for cell in master.cells:
        if cell.cell_type != "code":
            continue
        for name in PRELOADABLE:
            if re.search(rf"^\s*(import|from)\s+{name}\b", cell.source, flags=re.MULTILINE) and name not in found:
                found.append(name)
    return found


def _stable_cell_ids(student: nbformat.NotebookNode, master: nbformat.NotebookNode, name: str) -> None:
    """Otter gives the cells it creates random ids; derive them from content so builds are reproducible."""
    master_ids = {cell.get("id") for cell in master.cells}
    for index, cell in enumerate(student.cells):
        if cell.get("id") not in master_ids:
            seed = f"{name}:{index}:{cell.cell_type}:{cell.source}".encode()
            cell["id"] = hashlib.sha256(seed).hexdigest()[:8]


def _questions(master, student, tests: dict[str, str], assignment: Assignment) -> list[QuestionInfo]:
    """Each question's config, points, and its first cell in the student notebook (for the grading plan)."""
    student_cells = {cell.get("id"): cell for cell in student.cells}
    questions: list[QuestionInfo] = []
    pending: dict | None = None
    for cell in master.cells:
        if cell.cell_type == "raw" and cell.source.lstrip().upper().startswith("# BEGIN QUESTION"):
            pending = yaml.safe_load(cell.source.split("\n", 1)[1] if "\n" in cell.source else "") or {}
            if not isinstance(pending, dict) or "name" not in pending:
                raise AssignmentError(f"{assignment.master}: a BEGIN QUESTION cell has no name")
            continue
        if pending is None or cell.cell_type == "raw":
            continue
        first = student_cells.get(cell.get("id"))
        if first is None:
            raise AssignmentError(f"{assignment.master}: the first cell of question {pending['name']} has no id "
                                  "that survives `otter assign`; save the notebook with Jupyter 3 or newer")
        questions.append(_question(pending, tests, first, assignment))
        pending = None
    return questions


def _question(config: dict, tests: dict[str, str], first_cell, assignment: Assignment) -> QuestionInfo:
    name, manual = str(config["name"]), bool(config.get("manual", False))
    if manual:
        points = float(config.get("points", 0) or 0)
    elif name in tests:
        points = parse_test_file(tests[name], f"{name}.py").max_points
    else:
        raise AssignmentError(f"{assignment.master}: question {name} has no tests and is not manual")
    return QuestionInfo(name, points, manual, first_cell.get("id"), cell_text_hash(first_cell.source))
