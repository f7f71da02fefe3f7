"""The Docker sandbox: each kernel in a throw-away container of the course's image (``grader.Dockerfile``), for
GPU machines. The container is the sandbox: no network, read-only image, private /tmp, no capabilities, an
unprivileged user, cgroup limits on memory and processes, rlimits on file size, CPU time and open files. Only the
kernel's work and socket folders are mounted, at the same paths, so the connection file and the ``ipc`` socket
names mean the same on both sides (so the engine must run on this Linux host, not in a VM).

Stopping. The grader kills the ``docker run`` client's process group, and a killed client leaves its container
running (``--rm`` acts only once the container exits; the client forwards SIGTERM and SIGINT, never SIGKILL). So
the client is started by a small supervisor (this module run as a program) that forks a watchdog in a session of
its own, out of reach of that kill: once the client has ended, however it ended, the watchdog runs
``docker rm --force NAME``. The client also dies with the grader, as bubblewrap's ``--die-with-parent`` does.
``stop`` removes the container at once, for a caller that wants it gone before it deletes the folders.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from autograder.sandbox import KernelPlace, KernelSpec, SandboxUnavailable, kernel_environment
from autograder.sandbox.limits import folder_quota_warnings

DEFAULT_IMAGE = "autograder-grader:latest"
KERNEL_UID = 1000  # the image's ``grader`` user
# The kernel runs the image's Python with the image's locale: these host variables would point elsewhere.
_HOST_ONLY = ("PATH", "LANG", "LC_ALL")
# What the docker client itself needs to find and reach the engine.
_CLIENT_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "XDG_RUNTIME_DIR", "DOCKER_HOST", "DOCKER_CONTEXT",
                     "DOCKER_CONFIG", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY", "DOCKER_API_VERSION")
_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])  # so the supervisor imports this module from any cwd


class DockerUnavailable(SandboxUnavailable):
    """No docker client, no engine that answers, or no grading image here."""


def _build_hint(image: str) -> str:
    return f"build the image with `docker build -f grader.Dockerfile -t {image} .`"


def _client_environment() -> dict[str, str]:
    """The docker client's environment (the kernel's travels in ``--env`` flags)."""
    client = {name: os.environ[name] for name in _CLIENT_VARIABLES if name in os.environ}
    return {**client, "PYTHONPATH": _PROJECT_ROOT}


class Docker:
    name = "docker"

    def __init__(self, spec: KernelSpec):
        self.spec = spec
        self.executable = shutil.which("docker") or "docker"
        self.limits = spec.limits
        self.image = spec.image or DEFAULT_IMAGE
        self.gpu = spec.gpu
        # A root grader runs kernels as the image's unprivileged user. Any other grader runs them as itself: the
        # kernel's ipc sockets (mode 0755 under Docker's umask) and the files it writes must stay usable and
        # removable by the grader.
        self.user = f"{KERNEL_UID}:{KERNEL_UID}" if os.geteuid() == 0 else f"{os.getuid()}:{os.getgid()}"

    def check(self) -> None:
        """The client is installed, the engine answers, and the image is there (it is never pulled)."""
        if shutil.which("docker") is None:
            raise DockerUnavailable(
                "the docker client is not installed, so kernels cannot run in containers; install Docker Engine "
                f"(and the NVIDIA container toolkit for GPUs), {_build_hint(DEFAULT_IMAGE)}, or choose "
                "--sandbox bubblewrap")
        engine = self._client("version", "--format", "{{.Server.Version}}")
        if engine.returncode != 0:
            raise DockerUnavailable(f"the Docker engine does not answer ({_last_line(engine)}); start it "
                                    "(`systemctl start docker`, or `dockerd &`) or choose --sandbox bubblewrap")
        if self._client("image", "inspect", "--format", "{{.Id}}", self.image).returncode != 0:
            raise DockerUnavailable(f"the Docker engine has no image {self.image!r} (it is never pulled); "
                                    f"{_build_hint(self.image)}, or pass --image NAME")

    def _client(self, *arguments: str) -> subprocess.CompletedProcess:
        try:
            return subprocess.run([self.executable, *arguments], stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, timeout=60, env=_client_environment())
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(arguments, 1, "", "no answer within 60 s")
        except OSError as error:
            return subprocess.CompletedProcess(arguments, 1, "", str(error))

    def container_name(self, place: KernelPlace) -> str:
        """Unique per kernel (its folders are), and found again from ``place`` alone."""
        return "autograder-" + hashlib.sha256(str(place.connection).encode()).hexdigest()[:16]

    def command(self, argv: list[str], place: KernelPlace) -> list[str]:
        return [sys.executable, "-m", "autograder.sandbox.docker", self.container_name(place), "--",
                *self.run_command(argv, place)]

    def run_command(self, argv: list[str], place: KernelPlace) -> list[str]:
        """The ``docker run`` command line that runs ``argv`` (whose Python is the host's) in the image."""
        limits = self.limits
        work, connection = str(place.work), str(place.connection)
        command = [self.executable, "run", "--rm", "--init", "--pull", "never", "--name", self.container_name(place),
                   "--network", "none", "--read-only", "--hostname", "sandbox", "--log-driver", "none",
                   "--tmpfs", f"/tmp:rw,exec,nosuid,nodev,size={limits.tmp_bytes},mode=1777",
                   "--user", self.user, "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
                   "--pids-limit", str(limits.processes),
                   "--ulimit", f"fsize={limits.file_size_bytes}", "--ulimit", f"cpu={limits.cpu_seconds}",
                   "--ulimit", f"nofile={limits.open_files}", "--ulimit", "core=0"]
        confine = []  # runs in the container before the kernel
        if limits.memory_bytes is not None:  # the container's cgroup: processes, its tmpfs /tmp, page cache
            memory = str(limits.memory_bytes)
            command += ["--memory", memory, "--memory-swap", memory]
        if limits.cpus is not None:
            command += ["--cpus", f"{limits.cpus:g}"]
        if limits.address_space_bytes is not None and self.gpu is None:
            # As under bubblewrap, an allocation past the limit raises MemoryError (status memory-limit)
            # rather than the cgroup killing the kernel. Docker refuses `--ulimit as`, so prlimit sets it;
            # not with a GPU, where CUDA reserves large virtual ranges (the cgroup still caps memory).
            confine = ["prlimit", f"--as={limits.address_space_bytes}", "--"]
        if self.gpu is not None:
            command += ["--gpus", f"device={self.gpu}"]
        command += ["--volume", f"{connection}:{connection}", "--volume", f"{work}:{work}", "--workdir", work]
        for data in self.spec.data:  # the assignment's data on the host (the grader checked it is there)
            command += ["--volume", f"{data}:{data}:ro"]
        environment = kernel_environment(place, self.spec)
        # The one GPU passed in is device 0 inside the container.
        environment["CUDA_VISIBLE_DEVICES"] = "" if self.gpu is None else "0"
        for name, value in environment.items():
            if name not in _HOST_ONLY:
                command += ["--env", f"{name}={value}"]
        python = ["python"] if argv and argv[0] == sys.executable else argv[:1]
        return [*command, self.image, *confine, *python, *argv[1:]]

    def environment(self, place: KernelPlace) -> dict[str, str]:
        return _client_environment()

    def prepare(self, place: KernelPlace) -> None:
        """As root, the kernel's folders belong to the user it runs as (otherwise it runs as the grader)."""
        if os.geteuid() == 0:
            for folder in (place.work, place.connection):
                for path in [folder, *folder.rglob("*")]:
                    os.chown(path, KERNEL_UID, KERNEL_UID)

    def preexec(self):
        return None

    def set_idle(self, idle: bool) -> bool:
        return True  # the container's group belongs to the engine (and `docker update` would cost a process)

    def cpu_seconds(self) -> float | None:
        return None  # the container's cgroup belongs to the engine; the kernel's start is timed by the wall clock

    def memory_kills(self) -> int:
        return 0

    def warnings(self) -> list[str]:
        return folder_quota_warnings()  # the container's own cgroup bounds the rest

    def stop(self, place: KernelPlace) -> None:
        """Remove the kernel's container now, if it is still there."""
        try:
            subprocess.run([self.executable, "rm", "--force", self.container_name(place)], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            pass


def _last_line(done: subprocess.CompletedProcess) -> str:
    lines = (done.stderr or done.stdout or "").strip().splitlines()
    return lines[-1] if lines else f"exit code {done.returncode}"


def supervise(container: str, command: list[str]) -> None:
    """Become ``command`` (the docker client), leaving a watchdog that removes ``container`` once it has ended."""
    read_end, write_end = os.pipe()
    if os.fork() == 0:
        os.setsid()  # out of the process group the grader kills
        os.close(write_end)
        os.read(read_end, 1)  # end of file: the client, the only other holder of the write end, is gone
        subprocess.run([command[0], "rm", "--force", container], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os._exit(0)
    os.close(read_end)
    os.set_inheritable(write_end, True)
    # Die with the grader (PR_SET_PDEATHSIG); the signal stays set across exec.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    os.execv(command[0], command)


if __name__ == "__main__":
    supervise(sys.argv[1], sys.argv[3:])
