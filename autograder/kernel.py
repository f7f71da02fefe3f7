"""One Jupyter kernel for one submission: start it, run code in it with limits, stop it.

The kernel is a plain ``ipykernel`` process that we launch ourselves (through a sandbox's
command wrapper) and talk to over ZeroMQ ``ipc`` sockets in a private folder, never TCP.
Nothing the kernel prints is trusted; this module only reports what happened.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

from autograder.bridge.agent import MIME as BRIDGE_MIME
from autograder.processes import ThreadWaits, process_tree_cpu_seconds

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
INTERRUPT_GRACE_S = 5.0
# A run's limit counts the kernel's own time (see ``execute``); waiting for a core stretches it up to this backstop
# of wall-clock time, past which the run ends as "overloaded": the grader, not the student, ran out of time.
OVERLOAD_FACTOR = 5.0
OVERLOAD_SLACK_S = 10.0
# Kernels are started from this one long-lived thread. bubblewrap's --die-with-parent (PR_SET_PDEATHSIG)
# fires when the *thread* that forked it exits, so a kernel started from a short-lived thread (a warm-kernel
# helper) would be killed as soon as that thread ended.
_LAUNCHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kernel-launcher")


class KernelStartError(RuntimeError):
    """The kernel process did not come up."""


@dataclass
class CellRun:
    """What happened when one piece of code ran in the kernel."""

    status: str  # "ok", "error", "timeout", "overloaded" (the machine, not the code, was too slow) or "died"
    seconds: float  # wall-clock
    own_seconds: float = 0.0  # wall-clock less the time the kernel's threads waited for a core
    error_name: str = ""
    error_value: str = ""
    traceback: str = ""
    output_bytes: int = 0
    output_truncated: bool = False
    bridge_payloads: list[str] = field(default_factory=list)  # only when the grader asked for bridge answers
    bridge_overflow: int = 0  # bytes of bridge answers past the limit (then none of them is kept)
    kernel_alive: bool = True


@dataclass
class KernelLimits:
    """Per-kernel limits; the sandbox applies the operating-system ones."""

    output_bytes_per_cell: int = 1_000_000
    # The kernel's answers to one bridge request; a student's own display messages of the bridge's type are
    # output like any other (counted against the output limit, never kept).
    bridge_bytes_per_call: int = 256 * 1024 * 1024
    # Starting is measured in the kernel's own CPU seconds, so a busy machine does not fail a kernel that is
    # merely waiting for a core; the wall-clock backstop catches a kernel that hangs without computing.
    startup_cpu_s: float = 60.0
    startup_wall_s: float = 900.0


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


class KernelSession:
    """A kernel process and a client connected to it over ``ipc`` sockets in ``connection_dir``."""

    def __init__(self, argv_wrapper, workdir: Path, connection_dir: Path, env: dict[str, str],
                 limits: KernelLimits | None = None, log_path: Path | None = None, preexec=None, prepare=None,
                 cpu_seconds=None):
        self.workdir = Path(workdir)
        self.connection_dir = Path(connection_dir)
        self.limits = limits or KernelLimits()
        self._wrap = argv_wrapper
        self._env = env
        self._log_path = log_path or self.connection_dir / "kernel.log"
        self._preexec = preexec
        self._prepare = prepare  # called once the connection file exists, before the kernel starts
        self._cpu_seconds = cpu_seconds  # the sandbox's count of the kernel's CPU time (its cgroup), if it has one
        self.process: subprocess.Popen | None = None
        self.client: BlockingKernelClient | None = None
        self.own_seconds = 0.0  # of every run so far, for a notebook's limit
        self._waits = ThreadWaits()

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        connection_file, _ = write_connection_file(
            fname=str(self.connection_dir / "kernel.json"), transport="ipc",
            ip=str(self.connection_dir / "k"), key=os.urandom(32).hex().encode())
        if self._prepare is not None:
            self._prepare()
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", connection_file,
                "--HistoryManager.enabled=False", "--IPKernelApp.log_level=ERROR"]
        with open(self._log_path, "ab") as log:
            self.process = _LAUNCHER.submit(
                subprocess.Popen, self._wrap(argv), cwd=self.workdir, env=self._env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=log, start_new_session=True, preexec_fn=self._preexec).result()
        self.client = BlockingKernelClient()
        self.client.load_connection_file(connection_file)
        self.client.start_channels()
        self._wait_until_ready()

    def cpu_seconds(self) -> float:
        """CPU time the kernel's processes used so far: from its cgroup, else from its process tree."""
        if self._cpu_seconds is not None:
            used = self._cpu_seconds()
            if used is not None:
                return used
        return process_tree_cpu_seconds(self.process.pid) if self.process is not None else 0.0

    def _wait_until_ready(self) -> None:
        limits = self.limits
        deadline = time.monotonic() + limits.startup_wall_s
        while True:
            if self.cpu_seconds() > limits.startup_cpu_s:
                raise KernelStartError(f"the kernel used {limits.startup_cpu_s:.0f} s of CPU time without "
                                       "answering")
            if time.monotonic() > deadline:
                raise KernelStartError(f"the kernel did not answer within {limits.startup_wall_s:.0f} s and used "
                                       f"only {self.cpu_seconds():.1f} s of CPU time: the machine is overloaded "
                                       "(grade with fewer --workers)")
            if not self.alive():
                raise KernelStartError(f"the kernel exited while starting: {self.log_tail()}")
            msg_id = self.client.kernel_info()
            try:
                while True:
                    reply = self.client.get_shell_msg(timeout=1.0)
                    if reply["parent_header"].get("msg_id") == msg_id:
                        break
            except queue.Empty:
                continue
            if self._iopub_idle_after(msg_id):
                return
            # No idle status of that request on iopub yet: the subscription was still connecting (a SUB socket
            # drops what is published before it joins), so ask again; a later run's output must not be lost.

    def _iopub_idle_after(self, msg_id: str, timeout: float = 0.1) -> bool:
        """Whether iopub brings the kernel's idle status of request ``msg_id`` within ``timeout`` seconds: then
        the subscription is live and everything older is read. (Waiting for the channel to fall silent instead
        cost 0.2 s of every kernel's start.)"""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self.client.get_iopub_msg(timeout=left)
            except queue.Empty:
                return False
            parent, content = message.get("parent_header"), message.get("content")
            if (isinstance(parent, dict) and parent.get("msg_id") == msg_id and isinstance(content, dict)
                    and message.get("msg_type") == "status" and content.get("execution_state") == "idle"):
                return True
        return False

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, limit: int = 1500) -> str:
        try:
            return self._log_path.read_text(errors="replace")[-limit:].strip()
        except OSError:
            return ""

    def kill(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def shutdown(self) -> None:
        if self.client is not None:
            self.client.stop_channels()
        self.kill()

    def __enter__(self) -> KernelSession:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()

    # -- running code -----------------------------------------------------------------------
    def interrupt(self) -> None:
        message = self.client.session.msg("interrupt_request", content={})
        self.client.control_channel.send(message)

    def execute(self, code: str, timeout: float, store_history: bool = True, bridge_answers: bool = False) -> CellRun:
        """Run ``code``; past ``timeout`` seconds of the kernel's own time interrupt it (status "timeout"), and kill
        the kernel if that fails.

        The kernel's own time is the wall-clock time less the time its threads spent waiting for a core (their
        run-queue delay), so on a quiet machine it is the wall clock, and on a busy one code gets the time it would
        have had alone: sleeping and waiting count, being crowded out does not. Past ``OVERLOAD_FACTOR`` times the
        limit in wall-clock time the run ends anyway, as "overloaded".

        ``bridge_answers``: keep the display messages of the bridge's type (up to the limit), for a bridge request;
        otherwise they are the student's output."""
        if not self.alive():
            return CellRun("died", 0.0, kernel_alive=False)
        clock = _RunClock(self._waits, self.process.pid, max(timeout, 0.0))
        # A bridge request runs silently: no execute_input echo, no execution count, no displayhook and no
        # pre/post_run_cell hooks of the student's (its answer is display data, which still comes).
        msg_id = self.client.execute(code, silent=bridge_answers, store_history=store_history,
                                     allow_stdin=False, stop_on_error=False)
        run = CellRun("ok", 0.0)
        verdict = self._collect(msg_id, run, clock, bridge_answers)
        if verdict and self.alive():
            self.interrupt()
            finished = self._collect(msg_id, run, _RunClock(self._waits, self.process.pid, INTERRUPT_GRACE_S),
                                     bridge_answers) == ""
            run.status = verdict
            if not finished:
                self.kill()
        if not self.alive():
            run.kernel_alive = False
            if run.status not in ("timeout", "overloaded"):
                run.status = "died"
        run.seconds, run.own_seconds = clock.wall(), clock.own(fresh=False)
        self.own_seconds += run.own_seconds
        return run

    def _collect(self, msg_id: str, run: CellRun, clock: _RunClock, bridge_answers: bool) -> str:
        """Read iopub messages of ``msg_id`` into ``run`` until idle (""), or until ``clock`` says the run is
        over ("timeout", "overloaded"; also "timeout" when the kernel is gone)."""
        while True:
            verdict = clock.verdict()
            if verdict:
                return verdict
            remaining = clock.wall_left()
            try:
                message = self.client.get_iopub_msg(timeout=max(0.01, min(remaining, 0.25)))
            except queue.Empty:
                if not self.alive():
                    return "timeout"
                continue
            parent, kind, content = message.get("parent_header"), message.get("msg_type"), message.get("content")
            # The kernel holds the connection key, so it can send anything: take only well-formed messages.
            if not (isinstance(parent, dict) and parent.get("msg_id") == msg_id and isinstance(content, dict)):
                continue
            data = content.get("data") if isinstance(content.get("data"), dict) else {}
            if kind == "status" and content.get("execution_state") == "idle":
                return ""
            if kind == "error":
                run.status = "error"
                run.error_name = str(content.get("ename", ""))
                run.error_value = str(content.get("evalue", ""))
                lines = content.get("traceback")
                run.traceback = strip_ansi("\n".join(map(str, lines if isinstance(lines, list) else [])))[-4000:]
            elif kind in ("display_data", "execute_result") and bridge_answers and BRIDGE_MIME in data:
                self._keep_answer(run, data[BRIDGE_MIME])
            elif kind in ("stream", "display_data", "execute_result", "update_display_data"):
                run.output_bytes += len(str(content.get("text", ""))) + sum(len(str(v)) for v in data.values())
                run.output_truncated = run.output_truncated or run.output_bytes > self.limits.output_bytes_per_cell

    def _keep_answer(self, run: CellRun, payload) -> None:
        size = len(payload) if isinstance(payload, str) else 0
        kept = sum(map(len, run.bridge_payloads))
        if run.bridge_overflow or kept + size > self.limits.bridge_bytes_per_call:
            run.bridge_overflow = (run.bridge_overflow or kept) + size
            run.bridge_payloads.clear()
        elif isinstance(payload, str):
            run.bridge_payloads.append(payload)


class _RunClock:
    """One run's limit in the kernel's own time, and its wall-clock backstop (see ``KernelSession.execute``)."""

    def __init__(self, waits: ThreadWaits, pid: int, limit: float):
        self.waits, self.pid, self.limit = waits, pid, limit
        self.started = time.monotonic()
        self.backstop = OVERLOAD_FACTOR * limit + OVERLOAD_SLACK_S
        self._base = waits.recent(pid)
        self._checked = self.started

    def wall(self) -> float:
        return time.monotonic() - self.started

    def own(self, fresh: bool = True) -> float:
        waited = (self.waits.sample(self.pid) if fresh else self.waits.recent(self.pid)) - self._base
        return max(0.0, self.wall() - waited)

    def wall_left(self) -> float:
        """How long to wait for a message before asking ``verdict`` again."""
        first = min(self.limit, self.backstop) - self.wall()
        return first if first > 0 else 0.5

    def verdict(self) -> str:
        wall = self.wall()
        if wall >= self.backstop:
            return "overloaded" if self.own() < self.limit else "timeout"
        if wall < self.limit:  # own time never exceeds the wall clock: nothing to measure yet
            return ""
        if time.monotonic() - self._checked < 0.5:
            return ""
        self._checked = time.monotonic()
        return "timeout" if self.own() >= self.limit else ""
