"""``autograder build NAME``: Otter assign underneath, then our own manifest and hidden tests in dist/."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

import nbformat

from autograder.assignment import Assignment, AssignmentError, Manifest
from autograder.gradescope import complete_zip
from autograder.master import MasterQuestion, read_master, take_question_marks
from autograder.notebook import QuestionInfo, cell_text_hash
from autograder.rubric import check_rubric, find_rubric
from autograder.testfile import TestFileError, parse_test_file


def build_assignment(assignment: Assignment, otter_args: Sequence[str] = (),
                     warn: Callable[[str], None] | None = None) -> Manifest:
    """Write assignments/NAME (student notebook and public files) and dist/NAME (autograder zip, tests).

    The master is checked first (``master.read_master``: every problem names its cell). ``otter_args`` go to
    ``otter assign`` as they are; ``warn`` is told what the build accepts but a tutor should know (an untested
    question, a question whose first cell Otter does not keep)."""
    warn = warn or (lambda message: None)
    master = read_master(assignment.master)
    for key, why in UNSUPPORTED_CONFIG.items():
        if master.config.get(key):
            warn(f"the ASSIGNMENT CONFIG's `{key}:` is ignored here: {why}")
    with tempfile.TemporaryDirectory(prefix="autograder-build-") as tmp:
        source, out = Path(tmp) / "source", Path(tmp) / "out"
        shutil.copytree(assignment.master_dir, source, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        marked = source / assignment.master.name
        nbformat.write(master.marked, marked)
        command = [sys.executable, "-m", "otter", "assign", *otter_args, str(marked), str(out)]
        done = subprocess.run(command, capture_output=True, text=True, cwd=source)
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()[-8:]
            raise AssignmentError(f"otter assign failed for {assignment.master}:\n  " + "\n  ".join(detail))
        student = nbformat.read(out / "student" / f"{assignment.name}.ipynb", as_version=4)
        starts = take_question_marks(student)
        _stable_cell_ids(student, master.notebook, assignment.name)
        zips = sorted((out / "autograder").glob("*.zip"))
        if len(zips) != 1:
            raise AssignmentError("otter assign made no autograder zip; set `generate: true` in the assignment config")
        tests, points, otter_config = _zip_tests(zips[0])
        code = [cell.source for cell in master.notebook.cells if cell.cell_type == "code"] + list(tests.values())
        complete_zip(zips[0], code, warn, pin_python="python_version" not in master.config)
        questions = []
        for question in master.questions:
            first = starts.get(question.name)
            if first is None:
                warn(f"question {question.name}: Otter's student notebook has none of its cells; its tests run "
                     "after the notebook's last cell")
            if question.manual or question.name in tests:
                questions.append(_question(question, points, first))
            else:
                warn(f"question {question.name} (cell {question.cell}) is neither manual nor tested: it is worth "
                     "0 points, as in Otter; add tests or `manual: true` to grade it")

        if assignment.public_dir.exists():
            shutil.rmtree(assignment.public_dir)
        shutil.copytree(out / "student", assignment.public_dir)
        nbformat.write(student, assignment.student_notebook)
        support = sorted(p.relative_to(assignment.public_dir).as_posix() for p in assignment.public_dir.rglob("*")
                         if p.is_file() and p != assignment.student_notebook)

        if assignment.dist_dir.exists():
            shutil.rmtree(assignment.dist_dir)
        assignment.tests_dir.mkdir(parents=True)
        shutil.copy(zips[0], assignment.dist_dir / "autograder.zip")
        solution = nbformat.read(out / "autograder" / f"{assignment.name}.ipynb", as_version=4)
        take_question_marks(solution)
        nbformat.write(solution, assignment.dist_dir / "solution.ipynb")  # grade it: every point, or a test is wrong
        for name, text in tests.items():
            (assignment.tests_dir / f"{name}.py").write_text(text)
    seed = otter_config.get("seed")
    manifest = Manifest(assignment.name, assignment.source_version(), questions, support,
                        _libraries(master.notebook), seed=seed if isinstance(seed, int) else None,
                        seed_variable=otter_config.get("seed_variable") or None, otter_args=list(otter_args))
    rubric = find_rubric(assignment.root, assignment.name)
    if rubric is not None:
        check_rubric(rubric, manifest)  # points in rubrics/NAME.yml must match the tests' points
    assignment.manifest_path.write_text(json.dumps(manifest.to_json(), indent=2) + "\n")
    return manifest


def _zip_tests(archive: Path) -> tuple[dict[str, str], dict[str, float], dict]:
    """The tests Otter's autograder runs (its zip's tests/, whether they came from files or the notebook's
    metadata, exception-based or OK-format), each question's points by them, and its otter_config.json."""
    with zipfile.ZipFile(archive) as bundle:
        tests = {PurePosixPath(name).stem: bundle.read(name).decode("utf-8") for name in bundle.namelist()
                 if PurePosixPath(name).parent == PurePosixPath("tests") and name.endswith(".py")}
        config = json.loads(bundle.read("otter_config.json")) if "otter_config.json" in bundle.namelist() else {}
    points = {}
    for name, text in tests.items():
        try:
            points[name] = parse_test_file(text, f"tests/{name}.py").max_points
        except TestFileError as error:
            raise AssignmentError(f"Otter wrote a test file this grader cannot read: {error}") from None
    return tests, points, config if isinstance(config, dict) else {}


# Otter config keys whose effect happens in Otter's own grading run, which this grader replaces.
UNSUPPORTED_CONFIG = {
    "student_files": "submissions are notebooks alone, so a test that imports a student's own file fails; ask "
                     "students to put that code in the notebook (Otter's zip still collects them on Gradescope)",
    "plugins": "Otter plugins run inside Otter's grading, not in this grader's checker",
}


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
    """Keep the master's cell ids; derive the others from content, so builds are reproducible (Otter gives the
    cells it creates random ids, and a 4.4 master has none: its student notebook becomes 4.5, with ids)."""
    student.nbformat, student.nbformat_minor = 4, max(5, student.get("nbformat_minor", 5))
    master_ids = {cell.get("id") for cell in master.cells} - {None}
    for index, cell in enumerate(student.cells):
        if cell.get("id") not in master_ids:
            seed = f"{name}:{index}:{cell.cell_type}:{cell.source}".encode()
            cell["id"] = hashlib.sha256(seed).hexdigest()[:8]


def _question(question: MasterQuestion, points: dict[str, float], first_cell) -> QuestionInfo:
    worth = question.points if question.manual else points[question.name]
    return QuestionInfo(question.name, worth, question.manual, first_cell.get("id") if first_cell else None,
                        cell_text_hash(first_cell.source) if first_cell else None)
