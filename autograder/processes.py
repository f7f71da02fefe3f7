"""What /proc says of a kernel's process tree, and what the grader sets there: CPU time (where the kernel has no
cgroup), the run-queue waits of its threads (``KernelSession``'s own-time clock), and their priority (warm kernels
prepared at idle priority). Linux only; a process that is gone is skipped, never an error.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def process_tree_cpu_seconds(pid: int) -> float:
    """User and system CPU time of ``pid`` and its descendants (living, and those they waited for), from /proc.
    A fallback where the kernel has no cgroup: a process that escaped the tree (a double fork) is not counted."""
    ticks = 0
    for process in process_tree(pid):
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
        except (OSError, IndexError, ValueError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


class ThreadWaits:
    """The run-queue delay of a kernel's threads (``/proc/TID/schedstat``), summed over every thread ever seen, so
    that it only grows (a thread that ended keeps what it had waited). Sampled at most once a second for the start of
    a run, since bridge requests are a few milliseconds each and a sample scans /proc."""

    def __init__(self):
        self._per_thread: dict[int, int] = {}
        self._last = (-1e9, 0.0)  # (when, total seconds)

    def sample(self, pid: int) -> float:
        for thread, waited in thread_waits(pid).items():
            if waited > self._per_thread.get(thread, -1):
                self._per_thread[thread] = waited
        total = sum(self._per_thread.values()) / 1e9
        self._last = (time.monotonic(), total)
        return total

    def recent(self, pid: int) -> float:
        when, total = self._last
        return total if time.monotonic() - when < 1.0 else self.sample(pid)


def thread_waits(pid: int) -> dict[int, int]:
    """Nanoseconds each thread of ``pid`` and its descendants has waited on a run queue."""
    waits = {}
    for process in process_tree(pid):
        try:
            threads = os.listdir(f"/proc/{process}/task")
        except OSError:
            continue
        for thread in threads:
            try:
                waits[int(thread)] = int(Path(f"/proc/{process}/task/{thread}/schedstat").read_text().split()[1])
            except (OSError, ValueError, IndexError):
                continue
    return waits


IDLE_NICENESS = 19


def enter_idle_priority() -> None:
    """Make the calling process (a warm kernel's pre-exec) use only a core nobody else needs: niceness 19 and, where
    the grader can undo it (root), the idle scheduling class (SCHED_IDLE). That is what protects where the kernel has
    no cgroup; where it has one, the group's idle share does (``KernelCgroup.set_idle``). An unprivileged grader
    cannot lift SCHED_IDLE again, and a kernel graded under it would starve behind any busy program, so there it
    keeps niceness 19 only."""
    os.nice(IDLE_NICENESS)
    if os.geteuid() == 0:
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except OSError:  # a seccomp policy that forbids it: niceness 19 still applies
            pass


def set_normal_priority(pid: int) -> bool:
    """Give every thread of ``pid`` and its descendants the normal scheduling class and niceness 0; False where that
    is not allowed (raising a priority back needs root) or the processes are gone."""
    done = True
    for process in process_tree(pid):
        try:
            threads = [int(tid) for tid in os.listdir(f"/proc/{process}/task")]
        except OSError:
            continue
        for thread in threads:
            try:
                if os.sched_getscheduler(thread) != os.SCHED_OTHER:
                    os.sched_setscheduler(thread, os.SCHED_OTHER, os.sched_param(0))
                os.setpriority(os.PRIO_PROCESS, thread, 0)
            except ProcessLookupError:
                continue
            except OSError:
                done = False
    return done


def process_tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                parent = int(Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children.get(current, [])
    return tree
