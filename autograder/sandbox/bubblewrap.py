"""The default sandbox: bubblewrap. Read-only system, Python and venv; a private writable work folder;
a private, size-limited /tmp; no network; dies with the grader; rlimits, and the kernel's own cgroup
(sandbox/cgroup.py: memory including tmpfs files, processes, an equal CPU weight) where the host gives one."""

from __future__ import annotations

import glob
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path

from autograder.sandbox import KernelSpec, SandboxUnavailable, kernel_environment
from autograder.sandbox.cgroup import CgroupUnavailable, KernelCgroup, make_cgroup
from autograder.sandbox.limits import folder_quota_warnings, sandbox_uid


class BubblewrapMissing(SandboxUnavailable):
    """bwrap is not installed here."""


class Bubblewrap:
    name = "bubblewrap"

    def __init__(self, spec: KernelSpec):
        self.spec = spec
        self.executable = shutil.which("bwrap") or "bwrap"
        self.limits = spec.limits
        if spec.gpu is not None:
            # CUDA reserves huge virtual ranges and fails under an address-space limit (DESIGN.md):
            # on a GPU the frameworks' own memory settings cap memory instead.
            self.limits = replace(self.limits, address_space_bytes=None)
        self.gpu = spec.gpu
        self.uid = sandbox_uid()  # one uid per kernel (a sandbox serves one kernel)
        self.cgroup: KernelCgroup | None = None  # made with the kernel (``preexec``), removed by ``cleanup``

    def check(self) -> None:
        if shutil.which("bwrap") is None:
            raise BubblewrapMissing(
                "bubblewrap (bwrap) is not installed, so student code cannot be confined; install it "
                "(`apt-get install bubblewrap`, which `make` does when it can) or, for trusted notebooks only, "
                "pass --sandbox none")

    def command(self, argv: list[str], place) -> list[str]:
        if self.uid is None:
            namespaces = ["--unshare-all"]
        else:
            # As root, bwrap mounts without a user namespace, and setpriv (util-linux) drops to an
            # unprivileged uid before the kernel starts; inside a user namespace that uid would not exist.
            namespaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
        # /tmp first: the binds below may lie under it (a venv in /tmp), and a later tmpfs would hide them.
        # /dev is bubblewrap's own unbounded tmpfs, which a kernel that is root in its user namespace (a grader that
        # is not root) could fill with the host's RAM: read-only, with a /dev/shm (POSIX semaphores, shared memory)
        # of /tmp's size.
        tmp_size = str(self.limits.tmp_bytes)
        command = [self.executable, *namespaces, "--die-with-parent", "--new-session",
                   "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc", "--proc", "/proc",
                   "--dev", "/dev", "--perms", "1777", "--size", tmp_size, "--tmpfs", "/dev/shm",
                   "--remount-ro", "/dev", "--perms", "1777", "--size", tmp_size, "--tmpfs", "/tmp"]
        for link in ("bin", "sbin", "lib", "lib64", "lib32", "libx32"):
            top = Path("/") / link
            if top.is_symlink():
                command += ["--symlink", str(top.readlink()), str(top)]
            elif top.is_dir():
                command += ["--ro-bind", str(top), str(top)]
        for prefix in sorted({sys.base_prefix, sys.prefix, str(Path(sys.executable).resolve().parent.parent)}):
            if not prefix.startswith("/usr/"):
                command += _bind(Path(prefix))
        for folder in self.spec.data:  # the assignment's data, where /usr does not hold it
            if not folder.startswith("/usr/"):
                command += _bind(Path(folder))
        if self.gpu is not None:
            for device in sorted(glob.glob("/dev/nvidia*")):
                command += ["--dev-bind", device, device]
        command += [*_bind(place.work, writable=True), *_bind(place.connection, writable=True),
                    "--chdir", str(place.work), "--hostname", "sandbox", "--"]
        if self.uid is not None:
            command += ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                        "--no-new-privs", "--"]
        return command + argv

    def environment(self, place) -> dict[str, str]:
        return kernel_environment(place, self.spec)

    def prepare(self, place) -> None:
        """The kernel's folders belong to the user it runs as."""
        if self.uid is not None:
            for folder in (place.work, place.connection):
                for path in [folder, *folder.rglob("*")]:
                    os.chown(path, self.uid, self.uid)

    def preexec(self):
        """The child's set-up: rlimits, and joining the kernel's cgroup, made here (one per kernel)."""
        setup = self.limits.child_setup(drops_to_sandbox_uid=self.uid is not None)
        try:
            self.cgroup = self.cgroup or make_cgroup(self.limits.memory_bytes, self.limits.processes,
                                                     self.limits.cpus)
        except CgroupUnavailable:
            return setup  # ``warnings`` told the tutor before grading
        group = self.cgroup

        def child() -> None:
            group.join()
            setup()

        return child

    def set_idle(self, idle: bool) -> bool:
        """The kernel's cgroup gets the idle CPU share (a warm kernel being prepared) or the normal one."""
        return self.cgroup.set_idle(idle) if self.cgroup is not None else True

    def cpu_seconds(self) -> float | None:
        return self.cgroup.cpu_seconds() if self.cgroup is not None else None

    def memory_kills(self) -> int:
        return self.cgroup.memory_kills() if self.cgroup is not None else 0

    def stop(self, place) -> None:
        """Kill whatever is left of the kernel (however it detached) and remove its cgroup."""
        if self.cgroup is not None:
            self.cgroup.remove()

    def warnings(self) -> list[str]:
        """What this host cannot enforce, for the tutor to read before grading."""
        notes = []
        try:
            make_cgroup(self.limits.memory_bytes, self.limits.processes, self.limits.cpus).remove()
        except CgroupUnavailable as error:
            notes.append(f"kernels get no cgroup of their own ({error}): memory is bounded per process only "
                         "(files in /tmp are not counted), and one student's processes can slow the others")
        return notes + folder_quota_warnings()


def _bind(path: Path, writable: bool = False) -> list[str]:
    """Bind ``path`` at the same place, creating its parents world-traversable (bwrap makes them 0700
    otherwise, which the unprivileged kernel could not pass through)."""
    arguments = []
    for parent in reversed(path.parents[:-1]):
        arguments += ["--perms", "0755", "--dir", str(parent)]
    return arguments + ["--bind" if writable else "--ro-bind", str(path), str(path)]
