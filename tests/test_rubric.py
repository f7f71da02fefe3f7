"""Rubrics: the shipped ones match their notebooks; a wrong rubric says where and what to do; late days and
grade bands follow the documented rules."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest

from autograder.assignment import load_manifest
from autograder.build import build_assignment
from autograder.course import find_assignment
from autograder.notebook import QuestionInfo
from autograder.rubric import LatePolicy, RubricError, check_rubric, find_rubric, load_rubric

ROOT = Path(__file__).resolve().parent.parent
VALID = """\
assignment: demo
due: 2026-03-01T12:00:00+01:00
late: {per_day: 0.1, grace_minutes: 15, cap: 0.5}
questions:
  q1: 2
  q2:
    points: 3
    manual: true
    criteria:
      - {points: 1, text: a}
      - {points: 2, text: b}
grades: {A: 85, B: 70, F: 0}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "demo.yml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["temperature", "autoencoder"])
def test_the_shipped_rubrics_match_their_built_notebooks(name, tmp_path):
    rubric = find_rubric(ROOT, name)
    assert rubric is not None and rubric.assignment == name
    manifest = load_manifest(find_assignment(name, ROOT))
    if manifest is None:  # dist/ is not committed: build a copy
        shutil.copytree(ROOT / "solutions" / name, tmp_path / "solutions" / name)
        manifest = build_assignment(find_assignment(name, tmp_path))
    check_rubric(rubric, manifest)


def test_a_valid_rubric_reads_into_its_model(tmp_path):
    rubric = load_rubric(_write(tmp_path, VALID))
    assert rubric.title == "demo" and rubric.max_points == 5
    assert rubric.due == datetime.datetime(2026, 3, 1, 11, 0, tzinfo=datetime.UTC)
    assert [q.name for q in rubric.manual] == ["q2"] and rubric.manual[0].criteria[1].text == "b"
    assert rubric.late == LatePolicy(per_day=0.1, grace_minutes=15, cap=0.5, of="score")
    assert [rubric.band(p) for p in (100, 85, 84.99, 70, 69.9, 0)] == ["A", "A", "B", "B", "F", "F"]


@pytest.mark.parametrize("change, message", [
    (("due: 2026-03-01T12:00:00+01:00", "due: 2026-03-01T12:00:00"),
     "due: 2026-03-01T12:00:00 has no timezone; add one, like 2026-05-08T23:59:00+02:00"),
    (("due: 2026-03-01T12:00:00+01:00", "due: 2026-03-01"), "due: 2026-03-01 has no time and timezone"),
    (("due: 2026-03-01T12:00:00+01:00", "due: next friday"), "due: 'next friday' is not an ISO 8601 date"),
    (("assignment: demo", "assignment: demo\ndeu: 1"), "deu: unknown key; the known keys are"),
    (("per_day: 0.1", "per_day: 10"), "late.per_day: 10 is out of range; it must be between 0 and 1"),
    (("cap: 0.5}", "cap: 0.5, of: points}"), "late.of: 'points' is neither 'score'"),
    (("grace_minutes: 15", "grace: 15"), "late.grace: unknown key"),
    (("q1: 2", "q1: two"), "questions.q1: expected a number, found 'two'"),
    (("q1: 2", "q1: -2"), "questions.q1: -2 is out of range; it must be at least 0"),
    (("      - {points: 2, text: b}", "      - {points: 1, text: b}"),
     "questions.q2.criteria: the criteria add up to 2 points but the question is worth 3"),
    (("    manual: true\n", ""), "questions.q2.criteria: only questions graded by hand take criteria"),
    (("{A: 85, B: 70, F: 0}", "{A: 85, B: 90, F: 0}"), "grades.B: 90 is not below A's 85"),
    (("{A: 85, B: 70, F: 0}", "{A: 85, B: 70, F: 10}"), "grades.F: the last band starts at 10; it must start at 0"),
    (("grades: {A: 85, B: 70, F: 0}\n", ""), "grades: missing; add it"),
    (("q1: 2", "q1: [2"), "is not valid YAML"),
    (("q1: 2", "q1: {points: 2, feedback: later}"), "questions.q1.feedback: 'later' is not a feedback choice"),
    (("grades:", "submissions: {per_day: 0}\ngrades:"), "submissions.per_day: expected a whole number of at least 1"),
    (("grades:", "submissions: {closes: 2026-02-01T00:00:00+00:00}\ngrades:"),
     "submissions.closes: 2026-02-01T00:00:00+00:00 is before the due date"),
    (("grades:", "submissions: {closes: 2026-04-01}\ngrades:"), "submissions.closes: 2026-04-01 has no time"),
    (("grades:", "submissions: {feedback: all}\ngrades:"), "submissions.feedback: 'all' is not a feedback choice"),
    (("grades:", "submissions: {daily: 3}\ngrades:"), "submissions.daily: unknown key"),
])
def test_a_wrong_rubric_says_where_and_what_to_do(tmp_path, change, message):
    old, new = change
    assert old in VALID
    path = _write(tmp_path, VALID.replace(old, new))
    with pytest.raises(RubricError) as error:
        load_rubric(path)
    assert str(error.value).startswith(str(path)) and message in str(error.value)


