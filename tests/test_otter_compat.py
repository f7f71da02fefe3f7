"""Otter's own master notebooks build and grade here as `otter run` grades them; broken masters get clear errors.

The five notebooks under tests/fixtures/otter/ are Otter-Grader v7.0.0's examples (BSD-3, LICENSE beside them).
Each folder's expected.json holds what `otter assign` + `otter run` gave, made once by make_expected.py.
"""

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml

from autograder.assignment import load_manifest
from autograder.build import build_assignment
from autograder.cli import main
from autograder.course import find_assignment
from autograder.grading import GradingOptions, grade_submission
from autograder.ingest import Submission

OTTER = Path(__file__).parent / "fixtures" / "otter"
FIXTURES = sorted(p.name for p in OTTER.iterdir() if (p / "expected.json").is_file())
NOT_SOURCES = ("expected.json", "variant.json", "build.json")


@pytest.fixture(scope="module")
def otter_course(tmp_path_factory):
    root = tmp_path_factory.mktemp("otter-course")
    for name in FIXTURES:
        shutil.copytree(OTTER / name, root / "solutions" / name, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    return root


def _wrong(solution: bytes, variant: dict) -> bytes:
    notebook = nbformat.reads(solution.decode(), as_version=4)
    cell = next(c for c in notebook.cells if c.cell_type == "code" and variant["old"] in c.source)
    cell.source = cell.source.replace(variant["old"], variant["new"])
    return nbformat.writes(notebook).encode()


@pytest.mark.parametrize("name", FIXTURES)
def test_otters_example_notebooks_grade_as_otter_run_grades_them(otter_course, name):
    expected = json.loads((OTTER / name / "expected.json").read_text())
    warnings = []
    assignment = find_assignment(name, otter_course)
    build_assignment(assignment, expected["otter_args"], warn=warnings.append)
    manifest = load_manifest(assignment)
    solution = (assignment.dist_dir / "solution.ipynb").read_bytes()
    notebooks = {"solution": solution, "student": assignment.student_notebook.read_bytes(),
                 "wrong": _wrong(solution, expected["variant"])}
    for label, data in notebooks.items():
        result = grade_submission(assignment, manifest, Submission(label, f"{name}.ipynb", data),
                                  GradingOptions(cell_timeout_s=60, sandbox="none"))
        otter = expected["notebooks"][label]
        got = {q.name: q.points for q in result.questions}
        # Otter's results.json rounds to 5 decimals (1/3 of a point is 0.33333 there)
        assert got == pytest.approx({q: v["score"] for q, v in otter["questions"].items()}, abs=1e-4), (label, result)
        assert {q.name: q.max_points for q in result.questions} == pytest.approx(
            {q: v["possible"] for q, v in otter["questions"].items()}, abs=1e-4)
        assert result.total == pytest.approx(otter["total"], abs=1e-4), label


PYTHON = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def _master(tmp_path, cells, name="broken", metadata=PYTHON):
    notebook = nbformat.v4.new_notebook(cells=cells, metadata=metadata)
    folder = tmp_path / "solutions" / name
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / f"{name}.ipynb")
    return find_assignment(name, tmp_path)


RAW, MD, CODE = nbformat.v4.new_raw_cell, nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
CONFIG = RAW("# ASSIGNMENT CONFIG\nexport_cell: false\ngenerate: true")


def test_a_master_without_a_kernel_is_refused_before_otter_sees_it(tmp_path, capsys):
    _master(tmp_path, [CONFIG], metadata={})
    assert main(["--root", str(tmp_path), "build", "broken"]) == 2
    err = capsys.readouterr().err
    assert "names no kernel (`kernelspec`)" in err and "Traceback" not in err


