"""Grading a class on this machine: parallel workers with warm kernels give the results of a plain run."""

import csv

import nbformat

from autograder.assignment import Assignment
from autograder.batch import grade_batch
from autograder.grading import GradingOptions
from autograder.ingest import Submission
from autograder.scheduler.local import LocalScheduler
from tests.conftest import MINI_GOOD, as_submission, mini_notebook


def class_of(mini_course, size=5):
    submissions = []
    for index in range(size):
        answers = dict(MINI_GOOD) if index % 2 else {"def double": "def double(x):\n    return x"}
        data = nbformat.writes(mini_notebook(mini_course, answers)).encode()
        submissions.append(Submission(f"student{index}", f"student{index}.ipynb", data))
    submissions.append(Submission("broken", "broken.ipynb", b"{not json"))
    return submissions


def comparable(results):
    return [r.to_json() | {"seconds": 0, "profile": {}} for r in results]


def test_two_warm_workers_give_the_same_results_as_one_cold_worker(mini, mini_course, tmp_path):
    assignment, _ = mini
    submissions = class_of(mini_course)
    cold = grade_batch(assignment, submissions, tmp_path / "cold", GradingOptions(),
                       scheduler=LocalScheduler(1, warm=False))
    warm = grade_batch(assignment, submissions, tmp_path / "warm", GradingOptions(),
                       scheduler=LocalScheduler(2, warm=True))
    assert comparable(warm) == comparable(cold)
    assert [r.total for r in warm] == [1, 4, 1, 4, 1, 0]  # safe_log comes with the template
    assert (tmp_path / "warm" / "gradebook.csv").read_text() == (tmp_path / "cold" / "gradebook.csv").read_text()


def test_each_worker_owns_one_gpu_and_results_say_which(mini, mini_course, tmp_path):
    assignment, _ = mini
    results = grade_batch(assignment, class_of(mini_course, size=4), tmp_path / "gpus", GradingOptions(),
                          scheduler=LocalScheduler(2, warm=True, gpus=["0", "1"]))
    devices = {r.device for r in results if r.status != "invalid-notebook"}
    assert devices == {"cuda:0", "cuda:1"}
    assert [r.total for r in results] == [1, 4, 1, 4, 0]  # grades do not depend on the device


def test_a_gpu_kernel_sees_only_its_device_and_no_address_space_limit(tmp_path):
    from autograder.sandbox import KernelPlace, make_sandbox

    place = KernelPlace(tmp_path / "work", tmp_path / "conn")
    sandbox = make_sandbox("bubblewrap", gpu="1", threads=2)
    env = sandbox.environment(place)
    assert env["CUDA_VISIBLE_DEVICES"] == "1" and env["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"
    assert env["OMP_NUM_THREADS"] == "2"
    assert sandbox.limits.address_space_bytes is None
    assert make_sandbox("bubblewrap").environment(place)["CUDA_VISIBLE_DEVICES"] == ""


class StopGrading(BaseException):
    """Not an Exception: `except Exception` lets it through."""


class ExitingAssignment(Assignment):
    """An assignment whose trusted arguments (an exam's variants are computed like this) end in SystemExit or a
    BaseException for some students: code the grader runs outside any test."""

    def trusted_arguments(self, student: str, question: str) -> dict:
        if student == "exits":
            raise SystemExit(f"no variant for {student}")
        if student == "stops":
            raise StopGrading
        return {}


def test_a_baseexception_while_grading_one_submission_is_recorded_and_the_batch_goes_on(mini, mini_course,
                                                                                        tmp_path):
    assignment, _ = mini
    notebook = mini_notebook(mini_course)
    submissions = [as_submission(notebook, student) for student in ("exits", "victim", "stops")]
    results = grade_batch(ExitingAssignment(assignment.name, assignment.root), submissions, tmp_path / "out",
                          GradingOptions(), scheduler=LocalScheduler(2, warm=False))
    by_student = {result.student: result for result in results}
    assert by_student["victim"].status == "ok" and by_student["victim"].total == 4
    for student, shown in (("exits", "SystemExit: no variant for exits"), ("stops", "StopGrading: ")):
        failed = by_student[student]
        assert (failed.status, failed.total, failed.max_total) == ("error", 0, 4), student
        assert f"the grader failed on this submission ({shown})" in failed.message, failed.message
    with open(tmp_path / "out" / "gradebook.csv", newline="", encoding="utf-8") as handle:
        assert sorted(row["student"] for row in csv.DictReader(handle)) == ["exits", "stops", "victim"]
    # A re-run grades the grader's failures again (they say nothing about the notebooks) and reuses the rest.
    reused = []
    grade_batch(assignment, submissions, tmp_path / "out", GradingOptions(), scheduler=LocalScheduler(2, warm=False),
                on_result=lambda result, was_reused: reused.append((result.student, was_reused, result.total)))
    assert sorted(reused) == [("exits", False, 4), ("stops", False, 4), ("victim", True, 4)]