def test_the_submission_policy_and_each_questions_feedback_come_from_the_rubric(tmp_path):
    rubric = load_rubric(_write(tmp_path, VALID))
    assert (rubric.submissions.per_day, rubric.submissions.closes, rubric.feedback("q1")) == (10, None, "after_due")
    text = VALID.replace("q1: 2", "q1: {points: 2, feedback: visible}").replace(
        "grades:", "submissions: {per_day: 3, closes: 2026-03-08T12:00:00Z, feedback: hidden}\ngrades:")
    rubric = load_rubric(_write(tmp_path, text))
    assert rubric.submissions.per_day == 3 and rubric.feedback("q1") == "visible" and rubric.feedback("q2") == "hidden"
    assert rubric.submissions.closes == datetime.datetime(2026, 3, 8, 12, tzinfo=datetime.UTC)


def test_a_manual_question_needs_criteria(tmp_path):
    text = VALID.replace("    criteria:\n      - {points: 1, text: a}\n      - {points: 2, text: b}\n", "")
    with pytest.raises(RubricError, match=r"questions\.q2\.criteria: a question graded by hand needs criteria"):
        load_rubric(_write(tmp_path, text))


class _Manifest:
    name = "demo"

    def __init__(self, *questions: QuestionInfo):
        self.questions = list(questions)


def test_check_rubric_names_the_question_and_both_numbers(tmp_path):
    rubric = load_rubric(_write(tmp_path, VALID))
    check_rubric(rubric, _Manifest(QuestionInfo("q1", 2.0), QuestionInfo("q2", 3.0, manual=True)))
    cases = [
        ((QuestionInfo("q1", 2.5), QuestionInfo("q2", 3.0, manual=True)),
         "question q1 has 2 points in the rubric but 2.5 in the built notebook; make them agree"),
        ((QuestionInfo("q1", 2.0), QuestionInfo("q2", 3.0, manual=True), QuestionInfo("q3", 1.0)),
         "question q3 (1 points in the notebook) is missing; add `q3: 1`"),
        ((QuestionInfo("q1", 2.0),), "question q2 is not in the built notebook (it has q1); remove it or rebuild"),
        ((QuestionInfo("q1", 2.0), QuestionInfo("q2", 3.0)),
         "question q2 is autograded in the notebook; set `manual: false` in the rubric"),
    ]
    for questions, message in cases:
        with pytest.raises(RubricError) as error:
            check_rubric(rubric, _Manifest(*questions))
        assert str(error.value).startswith(f"{tmp_path / 'demo.yml'} does not match the built assignment demo")
        assert message in str(error.value)


def test_late_days_start_after_the_grace_and_each_started_day_counts():
    due = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
    late = LatePolicy(per_day=0.1, grace_minutes=15, cap=0.5)
    minutes = datetime.timedelta(minutes=1)
    cases = {-60: 0, 0: 0, 15: 0, 16: 1, 15 + 24 * 60: 1, 16 + 24 * 60: 2, 15 + 10 * 24 * 60: 10}
    assert {m: late.days_late(due + m * minutes, due) for m in cases} == cases
    assert [late.fraction(d) for d in (0, 1, 3, 5, 10)] == pytest.approx([0, 0.1, 0.3, 0.5, 0.5])
    assert late.penalty(2, score=7.0, maximum=10.0) == pytest.approx(1.4)  # 20% of the student's 7 points
    of_maximum = LatePolicy(per_day=0.1, grace_minutes=0, cap=0.5, of="maximum")
    assert of_maximum.penalty(2, score=7.0, maximum=10.0) == pytest.approx(2.0)  # 20% of the maximum 10
    assert of_maximum.penalty(5, score=3.0, maximum=10.0) == pytest.approx(3.0)  # 5 points, but never below 0
