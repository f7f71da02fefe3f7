"""The question bank: every shipped question validates, the loader's errors, the validator's findings."""

import shutil
from pathlib import Path

import pytest

from autograder.bank import BankError, load_bank
from autograder.bank.check import check_question, check_questions
from autograder.bank.stats import record_statistics, statistics_table
from autograder.cli import main

BANK = Path(__file__).resolve().parent.parent / "bank"
ISSUE_TOPICS = {"autoencoders", "convolutions", "gans", "transformers", "vaes", "text_generation", "training"}


def test_the_shipped_bank_validates_and_covers_the_course():
    questions = load_bank(BANK)
    problems = {check.question: check.problems for check in check_questions(questions, range(5)) if check.problems}
    assert problems == {}
    assert len(questions) >= 24
    assert ISSUE_TOPICS <= {q.topic for q in questions}
    assert {q.kind for q in questions} == {"code", "numeric", "multiple_choice", "free_response"}
    assert {q.difficulty for q in questions} == {"easy", "medium", "hard"}


def copy_question(tmp_path, bank_id="autoencoders/dense_weight_count") -> Path:
    target = tmp_path / "bank" / bank_id
    shutil.copytree(BANK / bank_id, target, ignore=shutil.ignore_patterns("__pycache__", "history.jsonl"))
    return target


def test_a_wrong_reference_answer_is_reported_with_its_seed(tmp_path):
    folder = copy_question(tmp_path)
    module = folder / "question.py"
    module.write_text(module.read_text().replace("* params['units'] + params['units']}", "* params['units']}"))
    [question] = load_bank(tmp_path / "bank")
    check = check_question(question, range(3))
    assert len(check.problems) == 3 and all(f"seed {seed}: the reference answer fails test_weight_count" in problem
                                            for seed, problem in enumerate(check.problems))
    assert main(["bank", "check", "--bank", str(tmp_path / "bank"), "--seeds", "2"]) == 1


def test_tests_that_accept_a_known_mistake_are_reported(tmp_path):
    tests = copy_question(tmp_path) / "tests.py"
    tests.write_text(tests.read_text().replace("inputs * params[\"units\"] + params[\"units\"]",
                                               "dense_weight_count"))
    [question] = load_bank(tmp_path / "bank")
    assert "seed 0: the wrong answer 'no biases' gets full marks" in check_question(question, range(2)).problems


def test_a_question_without_variation_is_reported(tmp_path):
    folder = copy_question(tmp_path)
    (folder / "question.py").write_text(
        "def generate(seed):\n    return {'height': 28, 'width': 28, 'channels': 1, 'units': 10}\n\n"
        "def solution(params):\n    return 'dense_weight_count = 7850'\n")
    [question] = load_bank(tmp_path / "bank")
    assert check_question(question, range(4)).problems == [
        "every seed of 4 gave the same variant: generate(seed) should vary"]


@pytest.mark.parametrize(("change", "message"), [
    (("kind: numeric", "kind: essay"), "kind 'essay' is not one of code, numeric, multiple_choice, free_response"),
    (("id: dense_weight_count", "id: other"), "must be the folder's names (autoencoders/dense_weight_count)"),
    (("answer: [dense_weight_count]", "answer: [Dense-Count]"), "`answer` should list the Python names"),
    (("points: 2", "points: -1"), "points should be a positive number"),
])
def test_malformed_metadata_names_the_file_and_the_fix(tmp_path, change, message):
    meta = copy_question(tmp_path) / "question.yml"
    meta.write_text(meta.read_text().replace(*change))
    with pytest.raises(BankError, match="question.yml") as error:
        load_bank(tmp_path / "bank")
    assert message in str(error.value)


def test_answer_names_are_unique_across_the_bank(tmp_path):
    copy_question(tmp_path)
    second = copy_question(tmp_path, "gans/diagnose_training") / "question.yml"
    second.write_text(second.read_text().replace("answer: [gan_diagnosis]", "answer: [dense_weight_count]"))
    with pytest.raises(BankError, match="'dense_weight_count' is also used by autoencoders/dense_weight_count"):
        load_bank(tmp_path / "bank")


def test_history_lines_are_replaced_per_exam_and_shown_across_terms(tmp_path):
    copy_question(tmp_path)
    bank = tmp_path / "bank"
    row = {"bank_id": "autoencoders/dense_weight_count", "students": 30, "points": 2.0, "difficulty": 0.5,
           "discrimination": 0.3}
    record_statistics(bank, "final-2026", "2026-07-01", [row])
    record_statistics(bank, "midterm-2026", "2026-05-01", [row])
    record_statistics(bank, "final-2026", "2026-07-01", [{**row, "difficulty": 0.75}])  # report run again
    table = statistics_table(bank)
    assert table[["exam", "difficulty"]].values.tolist() == [["midterm-2026", 0.5], ["final-2026", 0.75]]


def test_test_points_must_match_the_question(tmp_path):
    meta = copy_question(tmp_path) / "question.yml"
    meta.write_text(meta.read_text().replace("points: 2", "points: 3"))
    [question] = load_bank(tmp_path / "bank")
    assert "the test cases give 2 points, question.yml says 3" in check_question(question, range(2)).problems[0]


def test_answer_checks_accept_lists_arrays_and_reject_the_wrong_length():
    import numpy as np

    from autograder.checks.answers import check_numbers, whole_numbers
    check_numbers(np.array([0.5, 0.25]), [0.5, 0.25], "probs")
    with pytest.raises(AssertionError, match="probs should hold 2 numbers, but it holds 3"):
        check_numbers([0.5, 0.25, 0.25], [0.5, 0.25], "probs")
    assert whole_numbers((4.0, 4, 16), 3, "shape", "height, width, channels") == [4, 4, 16]
    with pytest.raises(AssertionError, match=r"shape should be a tuple of 3 integers \(height, width, channels\)"):
        whole_numbers((4.5, 4, 16), 3, "shape", "height, width, channels")
