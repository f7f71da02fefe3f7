"""Operating-system limits for a kernel, applied in the child just before it execs.

Processes: RLIMIT_NPROC counts every process of a user, and root is exempt from it, so a grader running
as root has the sandbox start kernels as an unprivileged user (``SANDBOX_UID``); that also keeps the kernel
from reading anything that is not world-readable. A grader that is not root keeps its uid, and the limit
allows its current processes plus the sandbox's share.
"""

from __future__ import annotations

import os
import resource
import signal
from dataclasses import dataclass

GIB = 1024**3
SANDBOX_UID = 65534  # nobody


@dataclass(frozen=True)
class ResourceLimits:
    address_space_bytes: int | None = 4 * GIB  # None on GPU workers: CUDA reserves large virtual ranges
    processes: int = 256  # threads count too (TensorFlow starts dozens)
    file_size_bytes: int = 1 * GIB
    cpu_seconds: int = 3600
    open_files: int = 1024

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
    """The uid kernels run as: ``SANDBOX_UID`` when the grader is root, else the grader's own (None)."""
    return SANDBOX_UID if os.geteuid() == 0 else None


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
