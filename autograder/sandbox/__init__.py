"""Where a student's kernel runs. One small interface, several backends (see ``BACKENDS``).

A backend turns the kernel's command line into a confined one and says which environment the
kernel gets. The grader never needs to know which backend runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from autograder.datasets import SCALE_VARIABLE


@dataclass(frozen=True)
class KernelPlace:
    """The folders of one kernel: ``work`` (its cwd and HOME) and ``connection`` (ipc sockets)."""

    work: Path
    connection: Path


class Sandbox(Protocol):
    name: str

    def prepare(self, place: KernelPlace) -> None:
        """Get the kernel's folders ready (ownership, say) after the grader filled them."""

    def wrap(self, argv: list[str], place: KernelPlace) -> list[str]:
        """The command that runs ``argv`` confined to ``place``."""

    def environment(self, place: KernelPlace) -> dict[str, str]:
        """The kernel's environment variables."""

    def preexec(self) -> Callable[[], None] | None:
        """Run in the child before exec (resource limits), or None."""

    def cpu_seconds(self) -> float | None:
        """CPU time of everything the kernel ran so far, where the backend counts it (None: it does not)."""

    def memory_kills(self) -> int:
        """How many of the kernel's processes its memory limit killed (so a death is ``memory-limit``)."""

    def cleanup(self, place: KernelPlace) -> None:
        """Remove what the backend made for the kernel (its container, its cgroup), once the kernel is stopped."""

    def warnings(self) -> list[str]:
        """Limits this host cannot enforce, told to the tutor before grading."""


def kernel_environment(place: KernelPlace, home: str | None = None, gpu: str | None = None,
                       threads: int = 1, scale: str = "small", keras_backend: str = "tensorflow") -> dict[str, str]:
    """Variables every kernel gets: its own HOME and config folders, fixed seeds and thread counts, the one
    GPU it may use (none: CUDA_VISIBLE_DEVICES is empty, so grading is on the CPU), the job's Keras backend and
    the grading scale (which data the notebook loads; the hidden tests get the scale from the checker, never from
    the kernel). Nothing comes from the grader's own environment but PATH and the locale."""
    home = home or str(place.work)
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
        "CUDA_VISIBLE_DEVICES": gpu or "",
        "TF_FORCE_GPU_ALLOW_GROWTH": "true",
        "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
        "PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True",
        "CUBLAS_WORKSPACE_CONFIG": ":4096:8",  # needed for deterministic cuBLAS results in PyTorch
        "TF_DETERMINISTIC_OPS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "MALLOC_ARENA_MAX": "2",
        "KERAS_BACKEND": keras_backend,
        SCALE_VARIABLE: scale,
    }


class NoSandbox:
    """Runs the kernel as a plain child process: for trusted notebooks only (the tutor's own)."""

    name = "none"

    def __init__(self, gpu: str | None = None, threads: int = 1, scale: str = "small",
                 keras_backend: str = "tensorflow"):
        self.gpu, self.threads, self.scale, self.keras_backend = gpu, threads, scale, keras_backend

    def prepare(self, place: KernelPlace) -> None:
        pass

    def wrap(self, argv: list[str], place: KernelPlace) -> list[str]:
        return argv

    def environment(self, place: KernelPlace) -> dict[str, str]:
        return kernel_environment(place, gpu=self.gpu, threads=self.threads, scale=self.scale,
                                  keras_backend=self.keras_backend)

    def preexec(self):
        return None

    def cpu_seconds(self) -> float | None:
        return None

    def memory_kills(self) -> int:
        return 0

    def cleanup(self, place: KernelPlace) -> None:
        pass

    def warnings(self) -> list[str]:
        return []


def _bubblewrap(limits, image: str | None = None, **device) -> Sandbox:
    from autograder.sandbox.bubblewrap import Bubblewrap

    return Bubblewrap(limits, **device)


def _docker(limits, image: str | None = None, **device) -> Sandbox:
    """The image is the job's (``--image``; job.plan_job resolves it), else the default."""
    from autograder.sandbox.docker import DEFAULT_IMAGE, Docker

    return Docker(limits, image=image or DEFAULT_IMAGE, **device)


BACKENDS: dict[str, Callable[..., Sandbox]] = {
    "bubblewrap": _bubblewrap,
    "docker": _docker,
    "none": lambda limits, image=None, **device: NoSandbox(**device),
}
DEFAULT = "bubblewrap"


def make_sandbox(name: str, limits=None, gpu: str | None = None, threads: int = 1, scale: str = "small",
                 keras_backend: str = "tensorflow", image: str | None = None) -> Sandbox:
    """The named backend; raises ValueError (unknown name) or RuntimeError (cannot run here).

    ``gpu`` is the device the kernel may use (None: CPU only); ``threads`` its fixed thread count; ``scale``
    the grading scale its notebook is told (``AUTOGRADER_SCALE``); ``keras_backend`` its ``KERAS_BACKEND``;
    ``image`` the container image of the docker backend."""
    if name not in BACKENDS:
        raise ValueError(f"unknown sandbox {name!r}; choose one of {', '.join(BACKENDS)}")
    return BACKENDS[name](limits, image=image, gpu=gpu, threads=threads, scale=scale, keras_backend=keras_backend)
