"""Kernels ready for a submission: started in their sandbox, set up, with the course's libraries imported.

``prepare_kernel`` makes one (cold). ``WarmKernels`` always has the next one being prepared in the
background while the current submission is graded, so the kernel's start and TensorFlow's import leave the
critical path. Either way each kernel serves exactly one submission and is then destroyed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.assignment import Assignment, Manifest
from autograder.bridge import Bridge
from autograder.datasets import kernel_needs
from autograder.kernel import KernelSession, KernelStartError
from autograder.kernel_setup import preload_code, setup_code
from autograder.processes import IDLE_NICENESS, enter_idle_priority, set_normal_priority
from autograder.sandbox import KernelPlace, make_sandbox
from autograder.sandbox.cgroup import remove_stale_cgroups
from autograder.sandbox.limits import limit_folder_size, release_folder

WORKDIR_PREFIX = "autograder-"
SETUP_TIMEOUT_S = 300  # importing TensorFlow or torch on a busy machine can take a while


@dataclass
class PreparedKernel:
    folder: Path
    place: KernelPlace
    kernel: KernelSession
    bridge: Bridge
    problem: str = ""  # why the kernel is not usable, if it is not
    sandbox: object = field(default=None, repr=False)
    # seconds: "start" (the process), "setup" (agent, imports, seeds), "imports" (of which the assignment's libraries)
    timings: dict = field(default_factory=dict)

    def add_notebook(self, file_name: str, data: bytes) -> None:
        path = self.place.work / file_name
        path.write_bytes(data)
        self.sandbox.prepare(self.place)

    def close(self) -> None:
        self.kernel.shutdown()
        self.sandbox.stop(self.place)  # its container or its cgroup, with anything left running in it
        release_folder(self.place.work)
        shutil.rmtree(self.folder, ignore_errors=True)


def keras_backend(options) -> str:
    """The kernels' Keras backend: the job's (planned), else this process's $KERAS_BACKEND, else tensorflow."""
    return options.keras_backend or os.environ.get("KERAS_BACKEND") or "tensorflow"


def kernel_sandbox(options):
    """The sandbox of one kernel of these (planned) options: the job's kernel spec, with what its scale adds."""
    environment, data = kernel_needs(options.scale)
    return make_sandbox(options.sandbox, options.limits, gpu=options.gpu, threads=options.threads,
                        keras_backend=keras_backend(options), image=options.image, environment=environment, data=data)


