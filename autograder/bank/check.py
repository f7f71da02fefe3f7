"""``autograder bank check``: every question's reference answer passes its tests, for several variants.

Answers run in this process (they are the tutor's reference code, not a student's), in a namespace that has
numpy as ``np`` like the exam notebook's first cell; the tests are called as the checker calls them, with the
variant's parameters as ``params``, by the checker's own ``run_question`` (so they score as in grading:
points per case, ``all_or_nothing``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from autograder.bank import BankError, BankQuestion
from autograder.checker import LocalNames, run_question
from autograder.testfile import TestFile, TestFileError, read_test_file

EXAM_PREAMBLE = "import numpy as np\n"  # the exam notebook's first code cell


@dataclass
class QuestionCheck:
    question: str
    variants: int = 0
    problems: list[str] = field(default_factory=list)


def check_questions(questions: list[BankQuestion], seeds: range = range(5)) -> list[QuestionCheck]:
    return [check_question(question, seeds) for question in questions]


def check_question(question: BankQuestion, seeds: range = range(5)) -> QuestionCheck:
    report = QuestionCheck(question.id)
    try:
        tests = None if question.manual else read_test_file(question.tests_path)
    except TestFileError as error:
        report.problems.append(str(error))
        return report
    if tests is not None and abs(tests.max_points - question.points) > 1e-9:
        report.problems.append(f"{question.tests_path}: the test cases give {tests.max_points:g} points, "
                               f"question.yml says {question.points:g}")
    seen = set()
    for seed in seeds:
        try:
            params = question.generate(seed)
            if question.generate(seed) != params:
                report.problems.append(f"seed {seed}: generate() gave two different variants for the same seed")
            seen.add(json.dumps(params, sort_keys=True))
            question.prompt(params)
            question.starter(params)
            answer = question.solution(params)
        except BankError as error:
            report.problems.append(f"seed {seed}: {error}")
            continue
        except Exception as error:  # noqa: BLE001 - the tutor's generate/solution crashing is the finding
            report.problems.append(f"seed {seed}: {type(error).__name__}: {error}")
            continue
        report.variants += 1
        if tests is None:
            continue
        outcome = score_answer(tests, answer, params)
        if outcome.failures:
            report.problems.append(f"seed {seed}: the reference answer fails {'; '.join(outcome.failures)}")
        for label, wrong in question.mistakes(params).items():
            if score_answer(tests, wrong, params).points >= tests.max_points - 1e-9:
                report.problems.append(f"seed {seed}: the wrong answer {label!r} gets full marks")
    if len(seen) < 2 and len(seeds) > 1:
        report.problems.append(f"every seed of {len(seeds)} gave the same variant: generate(seed) should vary")
    return report


@dataclass
class AnswerScore:
    points: float
    failures: list[str]


def score_answer(tests: TestFile, answer_source: str, params: dict) -> AnswerScore:
    """Run an answer cell (trusted code only) and score it with the question's tests, as the checker would."""
    namespace: dict = {}
    try:
        exec(compile(EXAM_PREAMBLE + answer_source, "<answer>", "exec"), namespace)  # noqa: S102 - tutor's code
    except Exception as error:  # noqa: BLE001
        return AnswerScore(0.0, [f"the answer cell raised {type(error).__name__}: {error}"])
    result = run_question(tests, LocalNames(namespace), {"params": params})
    return AnswerScore(result.points, [f"{t.name} ({t.message})" for t in result.tests if not t.passed])
