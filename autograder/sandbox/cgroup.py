"""A kernel's own control group: limits that bound one student, not one process.

rlimits count per process (memory, file size) or per uid (processes), and nothing counts what a kernel keeps in
tmpfs files or how much of the machine's CPU its processes take together. A cgroup does: the operating system
charges to it every process the kernel starts (however it detaches: new sessions, double forks), the memory they
use, the tmpfs pages and page cache they fill; it caps the number of processes; and each kernel's group gets the
same CPU weight, so 200 busy processes of one student share one kernel's part of the CPU while the kernel beside
them keeps its own. The grader reads the group's CPU time (for limits that measure the student's work, not the
machine's load) and whether the memory limit killed something (status ``memory-limit``, not ``kernel-died``).

Each kernel's group sits at the top of the hierarchy (``/sys/fs/cgroup[/CONTROLLER]/autograder-PID-N``), beside
the grader's, so kernels compete with the rest of the machine as peers. cgroup v2 (one hierarchy) is used where
the host has it with the memory, pids and cpu controllers; else cgroup v1 (a folder per controller). Both need
write access to the hierarchy (a root grader, or a delegated hierarchy); where there is none, ``make_cgroup``
says why and the grader falls back to rlimits alone, with a warning (``confinement_warnings``).
The kernel never sees the hierarchy: the sandbox mounts no /sys.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PREFIX = "autograder-"
_V1_CONTROLLERS = ("memory", "pids", "cpu", "cpuacct")
_V2_CONTROLLERS = ("memory", "pids", "cpu")
_V1_PERIOD_US = 100_000
_groups = itertools.count()


class CgroupUnavailable(RuntimeError):
    """This host gives the grader no cgroup hierarchy it can write; the message says why."""


@dataclass
class KernelCgroup:
    """One kernel's group: one folder (v2) or one folder per controller (v1)."""

    version: int
    folders: dict[str, Path]  # controller -> folder; v2 has one folder under every controller's name
    _removed: bool = field(default=False, repr=False)

    def join(self) -> None:
        """Move the calling process into the group (the kernel's child, between fork and exec)."""
        pid = str(os.getpid())
        for folder in sorted(set(self.folders.values())):
            (folder / "cgroup.procs").write_text(pid)

    def set_idle(self, idle: bool) -> bool:
        """Give the group the idle CPU share (``cpu.idle``: its processes run only on a core no other group wants,
        and a waking process of another group preempts them at once) or the normal one, equal with every kernel's.
        Where the kernel lacks ``cpu.idle`` (before Linux 5.15), the smallest CPU weight instead. False where the
        files cannot be written."""
        folder = self.folders["cpu"]
        try:
            if (folder / "cpu.idle").exists():
                (folder / "cpu.idle").write_text("1" if idle else "0")
            elif self.version == 2:
                (folder / "cpu.weight").write_text("1" if idle else "100")
            else:
                (folder / "cpu.shares").write_text("2" if idle else "1024")
        except OSError:
            return False
        return True

    def cpu_seconds(self) -> float:
        """CPU time of every process the group ever held (user and system)."""
        try:
            if self.version == 2:
                stat = _keyed(self.folders["cpu"] / "cpu.stat")
                return stat.get("usage_usec", 0) / 1e6
            return int((self.folders["cpuacct"] / "cpuacct.usage").read_text()) / 1e9
        except (OSError, ValueError):
            return 0.0

    def memory_kills(self) -> int:
        """How many processes the group's memory limit killed."""
        try:
            if self.version == 2:
                return _keyed(self.folders["memory"] / "memory.events").get("oom_kill", 0)
            return _keyed(self.folders["memory"] / "memory.oom_control").get("oom_kill", 0)
        except (OSError, ValueError):
            return 0

    def processes(self) -> list[int]:
        pids: set[int] = set()
        for folder in set(self.folders.values()):
            try:
                pids.update(int(line) for line in (folder / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                continue
        return sorted(pids)

    def kill(self) -> None:
        """Kill everything in the group, however it detached from the kernel."""
        kill_file = self.folders["memory"] / "cgroup.kill" if self.version == 2 else None
        if kill_file is not None and kill_file.exists():
            try:
                kill_file.write_text("1")
            except OSError:
                pass
        for _ in range(50):
            pids = self.processes()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.02)

    def remove(self) -> None:
        """Kill what is left and remove the group's folders."""
        if self._removed:
            return
        self.kill()
        for folder in sorted(set(self.folders.values())):
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # busy while the last process is being reaped
                    time.sleep(0.02)
        self._removed = True


def make_cgroup(memory_bytes: int | None, processes: int, cpus: float | None = None,
                root: Path = CGROUP_ROOT) -> KernelCgroup:
    """A new group for one kernel with these limits; raises CgroupUnavailable (with the reason) where none
    can be made. ``memory_bytes`` None: no memory limit; ``cpus`` None: an equal CPU weight only, else also a
    hard cap of that many CPUs."""
    name = f"{PREFIX}{os.getpid()}-{next(_groups)}"
    if (root / "cgroup.controllers").exists():
        return _make_v2(root, name, memory_bytes, processes, cpus)
    if all((root / controller / "cgroup.procs").exists() for controller in _V1_CONTROLLERS):
        return _make_v1(root, name, memory_bytes, processes, cpus)
    raise CgroupUnavailable(f"{root} holds neither a cgroup v2 hierarchy nor cgroup v1's memory, pids, cpu and "
                            "cpuacct controllers")


def _make_v2(root: Path, name: str, memory_bytes: int | None, processes: int, cpus: float | None) -> KernelCgroup:
    available = set((root / "cgroup.controllers").read_text().split())
    missing = [c for c in _V2_CONTROLLERS if c not in available]
    if missing:
        raise CgroupUnavailable(f"the cgroup v2 hierarchy at {root} lacks the {', '.join(missing)} controller(s)")
    enabled = set((root / "cgroup.subtree_control").read_text().split())
    try:
        if not set(_V2_CONTROLLERS) <= enabled:
            (root / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in _V2_CONTROLLERS))
        folder = root / name
        folder.mkdir()
    except OSError as error:
        raise CgroupUnavailable(f"cannot create a cgroup under {root} ({error.strerror}); run the grader as root "
                                "or give it a delegated cgroup") from None
    group = KernelCgroup(2, {controller: folder for controller in _V1_CONTROLLERS})
    try:
        if memory_bytes is not None:
            (folder / "memory.max").write_text(str(memory_bytes))
            if (folder / "memory.swap.max").exists():
                (folder / "memory.swap.max").write_text("0")
        (folder / "pids.max").write_text(str(processes))
        if cpus is not None:
            (folder / "cpu.max").write_text(f"{int(cpus * _V1_PERIOD_US)} {_V1_PERIOD_US}")
    except OSError as error:
        group.remove()
        raise CgroupUnavailable(f"cannot set the limits of {folder} ({error.strerror})") from None
    return group


