"""The checker: test cases against a live kernel, their messages, points, and recorded artifacts."""

import numpy as np

from autograder.checker import run_question
from autograder.gradebook import Gradebook
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
    saved = np.load(tmp_path / "artifacts" / "Zoë" / "q1.history.loss.npy", allow_pickle=False)
    assert saved.tolist() == [1.0, 0.5, 0.25]
    assert "artifacts" not in (tmp_path / "results" / "Zoë.json").read_text().replace('"artifacts": {}', "")


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
