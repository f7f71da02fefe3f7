"""The default sandbox: bubblewrap. Read-only system, Python and venv; a private writable work folder;
private /tmp; no network; dies with the grader; resource limits on top."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from autograder.sandbox.limits import ResourceLimits


class BubblewrapMissing(RuntimeError):
    """bwrap is not installed here."""


class Bubblewrap:
    name = "bubblewrap"

    def __init__(self, limits: ResourceLimits | None = None):
        self.executable = shutil.which("bwrap")
        if self.executable is None:
            raise BubblewrapMissing(
                "bubblewrap (bwrap) is not installed, so student code cannot be confined; install it "
                "(`apt-get install bubblewrap`, which `make` does when it can) or, for trusted notebooks only, "
                "pass --sandbox none")
        self.limits = limits or ResourceLimits()

    def wrap(self, argv: list[str], place) -> list[str]:
        command = [self.executable, "--unshare-all", "--die-with-parent", "--new-session",
                   "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
        for link in ("bin", "sbin", "lib", "lib64", "lib32", "libx32"):
            top = Path("/") / link
            if top.is_symlink():
                command += ["--symlink", str(top.readlink()), str(top)]
            elif top.is_dir():
                command += ["--ro-bind", str(top), str(top)]
        for prefix in sorted({sys.base_prefix, sys.prefix, str(Path(sys.executable).resolve().parent.parent)}):
            if not prefix.startswith("/usr/"):
                command += ["--ro-bind", prefix, prefix]
        command += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
                    "--bind", str(place.work), str(place.work),
                    "--bind", str(place.connection), str(place.connection),
                    "--chdir", str(place.work), "--hostname", "sandbox", "--"]
        return command + argv

    def environment(self, place) -> dict[str, str]:
        from autograder.sandbox import kernel_environment

        return kernel_environment(place)

    def preexec(self):
        return self.limits.apply
