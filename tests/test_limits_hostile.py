"""Limits that bound one student, not one process: a hostile notebook fills /tmp, its work folder or the machine's
memory with files, floods the grader with messages of the bridge's own type, or starts busy processes in sessions
of their own. Each time its own grade suffers, the correct notebook graded beside it keeps full marks in about
the time it takes alone, and nothing is left on the machine."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder.batch import grade_batch
from autograder.grading import GradingOptions, grade_submission
from autograder.ingest import Submission
from autograder.kernel import KernelLimits, KernelSession, KernelStartError
from autograder.sandbox import make_sandbox
from autograder.sandbox.cgroup import CgroupUnavailable
from autograder.sandbox.limits import ResourceLimits
from tests.conftest import MINI_GOOD, as_submission, lingering_sandbox_processes, mini_notebook, needs_cgroups

MIB = 1024**2
FULL = {"q1": 2, "q2": 2}
ONLY_Q1 = {"q1": 2, "q2": 0}


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the work folder's quota needs a root grader")


def hostile(mini_course: Path, cell: str) -> nbformat.NotebookNode:
    """Right answers, and a hostile cell right after q2's prompt (q1 is graded before it)."""
    notebook = mini_notebook(mini_course, MINI_GOOD)
    q2_prompt = next(i for i, c in enumerate(notebook.cells) if "**Question 2.**" in c.source)
    notebook.cells.insert(q2_prompt + 1, nbformat.v4.new_code_cell(cell))
    return notebook


def grade(mini, notebook, **options):
    assignment, manifest = mini
    return grade_submission(assignment, manifest, as_submission(notebook), GradingOptions(**options))


def points(result) -> dict:
    return {q.name: q.points for q in result.questions}


def fill(folder: str, megabytes: int, files: int = 1) -> str:
    """A cell that writes ``megabytes`` in ``files`` files under ``folder`` (each below the file-size limit)."""
    return (f"chunk = b'x' * {MIB}\n"
            f"for n in range({files}):\n"
            f"    with open(f'{folder}/fill{{n}}.bin', 'wb') as f:\n"
            f"        for _ in range({megabytes // files}):\n"
            "            f.write(chunk)\n")


def test_a_full_tmp_fails_that_cell_only(mini, mini_course):
    result = grade(mini, hostile(mini_course, fill("/tmp", 96)),
                   limits=ResourceLimits(tmp_bytes=64 * MIB))
    assert result.status == "error" and "No space left on device" in result.message, result.message
    assert points(result) == FULL


def test_dev_is_no_way_around_the_size_of_tmp(mini, mini_course):
    """bubblewrap's /dev is a tmpfs of its own: read-only here, with a /dev/shm as small as /tmp."""
    result = grade(mini, hostile(mini_course, fill("/dev/shm", 96) + "open('/dev/hog', 'wb').write(b'x' * 2**20)\n"),
                   limits=ResourceLimits(tmp_bytes=64 * MIB))
    assert result.status == "error" and "No space left on device" in result.message, result.message
    assert points(result) == FULL
    result = grade(mini, hostile(mini_course, "open('/dev/hog', 'wb').write(b'x' * 2**20)"))
    assert result.status == "error" and ("Read-only file system" in result.message
                                         or "Permission denied" in result.message), result.message


@needs_root
def test_the_work_folder_has_a_quota_across_files(mini, mini_course):
    """Three files, each below the largest-file limit, together above the folder's quota."""
    result = grade(mini, hostile(mini_course, fill(".", 96, files=3)),
                   limits=ResourceLimits(work_bytes=64 * MIB, file_size_bytes=40 * MIB))
    assert result.status == "error" and "No space left on device" in result.message, result.message
    assert points(result) == FULL


@needs_cgroups
def test_files_in_tmp_count_against_the_kernels_memory(mini, mini_course):
    """tmpfs pages live in RAM: /tmp may be larger than the memory limit, and the files then count in it."""
    result = grade(mini, hostile(mini_course, fill("/tmp", 700)),
                   limits=ResourceLimits(memory_bytes=400 * MIB, tmp_bytes=1024 * MIB))
    assert result.status == "memory-limit", result.message
    assert "files it wrote" in result.message and "cell" in result.message
    assert points(result) == ONLY_Q1


FLOOD = ("from IPython.display import publish_display_data\n"
         "for _ in range(40):\n"
         "    publish_display_data({'application/vnd.autograder.bridge+json': 'x' * 25_000_000})\n")


def test_bridge_messages_in_a_cell_are_output_counted_and_never_kept(mini, mini_course):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result = grade(mini, hostile(mini_course, FLOOD))
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    assert result.status == "output-limit" and "printed more than" in result.message, result.message
    assert points(result) == FULL
    assert grown < 600 * MIB, f"the grader grew by {grown / MIB:.0f} MiB for 1 GB of messages"


