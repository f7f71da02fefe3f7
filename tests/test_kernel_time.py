"""Time limits that measure the student's code, not the machine's load: a cell's limit counts the kernel's own time
(the wall clock less the time its threads waited for a core), so a CPU-bound cell on a crowded machine gets the time
it would have had alone, a sleeping cell still times out on time, and a machine too busy to grade at all says so
(status grader-overloaded, graded again) instead of giving 0 points. The load is made by busy processes the test
starts, bounded in number and time, and stopped at the end."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import nbformat
import pytest

import autograder.kernel as kernel_module
from autograder.batch import grade_batch
from autograder.grading import GradingOptions
from autograder.ingest import Submission
from autograder.kernel import KernelSession
from autograder.sandbox import KernelPlace, make_sandbox
from tests.conftest import MINI_GOOD, mini_notebook

HOGS = 10  # busy processes on a 2-core machine: a single-threaded cell gets about a fifth of a core
CPU_WORK = "import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end:\n    pass\n"


@pytest.fixture
def crowded():
    """The machine made busy by HOGS processes that end on their own after a minute at the latest."""
    hogs = [subprocess.Popen([sys.executable, "-c", "import time\nend = time.time() + 60\n"
                                                    "while time.time() < end:\n    pass\n"], start_new_session=True)
            for _ in range(HOGS)]
    time.sleep(0.5)
    yield
    for hog in hogs:
        hog.kill()
        hog.wait()


@pytest.fixture
def kernel(tmp_path):
    place = KernelPlace(tmp_path / "work", tmp_path / "conn")
    place.work.mkdir()
    place.connection.mkdir()
    session = KernelSession(lambda argv: argv, place.work, place.connection, make_sandbox("none").environment(place))
    session.start()
    yield session
    session.shutdown()


def test_a_cpu_bound_cell_on_a_crowded_machine_gets_the_time_it_would_have_had_alone(kernel, crowded):
    run = kernel.execute(CPU_WORK.format(seconds=1.5), timeout=4)
    assert run.status == "ok", (run.seconds, run.own_seconds)
    assert run.seconds > 4, "the machine was not crowded enough to show anything"
    assert run.own_seconds < 4


def test_a_sleeping_cell_still_times_out_on_time_on_a_crowded_machine(kernel, crowded):
    run = kernel.execute("import time\ntime.sleep(600)", timeout=3)
    assert run.status == "timeout"
    assert run.seconds < 3 + kernel_module.INTERRUPT_GRACE_S + 3


def test_a_machine_too_busy_to_run_a_cell_is_overloaded_not_a_timeout(kernel, crowded, monkeypatch):
    monkeypatch.setattr(kernel_module, "OVERLOAD_FACTOR", 1.0)
    monkeypatch.setattr(kernel_module, "OVERLOAD_SLACK_S", 1.0)  # the backstop: 3 s of wall clock for a 2 s limit
    run = kernel.execute(CPU_WORK.format(seconds=3), timeout=2)
    assert run.status == "overloaded", (run.seconds, run.own_seconds)
    assert run.own_seconds < 2


def test_an_overloaded_submission_is_graded_again_at_once_and_on_the_next_run(mini, mini_course, tmp_path, crowded,
                                                                              monkeypatch):
    """A backstop too short for the crowded machine: both tries are overloaded, the status says so, no 0 is
    recorded as the grade, and the next run (on a machine with time to spare) grades it again."""
    answers = dict(MINI_GOOD, **{"def double": MINI_GOOD["def double"] + "\n" + CPU_WORK.format(seconds=1)})
    submission = Submission("busy", "busy.ipynb", nbformat.writes(mini_notebook(mini_course, answers)).encode())
    monkeypatch.setattr(kernel_module, "OVERLOAD_FACTOR", 1.0)
    monkeypatch.setattr(kernel_module, "OVERLOAD_SLACK_S", 0.0)  # no waiting for a core past the 2 s limit
    out = tmp_path / "out"
    first = grade_batch(mini[0], [submission], out, GradingOptions(cell_timeout_s=2))[0]
    assert first.status == "grader-overloaded" and first.grader_failed, first.message
    assert "machine is overloaded" in first.message and "graded a second time" in first.message
    monkeypatch.undo()
    reused = []
    again = grade_batch(mini[0], [submission], out, GradingOptions(cell_timeout_s=20),
                        on_result=lambda result, was_reused: reused.append(was_reused))[0]
    assert reused == [False] and again.status == "ok" and again.total == 4, again.message


def test_the_notebook_limit_counts_the_kernels_own_time_too(mini, mini_course, tmp_path, crowded):
    """Two cells of a second of CPU each, 5 s for the whole notebook: crowded, they take far longer on the wall
    clock, and the notebook still fits its limit."""
    cells = [(10**6, CPU_WORK.format(seconds=1)) for _ in range(2)]
    submission = Submission("slow", "slow.ipynb",
                            nbformat.writes(mini_notebook(mini_course, extra_cells=cells)).encode())
    result = grade_batch(mini[0], [submission], tmp_path / "out",
                         GradingOptions(cell_timeout_s=4, notebook_timeout_s=5))[0]
    assert result.status == "ok" and result.total == 4, result.message
    assert result.seconds > 5, "the machine was not crowded enough to show anything"


class _JoiningClient:
    """A kernel client as a fresh kernel's looks: the iopub subscription is still joining when the first
    kernel_info is answered (its idle status is lost), and iopub keeps bringing status messages of other requests."""

    def __init__(self):
        self.requests: list[str] = []

    def kernel_info(self) -> str:
        self.requests.append(f"info-{len(self.requests)}")
        return self.requests[-1]

    def get_shell_msg(self, timeout):
        return {"parent_header": {"msg_id": self.requests[-1]}, "msg_type": "kernel_info_reply", "content": {}}

    def get_iopub_msg(self, timeout):
        time.sleep(0.001)
        about = self.requests[-1] if len(self.requests) > 1 else "another request"
        return {"parent_header": {"msg_id": about}, "msg_type": "status", "content": {"execution_state": "idle"}}


class _Running:
    pid = 0

    def poll(self):
        return None


def test_a_kernel_is_ready_once_iopub_brings_its_answer_without_waiting_for_silence(tmp_path):
    session = KernelSession(lambda argv: argv, tmp_path, tmp_path, {}, cpu_seconds=lambda: 0.0)
    session.client, session.process = _JoiningClient(), _Running()
    started = time.monotonic()
    waiting = threading.Thread(target=session._wait_until_ready, daemon=True)
    waiting.start()
    waiting.join(timeout=10)
    assert not waiting.is_alive(), "a chatty iopub kept the kernel from ever being ready"
    assert time.monotonic() - started < 1.0
    assert len(session.client.requests) == 2  # the lost status made it ask once more
