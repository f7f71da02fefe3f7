"""Grading on a real Dask cluster (a scheduler and two workers on 127.0.0.1) gives the local results."""

import contextlib
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.batch import grade_batch
from autograder.course import find_assignment
from autograder.grading import GradingOptions
from autograder.job import plan_job
from autograder.kernel_pool import remove_stale_workdirs
from autograder.scheduler.dask import DaskScheduler, run_job_task
from autograder.scheduler.local import LocalScheduler
from tests.conftest import MINI_GOOD, as_submission, mini_notebook
from tests.test_checker_hostile import HOSTILE_Q1, STUDENTS
from tests.test_scheduler import class_of, comparable

DASK = str(Path(sys.executable).parent / "dask")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_cluster(worker_environments: list[dict], worker_args: tuple = ()):
    """A Dask scheduler and one worker per environment on 127.0.0.1, as a DaskScheduler; all stopped after."""
    if not shutil.which(DASK):
        pytest.skip("dask's command line is not installed")
    address = f"tcp://127.0.0.1:{free_port()}"
    # A task whose worker dies is tried on one more worker, not three, so the test that kills workers stays short;
    # each worker holds only the task it runs, so no other task is on a worker when it dies.
    environment = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",
                   "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0"}
    processes = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                   "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  env=environment)]
    time.sleep(2)
    for extra in worker_environments:
        processes.append(subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--no-dashboard",
                                           *worker_args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          env={**os.environ, **extra}))
    try:
        scheduler = DaskScheduler(address)
        scheduler.client.wait_for_workers(len(worker_environments), timeout=60)
        yield scheduler
        scheduler.close()
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=30)
        remove_stale_workdirs()  # what the workers' kernels left, killed or stopped (as the next grader run would)


@pytest.fixture(scope="module")
def cluster():
    with running_cluster([{}, {}]) as scheduler:
        yield scheduler


def test_a_dask_cluster_gives_the_results_of_a_local_run(mini, mini_course, tmp_path, cluster):
    assignment, _ = mini
    submissions = class_of(mini_course)
    local = grade_batch(assignment, submissions, tmp_path / "local", GradingOptions(),
                        scheduler=LocalScheduler(2))
    remote = grade_batch(assignment, submissions, tmp_path / "dask", GradingOptions(), scheduler=cluster)
    assert comparable(remote) == comparable(local)
    assert (tmp_path / "dask" / "gradebook.csv").read_text() == (tmp_path / "local" / "gradebook.csv").read_text()
    workers = cluster.client.scheduler_info()["workers"]
    assert len(workers) == 2


def test_the_same_job_twice_on_dask_gives_the_same_result_json(mini, mini_course, cluster):
    assignment, manifest = mini
    job = plan_job(assignment, manifest, as_submission(mini_notebook(mini_course), "ann"), GradingOptions())
    payload = json.dumps(job.to_json())
    answers = [json.loads(cluster.client.submit(run_job_task, payload, pure=False).result()) for _ in range(2)]
    first, second = (json.dumps(answer | {"seconds": 0, "profile": {}}, sort_keys=True) for answer in answers)
    assert first == second and answers[0]["total"] == 4  # byte for byte, but for the time it took


# A hidden test whose native code crashes the whole process on one student's value (os._exit stands for a segfault):
# the Dask worker dies with it, every time the task is tried.
CRASHING_TEST = '''

@test_case(points=0, hidden=True)
def test_double_of_eleven(double):
    if double(11) == -11:
        import os
        os._exit(70)
'''


def test_systemexit_in_a_test_and_a_task_that_kills_its_worker_cost_only_that_student(mini_course, tmp_path,
                                                                                       cluster):
    root = tmp_path / "course"
    shutil.copytree(mini_course, root)
    (root / "dist" / "mini" / "tests" / "q1.py").write_text(HOSTILE_Q1 + CRASHING_TEST)
    crash = dict(MINI_GOOD, **{"def double": "def double(x):\n"
                                             "    return -11 if np.ndim(x) == 0 and x == 11 else 2 * np.asarray(x)"})
    students = {"victim": STUDENTS["victim"], "exits": STUDENTS["exits"], "stops": STUDENTS["stops"], "crash": crash}
    submissions = [as_submission(mini_notebook(mini_course, answers), student) for student, answers in students.items()]
    results = {r.student: r for r in grade_batch(find_assignment("mini", root), submissions, tmp_path / "out",
                                                 GradingOptions(), scheduler=cluster)}
    assert results["victim"].total == 4 and results["victim"].status == "ok"
    for student, shown in (("exits", "SystemExit: 2"), ("stops", "StopChecking: double(7) is -1")):
        q1 = {t.name: t for t in results[student].questions[0].tests}
        assert (q1["test_double_array"].points, results[student].status) == (0.0, "ok"), student
        assert shown in q1["test_double_array"].message, student
    crashed = results["crash"]
    assert (crashed.status, crashed.total) == ("error", 0)
    assert "the grader failed on this submission (KilledWorker" in crashed.message, crashed.message
    with open(tmp_path / "out" / "gradebook.csv", newline="", encoding="utf-8") as handle:
        assert sorted(row["student"] for row in csv.DictReader(handle)) == sorted(students)
    cluster.client.wait_for_workers(2, timeout=60)  # the nanny restarted the killed workers


def test_no_task_waits_on_a_worker_behind_another_that_could_take_it_down(mini, mini_course, tmp_path, cluster,
                                                                         monkeypatch):
    """Tasks queued on a worker die with it: in CI, a student whose hidden test crashed the worker took the student
    queued behind them down too (recorded as a grader error). At most one task per worker thread is out at a time."""
    assignment, _ = mini
    submitted, submit = [], cluster.client.submit

    def counting_submit(*args, **kwargs):
        submitted.append(sum(not future.done() for future in submitted_futures))
        future = submit(*args, **kwargs)
        submitted_futures.append(future)
        return future

    submitted_futures = []
    monkeypatch.setattr(cluster.client, "submit", counting_submit)
    names = ("alice", "bob", "carol", "dave", "erin")  # no digits: Dask groups "s1", "s2" as one task group
    submissions = [as_submission(mini_notebook(mini_course, MINI_GOOD), name) for name in names]
    results = grade_batch(assignment, submissions, tmp_path / "out", GradingOptions(), scheduler=cluster)
    assert [(r.status, r.total) for r in results] == [("ok", 4)] * len(names)
    assert len(submitted) == len(names) and max(submitted) < 2, submitted  # two workers of one thread each


def test_an_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(RuntimeError, match="cannot reach the Dask scheduler"):
        DaskScheduler(f"tcp://127.0.0.1:{free_port()}", connect_timeout_s=2)
