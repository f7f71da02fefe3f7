"""`autograder build`: the student notebook, the Otter autograder zip, our hidden tests, and staleness."""

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from autograder.assignment import AssignmentError, load_manifest
from autograder.build import build_assignment
from autograder.course import find_assignment

ROOT = Path(__file__).resolve().parent.parent


def test_the_student_notebook_has_public_tests_only_and_no_solutions(mini_course):
    text = (mini_course / "assignments" / "mini" / "mini.ipynb").read_text()
    assert "test_double_number" in text  # public test, for grader.check("q1")
    assert "test_double_array" not in text and "test_safe_log_rejects_zero" not in text
    assert "2 * np.asarray(x)" not in text and "_Because 2(a + b)" not in text
    assert (mini_course / "assignments" / "mini" / "data.txt").is_file()


def test_dist_holds_every_test_and_an_otter_autograder_zip(mini_course):
    dist = mini_course / "dist" / "mini"
    assert "test_double_array" in (dist / "tests" / "q1.py").read_text()
    with zipfile.ZipFile(dist / "autograder.zip") as archive:
        names = set(archive.namelist())
    assert {"run_autograder", "otter_config.json", "tests/q1.py", "tests/q2.py"} <= names
    manifest = json.loads((dist / "assignment.json").read_text())
    assert [(q["name"], q["points"], q["manual"]) for q in manifest["questions"]] == [
        ("q1", 2.0, False), ("q2", 2.0, False), ("q3", 1.0, True)]


def test_builds_are_reproducible(mini_course, tmp_path):
    shutil.copytree(mini_course / "solutions", tmp_path / "solutions")
    build_assignment(find_assignment("mini", tmp_path))
    first = (tmp_path / "assignments" / "mini" / "mini.ipynb").read_text()
    build_assignment(find_assignment("mini", tmp_path))
    assert (tmp_path / "assignments" / "mini" / "mini.ipynb").read_text() == first


def test_editing_the_solutions_makes_the_build_stale(mini_course, tmp_path):
    shutil.copytree(mini_course / "solutions", tmp_path / "solutions")
    assignment = find_assignment("mini", tmp_path)
    build_assignment(assignment)
    assert load_manifest(assignment) is not None
    (tmp_path / "solutions" / "mini" / "data.txt").write_text("changed\n")
    assert load_manifest(assignment) is None


def test_an_unknown_assignment_names_the_known_ones(mini_course):
    with pytest.raises(AssignmentError, match="unknown assignment 'nope'.*known assignments: mini"):
        find_assignment("nope", mini_course)



@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir()))
def test_committed_student_notebooks_are_up_to_date_with_solutions(name, tmp_path):
    """assignments/ is what students get: it must be exactly what building solutions/ gives today."""
    shutil.copytree(ROOT / "solutions" / name, tmp_path / "solutions" / name)
    build_assignment(find_assignment(name, tmp_path))
    built, committed = tmp_path / "assignments" / name, ROOT / "assignments" / name
    assert sorted(p.name for p in built.rglob("*")) == sorted(p.name for p in committed.rglob("*")), \
        f"assignments/{name} is out of date: run `autograder build {name}` and commit the result"
    for path in built.rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (committed / path.relative_to(built)).read_bytes(), \
                f"assignments/{name}/{path.relative_to(built)} is out of date: run `autograder build {name}`"
