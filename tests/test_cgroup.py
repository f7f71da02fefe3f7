"""A kernel's cgroup: the files written for cgroup v2 and v1 (on a folder laid out like each hierarchy, since a
host has one or the other), and the real hierarchy of this machine where the grader may write it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.sandbox.cgroup import PREFIX, CgroupUnavailable, make_cgroup, remove_stale_cgroups
from tests.conftest import needs_cgroups

MIB = 1024**2


def v2_root(tmp_path: Path, controllers: str = "cpuset cpu io memory pids") -> Path:
    root = tmp_path / "unified"
    root.mkdir()
    (root / "cgroup.controllers").write_text(controllers + "\n")
    (root / "cgroup.subtree_control").write_text("")
    return root


def test_v2_one_folder_with_memory_swap_pids_and_cpu_limits(tmp_path):
    root = v2_root(tmp_path)
    group = make_cgroup(256 * MIB, 100, cpus=1.5, root=root)
    folder = group.folders["memory"]
    assert folder.parent == root and folder.name.startswith(f"{PREFIX}{os.getpid()}-")
    assert set(group.folders.values()) == {folder}
    assert (root / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"
    assert (folder / "memory.max").read_text() == str(256 * MIB)
    assert (folder / "pids.max").read_text() == "100"
    assert (folder / "cpu.max").read_text() == "150000 100000"
    (folder / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\n")
    (folder / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert group.cpu_seconds() == 2.5 and group.memory_kills() == 1
    group.join()
    assert (folder / "cgroup.procs").read_text() == str(os.getpid())


def test_v2_without_the_memory_controller_says_so(tmp_path):
    with pytest.raises(CgroupUnavailable, match="memory"):
        make_cgroup(MIB, 10, root=v2_root(tmp_path, "cpu pids"))


def test_v1_a_folder_per_controller(tmp_path):
    root = tmp_path / "v1"
    for controller in ("memory", "pids", "cpu", "cpuacct"):
        (root / controller).mkdir(parents=True)
        (root / controller / "cgroup.procs").write_text("")
    group = make_cgroup(512 * MIB, 64, cpus=None, root=root)
    name = group.folders["memory"].name
    assert {c: f.parent.name for c, f in group.folders.items()} == {c: c for c in ("memory", "pids", "cpu", "cpuacct")}
    assert (root / "memory" / name / "memory.limit_in_bytes").read_text() == str(512 * MIB)
    assert not (root / "memory" / name / "memory.memsw.limit_in_bytes").exists()  # only where the host has it
    assert (root / "pids" / name / "pids.max").read_text() == "64"
    assert not (root / "cpu" / name / "cpu.cfs_quota_us").exists()  # no cap asked for: the equal weight only
    (root / "cpuacct" / name / "cpuacct.usage").write_text("1500000000\n")
    (root / "memory" / name / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    assert group.cpu_seconds() == 1.5 and group.memory_kills() == 2


def test_no_hierarchy_is_a_reason_not_a_crash(tmp_path):
    with pytest.raises(CgroupUnavailable, match="neither"):
        make_cgroup(MIB, 10, root=tmp_path)


def test_an_idle_group_and_back_by_cpu_idle_else_by_the_smallest_weight(tmp_path):
    """A warm kernel's group is idle while it is prepared: ``cpu.idle`` where the kernel has it (5.15+), else the
    smallest weight (v2) or shares (v1); and back to the normal share once the kernel grades."""
    group = make_cgroup(MIB, 10, root=v2_root(tmp_path))
    folder = group.folders["cpu"]
    assert group.set_idle(True) and (folder / "cpu.weight").read_text() == "1"
    assert group.set_idle(False) and (folder / "cpu.weight").read_text() == "100"
    (folder / "cpu.idle").write_text("0")
    assert group.set_idle(True) and (folder / "cpu.idle").read_text() == "1"
    assert (folder / "cpu.weight").read_text() == "100"  # cpu.idle alone says it
    root = tmp_path / "v1"
    for controller in ("memory", "pids", "cpu", "cpuacct"):
        (root / controller).mkdir(parents=True)
        (root / controller / "cgroup.procs").write_text("")
    group = make_cgroup(MIB, 10, root=root)
    assert group.set_idle(True) and (group.folders["cpu"] / "cpu.shares").read_text() == "2"
    assert group.set_idle(False) and (group.folders["cpu"] / "cpu.shares").read_text() == "1024"
    group.folders["cpu"].rename(tmp_path / "gone")
    assert not group.set_idle(True)  # says so, never raises


@needs_cgroups
def test_an_idle_group_leaves_its_core_to_a_normal_one():
    """What the idle share is for: a warm kernel busy importing on the core a grading kernel needs must give it the
    whole core. Niceness 19 did not: a group competes with its peers as a whole, so at niceness 19 in its own group
    it still took half the core (0.5 s of the grading burner's 1 s here)."""
    core = min(os.sched_getaffinity(0))
    groups = [make_cgroup(None, 16), make_cgroup(None, 16)]
    warm, grading = groups
    assert warm.set_idle(True)

    def on_the_core(group):
        return lambda: (os.sched_setaffinity(0, {core}), group.join())

    burn = "import time\nstart = time.time()\nwhile time.time() - start < {}: pass\nprint(time.process_time())"
    try:
        busy = subprocess.Popen([sys.executable, "-c", burn.format(30)], preexec_fn=on_the_core(warm))
        time.sleep(0.3)
        done = subprocess.run([sys.executable, "-c", burn.format(1)], preexec_fn=on_the_core(grading),
                              capture_output=True, text=True, check=True)
        busy.kill()
        busy.wait()
        assert float(done.stdout) > 0.85  # its second of wall-clock time was nearly all its own
    finally:
        for group in groups:
            group.remove()


@needs_cgroups
def test_a_warm_kernels_group_is_idle_until_it_is_taken(mini):
    """In its cgroup a kernel competes with the others as a group, whatever its threads' niceness: the group of the
    warm kernel being prepared has the idle share, the group of the kernel that grades the normal one."""
    from autograder.grading import GradingOptions
    from autograder.kernel_pool import KernelBudget, WarmKernels

    def idle(prepared) -> bool:
        folder = prepared.sandbox.cgroup.folders["cpu"]
        name = next(name for name in ("cpu.idle", "cpu.weight", "cpu.shares") if (folder / name).exists())
        return (folder / name).read_text().strip() == {"cpu.idle": "1", "cpu.weight": "1", "cpu.shares": "2"}[name]

    assignment, manifest = mini
    kernels = WarmKernels(assignment, manifest, GradingOptions(), KernelBudget(2))
    taken = kernels.take()
    try:
        assert not idle(taken) and "niceness" not in taken.timings
        kernels._thread.join()
        assert idle(kernels._next)
    finally:
        taken.close()
        kernels.close()


@needs_cgroups
def test_a_stale_group_of_a_killed_grader_is_removed_with_its_processes():
    """A grader killed with SIGKILL leaves its kernels' groups; the next grader removes them and what runs there."""
    grader = subprocess.Popen([sys.executable, "-c",
                               "import subprocess, sys, time\n"
                               "from autograder.sandbox.cgroup import make_cgroup\n"
                               "group = make_cgroup(64 * 1024**2, 16)\n"
                               "subprocess.Popen(['sleep', '600'], preexec_fn=group.join, start_new_session=True)\n"
                               "print(group.folders['memory'], flush=True)\n"
                               "time.sleep(600)\n"], stdout=subprocess.PIPE, text=True)
    folder = Path(grader.stdout.readline().strip())
    sleeper = int((folder / "cgroup.procs").read_text().split()[0])
    grader.kill()
    grader.wait()
    assert folder.exists() and Path(f"/proc/{sleeper}").exists()
    remove_stale_cgroups()
    assert not folder.exists()
    deadline = time.monotonic() + 5
    while Path(f"/proc/{sleeper}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # a zombie until its parent (init) reaps it
    assert not Path(f"/proc/{sleeper}").exists() or "Z" in Path(f"/proc/{sleeper}/stat").read_text().split()[2]