def _make_v1(root: Path, name: str, memory_bytes: int | None, processes: int, cpus: float | None) -> KernelCgroup:
    folders = {controller: root / controller / name for controller in _V1_CONTROLLERS}
    group = KernelCgroup(1, {})
    try:
        for controller, folder in folders.items():
            if not folder.exists():  # cpu and cpuacct may be one mount ("cpu,cpuacct")
                folder.mkdir()
            group.folders[controller] = folder
    except OSError as error:
        group.remove()
        raise CgroupUnavailable(f"cannot create a cgroup under {root} ({error.strerror}); run the grader as root "
                                "or give it a delegated cgroup") from None
    try:
        memory = folders["memory"]
        if memory_bytes is not None:
            (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
            if (memory / "memory.memsw.limit_in_bytes").exists():  # no swapping past the limit
                (memory / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
        (folders["pids"] / "pids.max").write_text(str(processes))
        if cpus is not None:
            (folders["cpu"] / "cpu.cfs_period_us").write_text(str(_V1_PERIOD_US))
            (folders["cpu"] / "cpu.cfs_quota_us").write_text(str(int(cpus * _V1_PERIOD_US)))
    except OSError as error:
        group.remove()
        raise CgroupUnavailable(f"cannot set the limits of {name} under {root} ({error.strerror})") from None
    return group


def remove_stale_cgroups(root: Path = CGROUP_ROOT, owner: int | None = None) -> None:
    """Remove the groups of graders that were killed (their pid is in the group's name), killing what is left
    in them; with ``owner``, every group of that grader process instead (a test suite that made kernels)."""
    stale: dict[str, list[Path]] = {}
    for folder in [*root.glob(f"{PREFIX}*-*"), *root.glob(f"*/{PREFIX}*-*")]:
        pid = folder.name[len(PREFIX):].split("-", 1)[0]
        if pid.isdigit() and (int(pid) == owner if owner is not None else not Path(f"/proc/{pid}").exists()):
            stale.setdefault(folder.name, []).append(folder)
    if (root / "cgroup.controllers").exists():
        for folders in stale.values():
            KernelCgroup(2, dict.fromkeys(_V1_CONTROLLERS, folders[0])).remove()
    else:  # a folder per controller, named by its parent (cpu and cpuacct may be one "cpu,cpuacct" mount)
        for folders in stale.values():
            KernelCgroup(1, {folder.parent.name: folder for folder in folders}).remove()


def _keyed(path: Path) -> dict[str, int]:
    """A ``key value`` file (cpu.stat, memory.events, memory.oom_control)."""
    values = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            values[parts[0]] = int(parts[1])
    return values
