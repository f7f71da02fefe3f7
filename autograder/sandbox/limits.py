"""Operating-system limits for a kernel, applied in the child just before it execs.

Processes: RLIMIT_NPROC counts every process of a user, and root is exempt from it, so a grader running
as root has the sandbox start each kernel as an unprivileged uid of its own (``sandbox_uid``); that also keeps
the kernel from reading anything that is not world-readable. One uid per kernel, not one for all: the count is
per uid across the machine, so kernels sharing a uid shared one budget, and a fork bomb in one submission kept
the kernel of the next from starting its threads. A grader that is not root keeps its uid, and the limit allows
its current processes plus the sandbox's share.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import resource
import signal
from dataclasses import dataclass
from pathlib import Path

GIB = 1024**3
SANDBOX_UID_BASE = 200_000  # kernels of a root grader run as uids from here on, one per kernel; no user owns them
_kernels = itertools.count()


@dataclass(frozen=True)
class ResourceLimits:
    address_space_bytes: int | None = 4 * GIB  # None on GPU workers: CUDA reserves large virtual ranges
    processes: int = 256  # threads count too (TensorFlow starts dozens)
    file_size_bytes: int = 1 * GIB
    cpu_seconds: int = 3600
    open_files: int = 1024
    # Bounds of the kernel's cgroup (sandbox/cgroup.py): its processes' memory plus what it keeps in tmpfs files
    # and the page cache (None: none), and a hard cap in CPUs (None: only a CPU weight equal to every kernel's).
    memory_bytes: int | None = 4 * GIB
    cpus: float | None = None
    tmp_bytes: int = 512 * 1024**2  # the private /tmp, a tmpfs of this size
    # The work folder, a tmpfs of this size where the grader can mount one (root); larger than the largest file,
    # so that one file hits the file-size limit first.
    work_bytes: int = 2 * GIB

    def child_setup(self, drops_to_sandbox_uid: bool):
        """The function to run in the child before exec: resource limits, inherited by the kernel."""
        processes = self.processes if drops_to_sandbox_uid else self.processes + _processes_of(os.getuid())
        pairs = [(resource.RLIMIT_FSIZE, self.file_size_bytes), (resource.RLIMIT_CPU, self.cpu_seconds),
                 (resource.RLIMIT_NOFILE, self.open_files), (resource.RLIMIT_CORE, 0),
                 (resource.RLIMIT_NPROC, processes)]
        if self.address_space_bytes is not None:
            pairs.append((resource.RLIMIT_AS, self.address_space_bytes))

        def setup() -> None:
            for kind, value in pairs:
                resource.setrlimit(kind, (value, value))
            # A write past the file-size limit then fails with EFBIG (an OSError in the cell) instead of
            # killing the kernel.
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

        return setup


def sandbox_uid() -> int | None:
    """A fresh uid for one kernel when the grader is root; None otherwise (the kernel keeps the grader's uid).

    Unique among the kernels of this grader process (1,024 in turn, and a kernel lives for one submission) and,
    through the process id, among graders sharing the machine (Dask workers).
    """
    if os.geteuid() != 0:
        return None
    return SANDBOX_UID_BASE + (os.getpid() % 4096) * 1024 + next(_kernels) % 1024


def is_sandbox_uid(uid: int) -> bool:
    """Whether ``uid`` is one that ``sandbox_uid`` hands out (a kernel's process, for leftover checks)."""
    return SANDBOX_UID_BASE <= uid < SANDBOX_UID_BASE + 4096 * 1024


def _processes_of(uid: int) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += 1
            except OSError:
                continue
    return count


_MNT_DETACH = 2
WORK_FILES = 100_000  # files and folders a kernel may make in its work folder


def limit_folder_size(folder: Path, size_bytes: int) -> str:
    """Make ``folder`` (empty) a tmpfs of ``size_bytes``, so what a kernel writes there is bounded (and counted
    in its cgroup's memory, not on the host's disk). Needs root; returns why it could not, or "" when it did."""
    if os.geteuid() != 0:
        return "the grader is not root"
    libc = ctypes.CDLL(None, use_errno=True)
    # nr_inodes: files cost kernel memory outside the size (a million empty files are about a GiB of it)
    options = f"size={int(size_bytes)},nr_inodes={WORK_FILES},mode=0700".encode()
    if libc.mount(b"tmpfs", str(folder).encode(), b"tmpfs", 0, options) != 0:
        return f"mount failed: {os.strerror(ctypes.get_errno())}"
    return ""


def folder_quota_warnings() -> list[str]:
    """Why kernels' work folders get no quota on this host (tried on a scratch folder), for the tutor."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="autograder-quota-") as scratch:
        problem = limit_folder_size(Path(scratch), 1024**2)
        release_folder(Path(scratch))
    if not problem:
        return []
    return [f"kernels' work folders get no size quota ({problem}): only the largest file a kernel writes is bounded"]


def release_folder(folder: Path) -> None:
    """Unmount what ``limit_folder_size`` mounted on ``folder`` (its files go with it); nothing if nothing."""
    if os.geteuid() == 0 and os.path.ismount(folder):
        ctypes.CDLL(None, use_errno=True).umount2(str(folder).encode(), _MNT_DETACH)
