"""The bubblewrap sandbox: its exact command line, its limits as the kernel sees them, and refusal without it."""

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder.kernel_pool import KernelPlace
from autograder.sandbox import KernelSpec, kernel_environment, make_sandbox
from autograder.sandbox.bubblewrap import BubblewrapMissing
from autograder.sandbox.limits import GIB, SANDBOX_UID_BASE, ResourceLimits
from tests.conftest import mini_notebook


def test_the_command_line_confines_the_kernel(place):
    sandbox = make_sandbox("bubblewrap")
    command = sandbox.command(["python", "-m", "ipykernel_launcher"], place)
    assert command[0].endswith("bwrap")
    assert "--unshare-net" in command or "--unshare-all" in command
    assert {"--unshare-pid", "--die-with-parent", "--new-session"} <= set(command) or "--unshare-all" in command
    assert "--die-with-parent" in command and "--new-session" in command
    # /tmp and /dev/shm are private tmpfs of a fixed size, /tmp mounted before any bind that may lie under it
    mounts = {command[i + 1]: command[i - 1] for i, arg in enumerate(command) if arg == "--tmpfs"}
    assert mounts == {"/tmp": str(sandbox.limits.tmp_bytes), "/dev/shm": str(sandbox.limits.tmp_bytes)}
    assert command[command.index("--remount-ro") + 1] == "/dev"
    tmpfs = command.index("/tmp") - 1
    binds = [i for i, arg in enumerate(command) if arg in ("--bind", "--ro-bind")]
    assert all(i > tmpfs for i in binds if command[i + 1].startswith("/tmp"))
    writable = {command[i + 1] for i in binds if command[i] == "--bind"}
    assert writable == {str(place.work), str(place.connection)}
    read_only = {command[i + 1] for i in binds if command[i] == "--ro-bind"}
    assert read_only <= {"/usr", "/etc", sys.base_prefix, sys.prefix, "/bin", "/sbin", "/lib", "/lib64",
                         str(Path(sys.executable).resolve().parent.parent)}
    assert command[command.index("--chdir") + 1] == str(place.work)
    if os.geteuid() == 0:
        assert command[command.index("--") + 1] == "setpriv" and f"--reuid={sandbox.uid}" in command
        assert sandbox.uid >= SANDBOX_UID_BASE
    assert command[-3:] == ["python", "-m", "ipykernel_launcher"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only a root grader drops kernels to uids of their own")
def test_each_kernel_has_a_uid_of_its_own_so_one_fork_bomb_cannot_starve_the_next(tmp_path):
    # RLIMIT_NPROC counts per uid across the machine: with a shared uid, processes left by one submission's
    # kernel used up the budget of the next one ("can't start new thread" at its start).
    limits = ResourceLimits(processes=20)
    places = []
    for name in ("a", "b"):
        place = KernelPlace(tmp_path / name / "work", tmp_path / name / "conn")
        place.work.mkdir(parents=True)
        place.connection.mkdir()
        places.append(place)
    hog, other = make_sandbox("bubblewrap", limits), make_sandbox("bubblewrap", limits)
    assert hog.uid != other.uid
    hog.prepare(places[0])
    forks = ["/bin/sh", "-c", "for i in $(seq 19); do sleep 30 & done; wait"]
    sleepers = subprocess.Popen(hog.command(forks, places[0]),
                                preexec_fn=hog.preexec(), env=hog.environment(places[0]))
    try:
        time.sleep(1.5)  # the first kernel now holds its whole process budget
        other.prepare(places[1])
        started = subprocess.run(other.command(["/bin/sh", "-c", "sleep 0.1 & sleep 0.1 & wait; echo ok"], places[1]),
                                 preexec_fn=other.preexec(), env=other.environment(places[1]),
                                 capture_output=True, text=True, timeout=30)
        assert started.stdout.strip() == "ok", started.stderr
    finally:
        sleepers.kill()
        sleepers.wait()


def test_the_kernel_environment_points_home_and_caches_into_its_folder(place):
    env = kernel_environment(place, KernelSpec())
    for name in ("HOME", "KERAS_HOME", "MPLCONFIGDIR", "IPYTHONDIR"):
        assert env[name].startswith(str(place.work)), name
    assert env["MALLOC_ARENA_MAX"] == "2" and env["PYTHONHASHSEED"] == "0"
    assert not any(name.startswith(("AWS_", "GITHUB_")) for name in env)


def test_limits_apply_inside_the_sandbox(place):
    limits = ResourceLimits(address_space_bytes=3 * GIB, processes=100, file_size_bytes=GIB // 2, cpu_seconds=77)
    sandbox = make_sandbox("bubblewrap", limits)
    sandbox.prepare(place)
    command = sandbox.command(["/bin/cat", "/proc/self/limits"], place)
    text = subprocess.run(command, capture_output=True, text=True, preexec_fn=sandbox.preexec(),
                          env=sandbox.environment(place), check=True).stdout
    rows = {line[:26].strip(): line[26:].split() for line in text.splitlines()[1:]}
    assert rows["Max address space"][0] == str(3 * GIB)
    assert rows["Max file size"][0] == str(GIB // 2)
    assert rows["Max cpu time"][0] == "77"
    assert rows["Max processes"][0] == "100" or os.geteuid() != 0


def test_the_kernel_runs_unprivileged_without_network(place):
    sandbox = make_sandbox("bubblewrap")
    sandbox.prepare(place)
    code = ("import os, socket\nprint(os.getuid())\n"
            "print(sorted(name for _, name in socket.if_nameindex()))")
    command = sandbox.command([sys.executable, "-c", code], place)
    lines = subprocess.run(command, capture_output=True, text=True, preexec_fn=sandbox.preexec(),
                           env=sandbox.environment(place), check=True).stdout.splitlines()
    assert lines[0] != "0"
    assert lines[1] == "['lo']"


def test_without_bubblewrap_grading_refuses_unless_told_otherwise(monkeypatch, mini_course, tmp_path):
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(BubblewrapMissing, match="--sandbox none"):
        make_sandbox("bubblewrap").check()
    empty_path = tmp_path / "bin"
    empty_path.mkdir()
    (tmp_path / "alice.ipynb").write_text(nbformat.writes(mini_notebook(mini_course)))
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "--root", str(mini_course), "grade", "mini",
                           str(tmp_path), "--out", str(tmp_path / "out")], capture_output=True, text=True,
                          env={**os.environ, "PATH": str(empty_path)})
    assert done.returncode == 2 and "bubblewrap (bwrap) is not installed" in done.stderr
    assert "Traceback" not in done.stderr
