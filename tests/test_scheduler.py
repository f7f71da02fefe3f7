"""Grading a class on this machine: parallel workers with warm kernels give the results of a plain run."""

import nbformat

from autograder.batch import grade_batch
from autograder.grading import GradingOptions
from autograder.ingest import Submission
from autograder.scheduler.local import LocalScheduler
from tests.conftest import MINI_GOOD, mini_notebook


def class_of(mini_course, size=5):
    submissions = []
    for index in range(size):
        answers = dict(MINI_GOOD) if index % 2 else {"def double": "def double(x):\n    return x"}
        data = nbformat.writes(mini_notebook(mini_course, answers)).encode()
        submissions.append(Submission(f"student{index}", f"student{index}.ipynb", data))
    submissions.append(Submission("broken", "broken.ipynb", b"{not json"))
    return submissions


def comparable(results):
    return [r.to_json() | {"seconds": 0} for r in results]


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
