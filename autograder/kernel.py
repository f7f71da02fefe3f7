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

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
INTERRUPT_GRACE_S = 5.0
# Kernels are started from this one long-lived thread. bubblewrap's --die-with-parent (PR_SET_PDEATHSIG)
# fires when the *thread* that forked it exits, so a kernel started from a short-lived thread (a warm-kernel
# helper) would be killed as soon as that thread ended.
_LAUNCHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kernel-launcher")


class KernelStartError(RuntimeError):
    """The kernel process did not come up."""


@dataclass
class CellRun:
    """What happened when one piece of code ran in the kernel."""

    status: str  # "ok", "error", "timeout" or "died"
    seconds: float
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
            # Drain the iopub "starting"/"idle" messages of the kernel_info request.
            self._drain_iopub()
            return

    def _drain_iopub(self) -> None:
        try:
            while True:
                self.client.get_iopub_msg(timeout=0.2)
        except queue.Empty:
            pass

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
        """Run ``code``; past ``timeout`` seconds interrupt it, and kill the kernel if that fails.

        ``bridge_answers``: keep the display messages of the bridge's type (up to the limit), for a bridge request;
        otherwise they are the student's output."""
        start = time.monotonic()
        if not self.alive():
            return CellRun("died", 0.0, kernel_alive=False)
        msg_id = self.client.execute(code, silent=False, store_history=store_history,
                                     allow_stdin=False, stop_on_error=False)
        run = CellRun("ok", 0.0)
        finished = self._collect(msg_id, run, start + max(timeout, 0.0), bridge_answers)
        if not finished and self.alive():
            self.interrupt()
            finished = self._collect(msg_id, run, time.monotonic() + INTERRUPT_GRACE_S, bridge_answers)
            run.status = "timeout"
            if not finished:
                self.kill()
        if not self.alive():
            run.kernel_alive = False
            if run.status != "timeout":
                run.status = "died"
        run.seconds = time.monotonic() - start
        return run

    def _collect(self, msg_id: str, run: CellRun, deadline: float, bridge_answers: bool) -> bool:
        """Read iopub messages of ``msg_id`` into ``run`` until idle (True) or the deadline (False)."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                message = self.client.get_iopub_msg(timeout=min(remaining, 0.25))
            except queue.Empty:
                if not self.alive():
                    return False
                continue
            parent, kind, content = message.get("parent_header"), message.get("msg_type"), message.get("content")
            # The kernel holds the connection key, so it can send anything: take only well-formed messages.
            if not (isinstance(parent, dict) and parent.get("msg_id") == msg_id and isinstance(content, dict)):
                continue
            data = content.get("data") if isinstance(content.get("data"), dict) else {}
            if kind == "status" and content.get("execution_state") == "idle":
                return True
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


def process_tree_cpu_seconds(pid: int) -> float:
    """User and system CPU time of ``pid`` and its descendants (living, and those they waited for), from /proc.
    A fallback where the kernel has no cgroup: a process that escaped the tree (a double fork) is not counted."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    times: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        child = int(entry.name)
        children.setdefault(int(fields[1]), []).append(child)  # fields[1] is the parent's pid
        times[child] = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += times.get(current, 0)
        todo += children.get(current, [])
    return total / ticks