@pytest.mark.parametrize("cells, complaint", [
    ([CONFIG, RAW("# BEGIN QUESTION\nname: q1\npoints: [1, 2"), CODE("x = 1"), RAW("# END QUESTION")],
     r"cell 2: the BEGIN QUESTION config is not valid YAML"),
    ([RAW("# ASSIGNMENT CONFIG\ngenerate: true\n  seed: : 3")], r"cell 1: the ASSIGNMENT CONFIG config is not valid"),
    ([CONFIG, RAW("# BEGIN QUESTION\nname: q1"), CODE("x = 1")], r"cell 2: BEGIN QUESTION has no END QUESTION"),
    ([CONFIG, RAW("# BEGIN QUESTION\nname: q1"), RAW("# BEGIN SOLUTION"), CODE("x = 1"), RAW("# END QUESTION")],
     r"cell 5: END QUESTION while BEGIN SOLUTION \(cell 3\) is still open"),
    ([CONFIG, RAW("# END SOLUTION")], r"cell 2: END SOLUTION with no BEGIN"),
    ([CONFIG, RAW("# BEGIN QUESTION\nname: q1"), CODE("x = 1"), RAW("# BEGIN TESTS"),
      CODE("def test_x(x):\n    assert x ==\n"), RAW("# END TESTS"), RAW("# END QUESTION")],
     r"cell 5: a test of q1 is not valid Python \(invalid syntax, line 2 of the cell\)"),
    ([CONFIG, RAW("# BEGIN QUESTION\nname: q1"), RAW("# BEGIN TESTS"), MD("not code"), RAW("# END TESTS"),
      RAW("# END QUESTION")], r"cell 4: a markdown cell inside the tests of q1"),
    ([CONFIG, RAW("# BEGIN QUESTION\npoints: 2"), RAW("# END QUESTION")], r"cell 2: .* has no `name:`"),
    ([CONFIG, MD("```otter\n# BEGIN QUESTION\nname: q1\n")], r"cell 2: a ```otter block is never closed"),
    ([CONFIG, RAW("# BEGIN SOLUTION")], r"cell 2: BEGIN SOLUTION outside a question"),
    ([CONFIG, RAW("# BEGIN QUESTION\nname: q1"), RAW("# END QUESTION"), RAW("# BEGIN QUESTION\nname: q1"),
      RAW("# END QUESTION")], r"cell 4: a second question named q1"),
])
def test_a_broken_master_is_refused_with_the_cell_named(tmp_path, capsys, cells, complaint):
    assignment = _master(tmp_path, cells)
    assert main(["--root", str(tmp_path), "build", "broken"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert re.search(complaint, err), err
    assert "broken.ipynb" in err and not assignment.dist_dir.exists()


def test_fenced_markdown_questions_count_and_untested_ones_warn(tmp_path, capsys):
    """A question in a ```otter Markdown cell is a question (it used to vanish); one without tests is worth 0."""
    _master(tmp_path, [
        MD("```otter\n# ASSIGNMENT CONFIG\nexport_cell: false\ngenerate: true\n```"),
        MD("```otter\n# BEGIN QUESTION\nname: q1\n```\n**Question 1.** Set `x` to 2."),
        RAW("# BEGIN SOLUTION"), CODE("x = 2 # SOLUTION"), RAW("# END SOLUTION"),
        RAW("# BEGIN TESTS"), CODE("x == 2"), RAW("# END TESTS"), MD("```otter\n# END QUESTION\n```"),
        RAW("# BEGIN QUESTION\nname: q2"), MD("Say something."), RAW("# END QUESTION"),
    ])
    assert main(["--root", str(tmp_path), "build", "broken", "--otter-args=--no-run-tests"]) == 0
    output = capsys.readouterr().out
    assert "question q2 (cell 10) is neither manual nor tested" in output
    manifest = load_manifest(find_assignment("broken", tmp_path))
    assert [(q.name, q.points) for q in manifest.questions] == [("q1", 1.0)]
    first = next(c for c in nbformat.read(tmp_path / "assignments" / "broken" / "broken.ipynb", 4).cells
                 if c.get("id") == manifest.questions[0].first_cell_id)
    assert first.source.startswith("**Question 1.**") and "autograder_question" not in first.metadata


ROOT = Path(__file__).resolve().parent.parent
TEMPERATURE = json.loads((ROOT / "examples" / "temperature" / "expected.json").read_text())
NO_OTTER_RESULT = {"infinite_loop.ipynb": "never ends under `otter run`, which has no time limit",
                   "not_json.ipynb": "is not a notebook; `otter run` stops with a traceback"}


@pytest.fixture(scope="module")
def temperature_zip(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "solutions" / "temperature", root / "solutions" / "temperature")
    shutil.copytree(ROOT / "rubrics", root / "rubrics")
    build_assignment(find_assignment("temperature", root))
    return root / "dist" / "temperature" / "autograder.zip"


def test_the_zip_installs_what_the_notebook_and_its_tests_import(temperature_zip):
    with zipfile.ZipFile(temperature_zip) as bundle:
        environment = yaml.safe_load(bundle.read("environment.yml"))
        wheels = [name for name in bundle.namelist() if name.startswith("autograder-") and name.endswith(".whl")]
    pip = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    names = {re.split(r"[=\[]", line)[0] for line in pip}
    assert {"otter-grader", "numpy", "scipy"} <= names  # the master imports numpy and scipy.stats
    assert len(wheels) == 1 and f"/autograder/source/{wheels[0]}" in pip  # its tests import autograder.testing


@pytest.mark.parametrize("notebook", sorted(set(TEMPERATURE) - set(NO_OTTER_RESULT)))
def test_otter_run_of_the_zip_gives_the_grades_autograder_grade_gives(temperature_zip, tmp_path, notebook):
    """examples/temperature/expected.json is what `autograder grade` gives (tests/test_examples.py)."""
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run([sys.executable, "-m", "otter", "run", "--no-logo", "-a", str(temperature_zip), "-o",
                           str(out), str(ROOT / "examples" / "temperature" / "submissions" / notebook)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    scores = {test["name"]: test["score"] for test in json.loads((out / "results.json").read_text())["tests"]
              if "score" in test}
    assert scores == pytest.approx(TEMPERATURE[notebook]["points"])


SEEDED = [
    RAW("# ASSIGNMENT CONFIG\nexport_cell: false\ngenerate:\n  seed: 42\ntests:\n  ok_format: false"),
    CODE("import numpy as np\nburn = np.random.rand(5)"),
    RAW("# BEGIN QUESTION\nname: q1"), MD("**Question 1.** Draw `x`."),
    RAW("# BEGIN SOLUTION"), CODE("x = np.random.rand() # SOLUTION"), RAW("# END SOLUTION"),
    RAW("# BEGIN TESTS"), CODE("def test_x(x):\n    assert abs(x - 0.3745401188473625) < 1e-12"), RAW("# END TESTS"),
    RAW("# END QUESTION"),
    RAW("# BEGIN QUESTION\nname: q2"), MD("**Question 2.** Set `y` (this reuses `x`)."),
    RAW("# BEGIN SOLUTION"), CODE("x = -1\ny = 3 # SOLUTION"), RAW("# END SOLUTION"),
    RAW("# BEGIN TESTS"), CODE("def test_y(y):\n    assert y == 3"), RAW("# END TESTS"), RAW("# END QUESTION"),
]


def _grade(assignment, data: bytes):
    return grade_submission(assignment, load_manifest(assignment), Submission("s", "seeded.ipynb", data),
                            GradingOptions(cell_timeout_s=30, sandbox="none"))


def test_generate_seed_reseeds_before_every_cell_as_otter_run_does(tmp_path):
    """x is NumPy's first draw after seed 42 only if the grader reseeds before x's own cell, as Otter does."""
    assignment = _master(tmp_path, SEEDED, name="seeded")
    build_assignment(assignment, ["--no-run-tests"])
    assert load_manifest(assignment).seed == 42
    result = _grade(assignment, (assignment.dist_dir / "solution.ipynb").read_bytes())
    assert {q.name: q.points for q in result.questions} == {"q1": 1.0, "q2": 1.0}, result
    assert result.questions[0].located == "by its cell id"


def test_without_cell_ids_a_questions_tests_still_run_right_after_it(tmp_path):
    """A notebook saved without ids (nbformat 4.4): q1 is found by its text and checked before q2's cell sets x
    to -1 (checked at the end it would fail); the result says which rule applied."""
    assignment = _master(tmp_path, SEEDED, name="seeded")
    build_assignment(assignment, ["--no-run-tests"])
    notebook = nbformat.read(assignment.dist_dir / "solution.ipynb", as_version=4)
    notebook.nbformat_minor = 4
    for cell in notebook.cells:
        cell.pop("id", None)
    result = _grade(assignment, json.dumps(notebook).encode())
    assert {q.name: q.points for q in result.questions} == {"q1": 1.0, "q2": 1.0}, result
    assert [q.located for q in result.questions] == [
        "by its text (no matching cell id)", "by its text (no matching cell id); checked after the last cell"]


def _environment_from_zip(archive: Path, where: Path) -> Path:
    """A fresh venv with what the zip's environment.yml installs (Gradescope's /autograder/source is ``where``)."""
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(where / "source")
    environment = yaml.safe_load((where / "source" / "environment.yml").read_text())
    pip = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    (where / "requirements.txt").write_text(
        "".join(line.replace("/autograder/source", str(where / "source")) + "\n" for line in pip))
    subprocess.run([sys.executable, "-m", "venv", str(where / "venv")], check=True)
    python = where / "venv" / "bin" / "python"
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(where / "requirements.txt")],
                          capture_output=True, text=True, timeout=3000)
    assert done.returncode == 0, done.stderr[-3000:]
    return python


@pytest.mark.slow
@pytest.mark.parametrize("name", ["temperature", "autoencoder"])
def test_the_zip_alone_makes_an_environment_where_otter_run_grades_like_autograder_grade(tmp_path, name):
    """`make test-slow`: the venv has only what the zip installs; every example notebook Otter can run gets the
    points examples/NAME/expected.json records for `autograder grade`."""
    root = tmp_path / "course"
    shutil.copytree(ROOT / "solutions" / name, root / "solutions" / name)
    shutil.copytree(ROOT / "rubrics", root / "rubrics")
    build_assignment(find_assignment(name, root))
    archive = root / "dist" / name / "autograder.zip"
    python = _environment_from_zip(archive, tmp_path / "gradescope")
    expected = json.loads((ROOT / "examples" / name / "expected.json").read_text())
    differ = {}
    for notebook in sorted(set(expected) - set(NO_OTTER_RESULT)):
        out = tmp_path / "out" / notebook
        out.mkdir(parents=True)
        subprocess.run([str(python), "-m", "otter", "run", "--no-logo", "-a", str(archive), "-o", str(out),
                        str(ROOT / "examples" / name / "submissions" / notebook)], capture_output=True, timeout=900,
                       cwd=tmp_path)
        scores = {test["name"]: test["score"] for test in json.loads((out / "results.json").read_text())["tests"]
                  if "score" in test}
        if scores != pytest.approx(expected[notebook]["points"]):
            differ[notebook] = (scores, expected[notebook]["points"])
    assert not differ


def test_grade_rebuilds_a_stale_build_with_the_tutors_otter_args(tmp_path):
    """demo.ipynb builds only with --no-run-tests (its own doctests fail under numpy 2): `grade` rebuilding it
    after an edit must pass the same options."""
    from autograder.batch import ensure_built

    shutil.copytree(OTTER / "demo", tmp_path / "solutions" / "demo", ignore=shutil.ignore_patterns(*NOT_SOURCES))
    assignment = find_assignment("demo", tmp_path)
    build_assignment(assignment, ["--no-pdfs", "--no-run-tests"])
    (assignment.master_dir / "requirements.txt").write_text("tqdm\nrich\n")  # an edit: the build is stale
    assert load_manifest(assignment) is None
    assert ensure_built(assignment).otter_args == ["--no-pdfs", "--no-run-tests"]
