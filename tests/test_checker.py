"""The checker: test cases against a live kernel, their messages, points, and recorded artifacts."""

import json
import sys
import time

import numpy as np
import pytest

from autograder import testfile
from autograder.bridge import Proxy
from autograder.checker import LocalNames, load_tests, run_question, trusted_modules
from autograder.gradebook import Gradebook, student_file_name
from autograder.results import SubmissionResult
from autograder.testfile import parse_test_file

TESTS = '''
from otter.test_files import test_case
name = "q1"
points = 4

@test_case(points=1)
def test_records_the_curve(history):
    from autograder.testing import record_artifact
    record_artifact("history.loss", history["loss"])
    assert history["loss"][-1] < history["loss"][0], "the loss should fall"

@test_case(points=1)
def test_needs_a_missing_name(nowhere):
    pass

@test_case(points=1)
def test_falls_back_when_an_optional_name_is_missing(history, nowhere=None):
    assert nowhere is None

@test_case(points=1, failure_message="read the lecture notes on softmax")
def test_with_a_tutor_message(history):
    assert False
'''


def test_outcomes_messages_and_artifacts(kernel_bridge, tmp_path):
    bridge, run = kernel_bridge
    run("history = {'loss': [1.0, 0.5, 0.25]}")
    result = run_question(parse_test_file(TESTS), bridge)
    assert [(t.name, t.passed, t.points) for t in result.tests] == [
        ("test_records_the_curve", True, 1.0), ("test_needs_a_missing_name", False, 0.0),
        ("test_falls_back_when_an_optional_name_is_missing", True, 1.0), ("test_with_a_tutor_message", False, 0.0)]
    assert "`nowhere` is not defined" in result.tests[1].message and result.note == "nowhere"
    assert result.tests[3].message == "read the lecture notes on softmax"

    submission = SubmissionResult("Zoë", "z.ipynb", "mini", "v", "g", "h", questions=[result])
    with Gradebook(tmp_path, "mini") as book:
        book.record(submission)
    folder = student_file_name("Zoë")
    saved = np.load(tmp_path / "artifacts" / folder / "q1.history.loss.npy", allow_pickle=False)
    assert saved.tolist() == [1.0, 0.5, 0.25]
    assert "artifacts" not in (tmp_path / "results" / f"{folder}.json").read_text().replace('"artifacts": {}', "")


def test_trusted_arguments_win_over_the_notebooks_names(kernel_bridge):
    bridge, run = kernel_bridge
    run("params = {'units': 999}\nanswer = 2 * 999")  # a student who tries to pick an easier variant
    tests = parse_test_file('name = "q1"\n'
                            "@test_case(points=1)\n"
                            "def test_answer(answer, params):\n"
                            "    assert answer == 2 * params['units'], f'expected {2 * params[\"units\"]}'\n")
    assert run_question(tests, bridge).points == 1.0  # without trusted values, the notebook's `params` is read
    graded = run_question(tests, bridge, trusted={"params": {"units": 3}})
    assert graded.points == 0.0 and graded.tests[0].message == "expected 6"


class StopChecking(BaseException):
    """What a tutor's helper might raise to stop a test at once: not an Exception, so `except Exception` misses it."""


def _case(function) -> testfile.TestCase:
    return testfile.TestCase(function.__name__, function, 1.0, True)


def test_a_test_ending_in_systemexit_or_any_baseexception_fails_alone(kernel_bridge):
    bridge, run = kernel_bridge
    run("def double(x):\n    return 2 * x")

    def test_exits(double):
        sys.exit(f"double(2) is {double(2)}")

    def test_stops(double):
        raise StopChecking

    def test_generator_exit():
        raise GeneratorExit("closed")

    def test_passes(double):
        assert double(2) == 4

    result = run_question(testfile.TestFile("q1", [_case(f) for f in (test_exits, test_stops, test_generator_exit,
                                                              test_passes)]), bridge)
    assert [(t.name, t.passed, t.points) for t in result.tests] == [
        ("test_exits", False, 0.0), ("test_stops", False, 0.0), ("test_generator_exit", False, 0.0),
        ("test_passes", True, 1.0)]
    assert result.tests[0].message.startswith("the test stopped with SystemExit: double(2) is 4 instead of passing")
    assert result.tests[1].message.startswith("the test stopped with StopChecking instead of passing or failing")
    assert "GeneratorExit: closed" in result.tests[2].message and "no points" in result.tests[2].message


def test_the_tutors_ctrl_c_still_stops_grading(kernel_bridge):
    bridge, _ = kernel_bridge

    def test_interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_question(testfile.TestFile("q1", [_case(test_interrupted)]), bridge)


def test_module_globals_are_our_own_modules_only_by_exact_name(kernel_bridge, tmp_path):
    bridge, run = kernel_bridge
    (tmp_path / "q1.py").write_text('import json\nname = "q1"\n')  # the hidden tests' own imports
    load_tests(tmp_path, ["q1"])
    assert trusted_modules()["numpy"] is np and trusted_modules()["json"] is json
    assert "numpy.linalg" not in trusted_modules() and "os" not in trusted_modules()
    run("import json as js, json.decoder as jd, os, types\nimport numpy as numpy_alias\n"
        "fake = types.ModuleType('numpy.never_imported')")
    seen = {}

    def test_modules(js, jd, os, fake, numpy_alias, np):
        seen.update(js=js, jd=jd, os=os, fake=fake, numpy_alias=numpy_alias, np=np)

    assert run_question(testfile.TestFile("q1", [_case(test_modules)]), bridge).points == 1.0
    assert seen["js"] is json and seen["numpy_alias"] is np and seen["np"] is np
    for name in ("jd", "os", "fake"):  # not an exact name of the table: the student's module, by handle
        assert isinstance(seen[name], Proxy), name
    assert "numpy.never_imported" not in sys.modules


def test_the_tests_imports_are_done_while_the_notebook_runs_not_in_the_first_check(tmp_path, monkeypatch):
    """A module the tests import in every run (here one taking 1.5 s to import, as scipy.stats takes 0.7 s) is
    imported in the background once the tests are loaded; a module under an ``if`` or ``try`` is not (it may be
    optional), and one that cannot be imported is still reported by the test that imports it."""
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "slow_to_import.py").write_text("import time\ntime.sleep(1.5)\nVALUE = 3\n")
    (modules / "optional_module.py").write_text("raise RuntimeError('imported although optional')\n")
    monkeypatch.syspath_prepend(str(modules))
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "q1.py").write_text('''
from otter.test_files import test_case
name = "q1"

@test_case(points=1)
def test_uses_a_slow_module(answer):
    from slow_to_import import VALUE
    if answer < 0:
        import optional_module
    assert answer == VALUE

@test_case(points=1)
def test_imports_what_is_not_there(answer):
    import no_such_module_anywhere
''')
    loaded = load_tests(tests, ["q1"])
    assert loaded["q1"].imports == ("slow_to_import", "no_such_module_anywhere")
    time.sleep(2.0)  # the kernel starts and runs the notebook meanwhile
    started = time.monotonic()
    result = run_question(loaded["q1"], LocalNames({"answer": 3}))
    assert time.monotonic() - started < 0.5
    assert [t.passed for t in result.tests] == [True, False]
    assert "no_such_module_anywhere" in result.tests[1].message
    assert "optional_module" not in sys.modules
