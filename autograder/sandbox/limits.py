"""Operating-system resource limits for a kernel, applied in the child before it execs."""

from __future__ import annotations

import resource
from dataclasses import dataclass

GIB = 1024**3


@dataclass(frozen=True)
class ResourceLimits:
    address_space_bytes: int | None = 4 * GIB  # RLIMIT_AS; None on GPU workers (CUDA reserves large ranges)
    file_size_bytes: int = 1 * GIB
    cpu_seconds: int = 3600
    open_files: int = 1024

    def apply(self) -> None:
        pairs = [(resource.RLIMIT_FSIZE, self.file_size_bytes), (resource.RLIMIT_CPU, self.cpu_seconds),
                 (resource.RLIMIT_NOFILE, self.open_files), (resource.RLIMIT_CORE, 0)]
        if self.address_space_bytes is not None:
            pairs.append((resource.RLIMIT_AS, self.address_space_bytes))
        for kind, value in pairs:
            resource.setrlimit(kind, (value, value))