def test_an_answer_larger_than_the_bridge_accepts_fails_that_test(mini, mini_course):
    """q1's tests call double(); this one also displays fake bridge answers while it runs."""
    answers = dict(MINI_GOOD, **{"def double": (
        "from IPython.display import publish_display_data\n"
        "def double(x):\n"
        "    for _ in range(3):\n"
        "        publish_display_data({'application/vnd.autograder.bridge+json': 'x' * 2_000_000})\n"
        "    return 2 * np.asarray(x)")})
    result = grade(mini, mini_notebook(mini_course, answers), bridge_bytes_per_call=4 * MIB)
    q1 = next(q for q in result.questions if q.name == "q1")
    assert q1.points == 0
    assert any("larger than the grader accepts" in t.message for t in q1.tests), [t.message for t in q1.tests]
    assert points(result)["q2"] == 2


BUSY_SESSIONS = ("import os\n"
                 "for _ in range(150):\n"
                 "    if os.fork() == 0:\n"
                 "        os.setsid()\n"
                 "        while True:\n"
                 "            pass\n"
                 "import time\ntime.sleep(12)\n")
# About a second of pure-Python CPU work, whose time is the victim's grade-time.
CPU_WORK = "total = 0\nfor i in range(12_000_000):\n    total += i % 7\n"


@needs_cgroups
def test_busy_processes_in_their_own_sessions_do_not_slow_the_notebook_beside_them(mini, mini_course, tmp_path):
    from autograder.scheduler import make_scheduler

    assignment, _ = mini

    def submission(student: str, notebook) -> Submission:
        return Submission(student, f"{student}.ipynb", nbformat.writes(notebook).encode())

    victim = submission("victim", hostile(mini_course, CPU_WORK))
    options = GradingOptions(cell_timeout_s=60, notebook_timeout_s=120)
    alone = grade_batch(assignment, [victim], tmp_path / "alone", options)[0]
    # Two workers: the attacker's kernel forks its busy processes while the other worker grades a notebook that
    # sleeps; the victim's kernel then starts and computes beside them.
    sleeper = submission("sleeper", hostile(mini_course, "import time\ntime.sleep(4)"))
    attacker = submission("attacker", hostile(mini_course, BUSY_SESSIONS))
    results = grade_batch(assignment, [attacker, sleeper, victim], tmp_path / "both", options,
                          scheduler=make_scheduler(None, workers=2, warm=False))
    by_student = {r.student: r for r in results}
    beside = by_student["victim"]
    assert beside.status == "ok" and points(beside) == FULL, beside.message
    assert beside.seconds < 2.5 * alone.seconds, (beside.seconds, alone.seconds)
    assert points(by_student["attacker"]) == FULL  # its answers are right; it only tried to slow the others
    assert not lingering_sandbox_processes(), "the busy processes outlived their kernel"


@needs_cgroups
def test_the_kernels_cgroup_holds_every_process_it_started_and_goes_with_it(place):
    sandbox = make_sandbox("bubblewrap", ResourceLimits(memory_bytes=512 * MIB, processes=64))
    detach = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(600)\ntime.sleep(600)\n"
    child = subprocess.Popen(sandbox.command([sys.executable, "-c", detach], place), preexec_fn=sandbox.preexec(),
                             env=sandbox.environment(place), start_new_session=True)
    try:
        group = sandbox.cgroup
        deadline = time.monotonic() + 20
        while len(group.processes()) < 4 and time.monotonic() < deadline:  # bwrap, its init, python, the fork
            time.sleep(0.1)
        assert len(group.processes()) >= 4
        folders = set(group.folders.values())
    finally:
        child.kill()
        child.wait()
        sandbox.stop(place)
    assert not any(folder.exists() for folder in folders)


def _kernel(tmp_path: Path, wrapper: list[str], **limits) -> KernelSession:
    sandbox = make_sandbox("none")
    work, conn = tmp_path / "work", tmp_path / "conn"
    work.mkdir()
    conn.mkdir()
    from autograder.sandbox import KernelPlace

    return KernelSession(lambda argv: [*wrapper, *argv], work, conn, sandbox.environment(KernelPlace(work, conn)),
                         limits=KernelLimits(**limits))


def test_a_kernel_that_waits_for_a_core_is_not_failed_by_the_wall_clock(tmp_path):
    """Slow to start but idle (a loaded machine): only the CPU budget counts, and it is not used up."""
    kernel = _kernel(tmp_path, ["sh", "-c", 'sleep 4; exec "$@"', "sh"], startup_cpu_s=3, startup_wall_s=60)
    try:
        kernel.start()
        assert kernel.execute("1 + 1", timeout=10).status == "ok"
    finally:
        kernel.shutdown()


def test_a_kernel_that_computes_instead_of_starting_is_stopped_by_its_cpu_budget(tmp_path):
    spin = [sys.executable, "-c", "import os, sys, time\nend = time.process_time() + 30\n"
                                  "while time.process_time() < end:\n    pass\nos.execv(sys.argv[1], sys.argv[1:])"]
    kernel = _kernel(tmp_path, spin, startup_cpu_s=1, startup_wall_s=60)
    started = time.monotonic()
    try:
        with pytest.raises(KernelStartError, match="CPU time"):
            kernel.start()
    finally:
        kernel.shutdown()
    assert time.monotonic() - started < 20