def prepare_kernel(assignment: Assignment, manifest: Manifest, options,
                   idle: IdlePriority | None = None) -> PreparedKernel:
    """A started kernel with the agent installed and the assignment's libraries imported. ``idle``: it starts at
    the lowest CPU priority (a warm kernel prepared while another grades), so it only uses a core nobody needs,
    until ``idle.lift`` (``WarmKernels.take``) gives it normal priority back."""
    folder = Path(tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-"))
    place = KernelPlace(folder / "work", folder / "conn")
    place.work.mkdir()
    place.connection.mkdir()
    limit_folder_size(place.work, options.limits.work_bytes)  # where it cannot, the sandbox's warnings say so
    for relative in manifest.support_files:
        target = place.work / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(assignment.public_dir / relative, target)
    sandbox = kernel_sandbox(options)
    preexec = sandbox.preexec()  # makes the kernel's cgroup, if it has one, which ``idle.wrap`` then makes idle
    if idle is not None:
        preexec = idle.wrap(sandbox, preexec)
    kernel = KernelSession(lambda argv: sandbox.command(argv, place), place.work, place.connection,
                           sandbox.environment(place), preexec=preexec,
                           prepare=lambda: sandbox.prepare(place), cpu_seconds=sandbox.cpu_seconds)
    kernel.limits.output_bytes_per_cell = options.output_bytes_per_cell
    kernel.limits.bridge_bytes_per_call = options.bridge_bytes_per_call
    prepared = PreparedKernel(folder, place, kernel, Bridge(kernel, call_timeout=options.call_timeout_s),
                              sandbox=sandbox)
    started = time.monotonic()
    try:
        kernel.start()
    except KernelStartError as error:
        prepared.problem = f"the kernel did not start: {error}"
        return prepared
    prepared.timings["start"] = time.monotonic() - started
    if idle is not None:
        idle.started(kernel.process.pid)
    steps = {"agent": prepared.bridge.install_code(), "imports": preload_code(tuple(manifest.preload)),
             "seeds": setup_code(options.seed, options.output_bytes_per_cell)}
    for step, code in steps.items():
        run = kernel.execute(code, timeout=SETUP_TIMEOUT_S, store_history=False)
        if step == "imports":
            prepared.timings["imports"] = run.seconds
        if run.status != "ok":
            prepared.problem = f"the grader could not set up the kernel: {run.error_name} {run.error_value}"
            break
    prepared.timings["setup"] = time.monotonic() - started - prepared.timings["start"]
    return prepared


class IdlePriority:
    """A warm kernel's CPU priority while it is prepared: idle until ``lift``, which may come before it has started
    (``take`` wants it now: it must not wait behind the other worker's kernel at idle priority) or after. Idle is
    both its cgroup's share (``Sandbox.set_idle``: a cgroup competes with the others as a whole, whatever its
    threads' niceness) and its threads' own priority (where there is no cgroup)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._idle = True
        self._sandbox = None
        self._pid: int | None = None
        self.lifted = True  # whether the kernel got normal priority back (False: not allowed, not root)

    def wrap(self, sandbox, inner):
        """The pre-exec of the kernel's process: at idle priority, in an idle cgroup, unless lifted already."""
        with self._lock:
            self._sandbox = sandbox
            if not self._idle:
                return inner
            sandbox.set_idle(True)

        def setup() -> None:
            if self._idle:  # this process's copy of the flag, at the fork
                enter_idle_priority()
            if inner is not None:
                inner()

        return setup

    def started(self, pid: int) -> None:
        with self._lock:
            self._pid = pid
            if not self._idle:  # lifted while it was starting, so it may have forked at idle priority
                self.lifted = set_normal_priority(pid)

    def lift(self) -> None:
        """Normal priority for the kernel's group and every thread it has (again after it is ready: a thread it
        created while this ran may have been missed)."""
        with self._lock:
            self._idle = False
            lifted = self._sandbox.set_idle(False) if self._sandbox is not None else True
            if self._pid is not None:
                lifted = set_normal_priority(self._pid) and lifted
            self.lifted = lifted


def remove_stale_workdirs() -> None:
    """Remove the kernel folders and cgroups of graders that were killed (their pid is in the names)."""
    remove_stale_cgroups()
    for folder in Path(tempfile.gettempdir()).glob(f"{WORKDIR_PREFIX}*-*"):
        pid = folder.name[len(WORKDIR_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            release_folder(folder / "work")
            shutil.rmtree(folder, ignore_errors=True)


class KernelBudget:
    """How many more kernels a batch needs, shared by its workers, so none is prepared for nothing."""

    def __init__(self, needed: int):
        self._left = needed
        self._lock = threading.Lock()

    def claim(self) -> bool:
        with self._lock:
            if self._left <= 0:
                return False
            self._left -= 1
            return True


class WarmKernels:
    """One worker's supply of kernels: ``take`` returns a ready kernel and starts preparing the next."""

    def __init__(self, assignment: Assignment, manifest: Manifest, options, budget: KernelBudget):
        self._args = (assignment, manifest, options)
        self._budget = budget
        self._next: PreparedKernel | None = None
        self._thread: threading.Thread | None = None
        self._start_next()

    def _start_next(self) -> None:
        if not self._budget.claim():
            self._thread = None
            return

        priority = self._priority = IdlePriority()

        def work() -> None:
            self._next = prepare_kernel(*self._args, idle=priority)

        self._thread = threading.Thread(target=work, name="warm-kernel", daemon=True)
        self._thread.start()

    def take(self) -> PreparedKernel:
        if self._thread is None:  # the budget ran out early (another worker took more): prepare one now
            return prepare_kernel(*self._args)
        self._priority.lift()  # if it is not ready yet, the rest of its preparation is on the critical path
        self._thread.join()
        self._priority.lift()
        kernel, self._next = self._next, None
        if not self._priority.lifted:
            kernel.timings["niceness"] = IDLE_NICENESS  # not root: it grades at idle priority, as all warm ones do
        self._start_next()
        return kernel

    def close(self) -> None:
        if self._thread is not None:
            self._thread.join()
        if self._next is not None:
            self._next.close()
            self._next = None
