"""Students who try to end the grader through the checker: a value that makes a hidden test raise SystemExit or
another BaseException, and a module global that names a module whose import exits. Real notebooks, one batch:
the others keep their points, the batch completes, and every student is in gradebook.csv."""

import csv
import shutil
import sys

import pytest

from autograder.batch import grade_batch
from autograder.course import find_assignment
from autograder.grading import GradingOptions
from tests.conftest import MINI_GOOD, as_submission, mini_notebook
from tests.test_bridge import PROBE, ExitingModules

# q1's hidden test as a tutor might write it: a command-line style helper (argparse exits with SystemExit(2) on a
# value that is no number) and a BaseException of its own to stop at once.
HOSTILE_Q1 = '''from otter.test_files import test_case
import argparse

OK_FORMAT = False

name = "q1"
points = 2


class StopChecking(BaseException):
    """Stops a test at once; not an Exception."""


def check_number(value):
    parser = argparse.ArgumentParser(prog="check")
    parser.add_argument("value", type=float)
    return parser.parse_args([str(value)]).value


@test_case(points=None, hidden=False)
def test_double_number(double, np):
    assert np.isclose(double(3), 6), f'double(3) should be 6, got {double(3)}'


@test_case(points=1, hidden=True)
def test_double_array(double, np):
    if check_number(double(7)) == -1:
        raise StopChecking("double(7) is -1")
    x = np.random.default_rng(7).normal(size=5)
    assert np.allclose(double(x), 2 * x), 'double(x) should double every entry'
'''

STUDENTS = {
    "victim": MINI_GOOD,
    # double(7) is text: argparse raises SystemExit(2) inside the hidden test
    "exits": dict(MINI_GOOD, **{"def double": "def double(x):\n    return 'seven'"}),
    # double(7) is -1: the test's own BaseException
    "stops": dict(MINI_GOOD, **{"def double": "def double(x):\n"
                                              "    return -1 if np.ndim(x) == 0 and x == 7 else 2 * np.asarray(x)"}),
    # a module global named like a submodule of numpy whose import calls sys.exit() (ExitingModules)
    "module": dict(MINI_GOOD, **{"def double": f"import types\ndouble = types.ModuleType({PROBE!r})"}),
}


@pytest.fixture(scope="module")
def graded(mini_course, tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile") / "course"
    shutil.copytree(mini_course, root)
    (root / "dist" / "mini" / "tests" / "q1.py").write_text(HOSTILE_Q1)
    submissions = [as_submission(mini_notebook(mini_course, answers), student) for student, answers in STUDENTS.items()]
    out = root / "graded"
    watch = ExitingModules()
    sys.meta_path.insert(0, watch)
    try:
        results = grade_batch(find_assignment("mini", root), submissions, out, GradingOptions())
    finally:
        sys.meta_path.remove(watch)
    return {result.student: result for result in results}, out, watch


def outcomes_of(result, question="q1"):
    return {t.name: t for t in next(q for q in result.questions if q.name == question).tests}


def test_the_batch_completes_and_every_student_is_in_the_gradebook(graded):
    results, out, _ = graded
    assert list(results) == list(STUDENTS)
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert sorted(rows) == sorted(STUDENTS)
    assert {student: row["total"] for student, row in rows.items()} == {
        "victim": "4", "exits": "2", "stops": "3", "module": "2"}
    assert all(result.status == "ok" for result in results.values()), [r.message for r in results.values()]


def test_the_victim_keeps_full_marks(graded):
    victim = graded[0]["victim"]
    assert victim.total == victim.max_total == 4
    assert all(t.passed for q in victim.questions for t in q.tests)


def test_a_systemexit_in_a_hidden_test_fails_that_test_and_says_so(graded):
    test = outcomes_of(graded[0]["exits"])["test_double_array"]
    assert (test.passed, test.points) == (False, 0.0)
    assert test.message.startswith("the test stopped with SystemExit: 2 instead of passing or failing")


def test_a_tests_own_baseexception_fails_that_test_and_says_so(graded):
    tests = outcomes_of(graded[0]["stops"])
    assert tests["test_double_number"].passed and tests["test_double_number"].points == 1.0
    assert (tests["test_double_array"].passed, tests["test_double_array"].points) == (False, 0.0)
    assert "StopChecking: double(7) is -1" in tests["test_double_array"].message


def test_a_module_global_is_never_imported_by_the_checker(graded):
    results, _, watch = graded
    assert watch.imported == [] and not any(name.startswith(PROBE) for name in sys.modules)
    tests = outcomes_of(results["module"])
    assert all(not t.passed and "your code raised TypeError" in t.message for t in tests.values()), tests
