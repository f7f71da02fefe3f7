"""Where a student's kernel runs. One small interface, several backends: ``BACKENDS`` names each backend's module
and class, so adding one is one file and one line there (the CLI's ``--sandbox`` choices are its keys).

A backend's life: ``check()`` before grading (can it run here? if not, ``SandboxUnavailable`` says what to
install or start), then per kernel ``prepare``, ``command`` (the kernel's command line, confined),
``environment``, ``preexec``, and ``stop`` once the kernel has ended (remove its container or cgroup, with
whatever it left running). Everything a backend knows comes from the job's ``KernelSpec``: it knows nothing of
assignments, scales or data sets; the grader never needs to know which backend runs.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from autograder.sandbox.limits import ResourceLimits


class SandboxUnavailable(RuntimeError):
    """The backend cannot run on this machine; the message says what to install or start."""


@dataclass(frozen=True)
class KernelPlace:
    """The folders of one kernel: ``work`` (its cwd and HOME) and ``connection`` (ipc sockets)."""

    work: Path
    connection: Path


@dataclass(frozen=True)
class KernelSpec:
    """What a kernel gets, from the job: its limits, the one GPU it may use (None: CPU only), its thread count and
    Keras backend, the container image (docker), the variables the assignment adds to its environment, and the
    folders the assignment's data lies in (the kernel may read them, nothing more)."""

    limits: ResourceLimits = field(default_factory=ResourceLimits)
    gpu: str | None = None
    threads: int = 1
    keras_backend: str = "tensorflow"
    image: str | None = None
    environment: tuple[tuple[str, str], ...] = ()
    data: tuple[str, ...] = ()


class Sandbox(Protocol):
    name: str

    def check(self) -> None:
        """Raise SandboxUnavailable, saying what to install or start, unless kernels can run here."""

    def prepare(self, place: KernelPlace) -> None:
        """Get the kernel's folders ready (ownership, say) after the grader filled them."""

    def command(self, argv: list[str], place: KernelPlace) -> list[str]:
        """The command that runs ``argv`` confined to ``place``."""

    def environment(self, place: KernelPlace) -> dict[str, str]:
        """The kernel's environment variables."""

    def preexec(self) -> Callable[[], None] | None:
        """Run in the child before exec (resource limits), or None."""

    def set_idle(self, idle: bool) -> bool:
        """Give the kernel's whole group (its cgroup) the idle CPU share, or the normal one again; False where that
        failed. A backend without a group of its own does nothing (the kernel's threads get idle priority anyway)."""

    def cpu_seconds(self) -> float | None:
        """CPU time of everything the kernel ran so far, where the backend counts it (None: it does not)."""

    def memory_kills(self) -> int:
        """How many of the kernel's processes its memory limit killed (so a death is ``memory-limit``)."""

    def stop(self, place: KernelPlace) -> None:
        """Remove what the backend made for the kernel (its container, its cgroup), once the kernel is stopped."""

    def warnings(self) -> list[str]:
        """Limits this host cannot enforce, told to the tutor before grading."""


def kernel_environment(place: KernelPlace, spec: KernelSpec, home: str | None = None) -> dict[str, str]:
    """Variables every kernel gets: its own HOME and config folders, fixed seeds and thread counts, the one
    GPU it may use (none: CUDA_VISIBLE_DEVICES is empty, so grading is on the CPU), the job's Keras backend, and
    what the assignment adds (the grading scale, which data the notebook loads; the hidden tests get the scale
    from the checker, never from the kernel). Nothing comes from the grader's own environment but PATH and the
    locale."""
    home = home or str(place.work)
    threads = spec.threads
    keep = {name: os.environ[name] for name in ("PATH", "LANG", "LC_ALL", "TZ") if name in os.environ}
    return {
        **keep,
        "HOME": home,
        # The kernel's uid has no passwd entry: getpass.getuser() (torch's caches, for one) reads these first.
        "USER": "student",
        "LOGNAME": "student",
        "IPYTHONDIR": f"{home}/.ipython",
        "MPLCONFIGDIR": f"{home}/.matplotlib",
        "KERAS_HOME": f"{home}/.keras",
        "JUPYTER_CONFIG_DIR": f"{home}/.jupyter",
        "JUPYTER_DATA_DIR": f"{home}/.local/share/jupyter",
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        # OpenBLAS (numpy's and scipy's) otherwise starts a thread with a large buffer per core: on a 16-core
        # machine that alone exhausted the 4 GiB address-space limit.
        "OPENBLAS_NUM_THREADS": str(threads),
        "NUMEXPR_NUM_THREADS": str(threads),
        "TF_NUM_INTRAOP_THREADS": str(threads),
        "TF_NUM_INTEROP_THREADS": "1",
        "CUDA_VISIBLE_DEVICES": spec.gpu or "",
        "TF_FORCE_GPU_ALLOW_GROWTH": "true",
        "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
        "PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True",
        "CUBLAS_WORKSPACE_CONFIG": ":4096:8",  # needed for deterministic cuBLAS results in PyTorch
        "TF_DETERMINISTIC_OPS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "MALLOC_ARENA_MAX": "2",
        "KERAS_BACKEND": spec.keras_backend,
        **dict(spec.environment),
    }


class NoSandbox:
    """Runs the kernel as a plain child process: for trusted notebooks only (the tutor's own)."""

    name = "none"

    def __init__(self, spec: KernelSpec):
        self.spec = spec

    def check(self) -> None:
        pass

    def prepare(self, place: KernelPlace) -> None:
        pass

    def command(self, argv: list[str], place: KernelPlace) -> list[str]:
        return argv

    def environment(self, place: KernelPlace) -> dict[str, str]:
        return kernel_environment(place, self.spec)

    def preexec(self):
        return None

    def set_idle(self, idle: bool) -> bool:
        return True

    def cpu_seconds(self) -> float | None:
        return None

    def memory_kills(self) -> int:
        return 0

    def stop(self, place: KernelPlace) -> None:
        pass

    def warnings(self) -> list[str]:
        return []


# name -> "module:class"; each class is built from a KernelSpec and has the Sandbox methods.
BACKENDS = {
    "bubblewrap": "autograder.sandbox.bubblewrap:Bubblewrap",
    "docker": "autograder.sandbox.docker:Docker",
    "none": "autograder.sandbox:NoSandbox",
}
DEFAULT = "bubblewrap"


def make_sandbox(name: str, limits: ResourceLimits | None = None, *, gpu: str | None = None, threads: int = 1,
                 keras_backend: str = "tensorflow", image: str | None = None, environment: dict | None = None,
                 data: tuple[str, ...] = ()) -> Sandbox:
    """The named backend for one kernel of this spec (``KernelSpec``); ValueError for an unknown name. Whether
    it can run here is its ``check()``."""
    if name not in BACKENDS:
        raise ValueError(f"unknown sandbox {name!r}; choose one of {', '.join(BACKENDS)}")
    module, _, cls = BACKENDS[name].partition(":")
    spec = KernelSpec(limits or ResourceLimits(), gpu, threads, keras_backend, image,
                      tuple(sorted((environment or {}).items())), tuple(data))
    return getattr(importlib.import_module(module), cls)(spec)
