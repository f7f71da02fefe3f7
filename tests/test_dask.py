"""Grading on a real Dask cluster (a scheduler and two workers on 127.0.0.1) gives the local results."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.batch import grade_batch
from autograder.grading import GradingOptions
from autograder.scheduler.dask import DaskScheduler
from autograder.scheduler.local import LocalScheduler
from tests.test_scheduler import class_of, comparable

DASK = str(Path(sys.executable).parent / "dask")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def cluster():
    if not shutil.which(DASK):
        pytest.skip("dask's command line is not installed")
    address = f"tcp://127.0.0.1:{free_port()}"
    processes = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                   "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    time.sleep(2)
    for _ in range(2):
        processes.append(subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--no-dashboard"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        scheduler = DaskScheduler(address)
        scheduler.client.wait_for_workers(2, timeout=60)
        yield scheduler
        scheduler.close()
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=30)


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


def test_an_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(RuntimeError, match="cannot reach the Dask scheduler"):
        DaskScheduler(f"tcp://127.0.0.1:{free_port()}", connect_timeout_s=2)
