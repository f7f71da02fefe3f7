"""Shared fixtures: a built copy of the tiny "mini" course, submissions made from its student notebook,
and a live kernel with the bridge installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from autograder.build import build_assignment
from autograder.course import find_assignment
from autograder.ingest import Submission

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def _no_cgroups_left_behind():
    """Tests that start sandboxed processes without the kernel pool leave their cgroups; remove them at the end."""
    yield
    from autograder.sandbox.cgroup import remove_stale_cgroups

    remove_stale_cgroups(owner=os.getpid())


def _fashion_mnist_missing() -> bool:
    from autograder.datasets import missing_files

    return bool(missing_files("full"))


# Tests of the autoencoder's full scale read the real files; `make install` installs them as root.
needs_fashion_mnist = pytest.mark.skipif(
    _fashion_mnist_missing(), reason="Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")



def _cgroups_unavailable() -> str:
    from autograder.sandbox.cgroup import CgroupUnavailable, make_cgroup

    try:
        make_cgroup(None, 8).remove()
    except CgroupUnavailable as error:
        return str(error)
    return ""


# Tests of the kernels' own cgroups need a hierarchy the grader may write (root here, and in CI).
_NO_CGROUPS = _cgroups_unavailable()
needs_cgroups = pytest.mark.skipif(bool(_NO_CGROUPS), reason=f"no writable cgroups here: {_NO_CGROUPS}")


def sandbox_processes() -> list[int]:
    """Processes running as one of the sandbox's kernel uids: none should outlive their kernel."""
    from autograder.sandbox.limits import is_sandbox_uid

    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if is_sandbox_uid(entry.stat().st_uid):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def lingering_sandbox_processes(grace_s: float = 10.0) -> list[int]:
    """Sandbox processes still there after ``grace_s``: killed ones take a moment to be gone on a busy machine."""
    deadline = time.monotonic() + grace_s
    while (found := sandbox_processes()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


MINI_GOOD = {
    "def double": "def double(x):\n    return 2 * np.asarray(x)",
    "def draw": "def draw(rng):\n    return int(rng.integers(10))\n\n"
                "def safe_log(x):\n    if x <= 0:\n        raise ValueError('x must be positive')\n"
                "    return np.log(x)",
}


@pytest.fixture(scope="session")
def mini_course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(FIXTURES / "course" / "solutions", root / "solutions")
    build_assignment(find_assignment("mini", root))
    return root


@pytest.fixture(scope="session")
def mini(mini_course):
    from autograder.assignment import load_manifest

    assignment = find_assignment("mini", mini_course)
    return assignment, load_manifest(assignment)


def mini_notebook(mini_course: Path, answers: dict[str, str] | None = None, extra_cells: list | None = None):
    """The mini student notebook with answer cells replaced (by the prefix of their placeholder)."""
    notebook = nbformat.read(mini_course / "assignments" / "mini" / "mini.ipynb", as_version=4)
    for cell in notebook.cells:
        for prefix, source in (answers if answers is not None else MINI_GOOD).items():
            if cell.cell_type == "code" and cell.source.startswith(prefix):
                cell.source = source
    for position, source in extra_cells or []:
        notebook.cells.insert(position, nbformat.v4.new_code_cell(source))
    return notebook


def as_submission(notebook, student: str = "student") -> Submission:
    return Submission(student, f"{student}.ipynb", nbformat.writes(notebook).encode())


@pytest.fixture
def place(tmp_path):
    """Empty work and connection folders for one kernel."""
    from autograder.sandbox import KernelPlace

    place = KernelPlace(tmp_path / "work", tmp_path / "conn")
    place.work.mkdir()
    place.connection.mkdir()
    return place


@pytest.fixture
def kernel_bridge():
    """A live kernel (no sandbox) with the bridge agent installed, and a namespace-setting helper."""
    from autograder.bridge import Bridge
    from autograder.kernel import KernelSession
    from autograder.sandbox import KernelPlace, make_sandbox

    tmp = Path(tempfile.mkdtemp(prefix="ag-test-"))
    place = KernelPlace(tmp / "work", tmp / "conn")
    place.work.mkdir()
    place.connection.mkdir()
    sandbox = make_sandbox("none")
    kernel = KernelSession(lambda argv: argv, place.work, place.connection, sandbox.environment(place))
    kernel.start()
    bridge = Bridge(kernel, call_timeout=20)
    assert kernel.execute(bridge.install_code(), 30, store_history=False).status == "ok"

    def run(code: str):
        result = kernel.execute(code, 30)
        assert result.status == "ok", result.traceback
        return result

    yield bridge, run
    kernel.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)


def debian_command(command: str, package: str) -> str:
    """The path of ``command``, installing Debian's ``package`` with apt-get when we are root and it is missing;
    the test is skipped with the reason where it cannot be had."""
    found = shutil.which(command)
    if found:
        return found
    if not shutil.which("apt-get") or os.geteuid() != 0:
        pytest.skip(f"{command} is not installed and cannot be installed here (needs root and apt-get); "
                    f"run `apt-get install {package}`")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]):
            subprocess.run(argv, check=True, capture_output=True, timeout=900, env=environment)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        output = getattr(error, "stderr", b"") or b""
        pytest.skip(f"{package} could not be installed ({error}): {output.decode(errors='replace')[-500:]}")
    found = shutil.which(command)
    if not found:
        pytest.skip(f"apt-get installed {package} but no `{command}` command appeared")
    return found


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium (never a downloaded browser build)."""
    return debian_command("chromium", "chromium")


@pytest.fixture(scope="session")
def chromedriver(chromium) -> str:
    """Debian's chromium-driver, of the same version as its chromium, for Selenium."""
    return debian_command("chromedriver", "chromium-driver")