def test_the_wall_clock_backstop_says_the_machine_is_overloaded(tmp_path):
    kernel = _kernel(tmp_path, ["sh", "-c", 'sleep 30; exec "$@"', "sh"], startup_cpu_s=60, startup_wall_s=2)
    try:
        with pytest.raises(KernelStartError, match="overloaded"):
            kernel.start()
    finally:
        kernel.shutdown()


def test_no_cgroup_is_left_behind_by_a_batch(mini, mini_course, tmp_path):
    assignment, _ = mini

    def groups() -> set[Path]:
        mine = f"autograder-{os.getpid()}-*"
        return {*Path("/sys/fs/cgroup").glob(mine), *Path("/sys/fs/cgroup").glob(f"*/{mine}")}

    before = groups()
    grade_batch(assignment, [Submission("s", "s.ipynb", nbformat.writes(mini_notebook(mini_course)).encode())],
                tmp_path / "out", GradingOptions())
    assert groups() - before == set()


def test_malformed_messages_from_the_kernel_are_ignored(mini, mini_course):
    """The kernel holds the connection key, so a notebook can send the grader any message it likes."""
    send = ("kernel = get_ipython().kernel\n"
            "parent = kernel.get_parent()\n"
            "for kind, content in [('display_data', ['not', 'a', 'dict']), ('display_data', {'data': 5}),\n"
            "                      ('error', {'ename': 1, 'evalue': None, 'traceback': 7}),\n"
            "                      ('stream', {'text': {'a': 1}}), ('status', 'idle')]:\n"
            "    kernel.session.send(kernel.iopub_socket, kind, content=content, parent=parent)\n")
    result = grade(mini, hostile(mini_course, send))
    assert points(result) == FULL, result.message


def test_a_host_without_cgroups_or_root_is_told_before_grading(monkeypatch):
    import autograder.sandbox.bubblewrap as bubblewrap

    def unavailable(*args, **kwargs):
        raise CgroupUnavailable("/sys/fs/cgroup is read-only")

    monkeypatch.setattr(bubblewrap, "make_cgroup", unavailable)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    warnings = make_sandbox("bubblewrap").warnings()
    assert any("no cgroup of their own (/sys/fs/cgroup is read-only)" in w and "slow the others" in w
               for w in warnings), warnings
    assert any("no size quota (the grader is not root)" in w for w in warnings), warnings


@needs_root
def test_a_million_empty_files_stop_at_the_work_folders_file_count(mini, mini_course):
    many = "for n in range(1_000_000):\n    open(f'f{n}', 'w').close()\n"
    result = grade(mini, hostile(mini_course, many))
    assert result.status == "error" and "No space left on device" in result.message, result.message
    assert points(result) == FULL


@needs_cgroups
def test_a_class_with_every_resource_attack_completes_and_the_victim_keeps_full_marks(mini, mini_course, tmp_path):
    """Files past the memory limit, bridge-typed floods and a full /dev/shm, with warm kernels on two workers (the
    busy processes have a test of their own, which times the victim)."""
    import csv

    from autograder.scheduler import make_scheduler

    attacks = {
        "fills-tmp-past-memory": fill("/tmp", 250) + fill("/dev/shm", 250),  # each below its size, not together
        "floods-bridge-messages": FLOOD.replace("range(40)", "range(8)"),
        "fills-dev-shm": fill("/dev/shm", 300),
    }
    submissions = [Submission(name, f"{name}.ipynb", nbformat.writes(hostile(mini_course, cell)).encode())
                   for name, cell in attacks.items()]
    submissions.append(Submission("victim", "victim.ipynb", nbformat.writes(mini_notebook(mini_course)).encode()))
    limits = ResourceLimits(memory_bytes=512 * MIB, tmp_bytes=256 * MIB)
    results = grade_batch(mini[0], submissions, tmp_path / "out", GradingOptions(limits=limits),
                          scheduler=make_scheduler(None, workers=2, warm=True))
    by_student = {r.student: r for r in results}
    assert by_student["victim"].status == "ok" and points(by_student["victim"]) == FULL
    expected = {"fills-tmp-past-memory": ("memory-limit", ONLY_Q1), "floods-bridge-messages": ("output-limit", FULL),
                "fills-dev-shm": ("error", FULL)}
    for student, (status, earned) in expected.items():
        assert (by_student[student].status, points(by_student[student])) == (status, earned), by_student[student]
    with open(tmp_path / "out" / "gradebook.csv", newline="", encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert sorted(rows) == sorted(s.student for s in submissions)
    assert "memory" in rows["fills-tmp-past-memory"]["message"] and "printed more" in rows["floods-bridge-messages"][
        "message"] and "No space left" in rows["fills-dev-shm"]["message"]
