"""A grading job is data (autograder/job.py): it round-trips as JSON, its key changes exactly when a setting that
can change the grade does, and every setting reaches the kernel wherever the job runs (local threads, Dask)."""

import json
import os
import sys
from dataclasses import replace

import pytest

from autograder.batch import grade_batch
from autograder.grading import GradingOptions, Worker, run_job
from autograder.job import GradingJob, JobError, plan_job
from autograder.sandbox.limits import ResourceLimits
from autograder.scheduler.local import LocalScheduler
from tests.conftest import MINI_GOOD, as_submission, mini_notebook
from tests.test_dask import running_cluster
from tests.test_docker import path_with_docker
from tests.test_scheduler import comparable

# Full marks only where the kernel was told the job's Keras backend (and, on a GPU worker, its device).
SEES_SETTINGS = dict(MINI_GOOD, **{"def double": (
    "import os\n\ndef double(x):\n"
    "    told = os.environ.get('KERAS_BACKEND') == 'jax' and os.environ.get('CUDA_VISIBLE_DEVICES', '') in "
    "('', '0', '1')\n"
    "    return 2 * np.asarray(x) if told else 0 * np.asarray(x)")})


@pytest.fixture
def job(mini, mini_course):
    assignment, manifest = mini
    submission = as_submission(mini_notebook(mini_course), "ann")
    return plan_job(assignment, manifest, submission, GradingOptions(sandbox="none"))


def test_a_job_round_trips_as_json_and_keeps_its_key(job):
    again = GradingJob.from_json(json.loads(json.dumps(job.to_json())))
    assert again == job and again.key() == job.key()
    assert again.options.keras_backend in ("tensorflow", os.environ.get("KERAS_BACKEND"))  # resolved when planned
    assert again.trusted == {"q1": {"scale": "small"}, "q2": {"scale": "small"}}
    docker = replace(job, options=replace(job.options, sandbox="docker", image="course/grader:2"))
    assert GradingJob.from_json(json.loads(json.dumps(docker.to_json()))).options.image == "course/grader:2"


def test_the_key_changes_with_what_can_change_a_grade_and_only_with_that(job):
    changed = {
        "seed": replace(job, options=replace(job.options, seed=1)),
        "backend": replace(job, options=replace(job.options, keras_backend="torch")),
        "a limit": replace(job, options=replace(job.options, limits=ResourceLimits(processes=7))),
        "a timeout": replace(job, options=replace(job.options, cell_timeout_s=1.0)),
        "the image": replace(job, options=replace(job.options, image="course/grader:2")),
        "the scale": replace(job, options=replace(job.options, scale="full")),
        "the notebook": replace(job, content_hash="other"),
        "the build": replace(job, assignment_version="v2"),
        "the grader": replace(job, grader_version="0.0.1"),
    }
    keys = {what: other.key() for what, other in changed.items()}
    assert job.key() not in keys.values() and len(set(keys.values())) == len(keys)
    labels = replace(job, origin="elsewhere.zip", display_name="Ann", course_root="/moved",
                     options=replace(job.options, gpu="3"))
    assert labels.key() == job.key()


def test_a_job_of_another_version_or_with_a_damaged_notebook_is_refused(job):
    with pytest.raises(JobError, match="version 2; this grader runs version 1"):
        GradingJob.from_json({**job.to_json(), "version": 2})
    with pytest.raises(JobError, match="does not match its content hash"):
        GradingJob.from_json({**job.to_json(), "data": "e30="})


def test_the_same_job_twice_gives_the_same_result(job):
    worker = Worker(warm=False)
    first, second = run_job(job, worker), run_job(GradingJob.from_json(job.to_json()), worker)
    assert comparable([first]) == comparable([second]) and first.total == 4


def test_a_rerun_reuses_every_result_and_a_changed_setting_regrades_all(mini, mini_course, tmp_path):
    assignment, _ = mini
    submissions = [as_submission(mini_notebook(mini_course, answers), student)
                   for student, answers in (("ann", MINI_GOOD), ("ben", SEES_SETTINGS))]
    out = tmp_path / "out"

    def graded(options):
        reused = []
        results = grade_batch(assignment, submissions, out, options, scheduler=LocalScheduler(2),
                              on_result=lambda result, was_reused: reused.append(was_reused))
        return {r.student: r for r in results}, sum(reused)

    results, reused = graded(GradingOptions(keras_backend="tensorflow"))
    assert reused == 0 and results["ben"].total < 4 and results["ben"].keras_backend == "tensorflow"
    assert graded(GradingOptions(keras_backend="tensorflow"))[1] == 2  # nothing changed: nothing graded
    results, reused = graded(GradingOptions(keras_backend="jax"))  # the kernels are told the new backend
    assert reused == 0 and results["ben"].total == 4 and results["ben"].keras_backend == "jax"
    assert graded(GradingOptions(keras_backend="jax", seed=7))[1] == 0


@pytest.fixture(scope="module")
def gpu_cluster():
    """Two Dask workers that each offer one GPU (CUDA_VISIBLE_DEVICES 0 and 1) and whose own Keras backend is
    tensorflow; no GPU is needed: what is checked is what each kernel and result is told."""
    with running_cluster([{"CUDA_VISIBLE_DEVICES": device, "KERAS_BACKEND": "tensorflow"} for device in "01"],
                         ("--resources", "GPU=1")) as scheduler:
        yield scheduler


def test_dask_workers_grade_with_the_jobs_settings_and_their_own_gpu(mini, mini_course, tmp_path, gpu_cluster):
    assignment, _ = mini
    submissions = [as_submission(mini_notebook(mini_course, SEES_SETTINGS), f"s{k}") for k in range(4)]
    results = grade_batch(assignment, submissions, tmp_path / "out",
                          GradingOptions(keras_backend="jax", needs_gpu=True), scheduler=gpu_cluster)
    # the workers' own KERAS_BACKEND is tensorflow: the job's jax reached every kernel
    assert [(r.status, r.total, r.keras_backend) for r in results] == [("ok", 4.0, "jax")] * 4
    assert {r.device for r in results} <= {"cuda:0", "cuda:1"} and all(r.device != "cpu" for r in results)


# A docker client that logs each `docker run` it is asked for and runs the command on the host (no engine here):
# what the workers' kernels were started with, image included, is in the log.
LOGGING_DOCKER = """case "$1" in
  version) echo 28.2.2; exit 0;;
  image|rm) exit 0;;
  run) ;;
  *) exit 1;;
esac
echo "$*" >> {log}
while [ "$#" -gt 0 ] && [ "$1" != python ]; do shift; done
shift
exec {python} "$@"
"""


def test_every_dask_worker_starts_its_kernels_from_the_jobs_image(mini, mini_course, tmp_path, monkeypatch):
    log = tmp_path / "docker-runs.log"
    path = path_with_docker(tmp_path / "bin", LOGGING_DOCKER.format(log=log, python=sys.executable))
    monkeypatch.setenv("PATH", path)  # the client's check finds it, as each worker does
    assignment, _ = mini
    names = ("alice", "bob", "carol")
    submissions = [as_submission(mini_notebook(mini_course), name) for name in names]
    with running_cluster([{"PATH": path}, {"PATH": path}]) as cluster:
        results = grade_batch(assignment, submissions, tmp_path / "out",
                              GradingOptions(sandbox="docker", image="course/grader:7",
                                             limits=ResourceLimits(memory_bytes=None, address_space_bytes=None)),
                              scheduler=cluster)
    assert [(r.status, r.total) for r in results] == [("ok", 4.0)] * len(names), [r.message for r in results]
    runs = log.read_text().splitlines()
    assert len(runs) >= len(names) and all(" course/grader:7 python " in run for run in runs), runs


# Full marks only where Keras itself runs on torch in the kernel.
ON_TORCH = dict(MINI_GOOD, **{"def double": (
    "import keras\n\ndef double(x):\n"
    "    return 2 * np.asarray(x) if keras.backend.backend() == 'torch' else 0 * np.asarray(x)")})


def test_dask_grading_with_the_torch_backend_runs_keras_on_torch(mini, mini_course, tmp_path):
    pytest.importorskip("torch", reason="torch is not installed here (`make test` installs torch==2.13.0 where pip "
                                        "can get it)")
    assignment, _ = mini
    submissions = [as_submission(mini_notebook(mini_course, ON_TORCH), name) for name in ("alice", "bob")]
    with running_cluster([{"KERAS_BACKEND": "tensorflow"}]) as cluster:  # the worker's own backend is not used
        results = grade_batch(assignment, submissions, tmp_path / "out", GradingOptions(keras_backend="torch"),
                              scheduler=cluster)
    assert [(r.status, r.total, r.keras_backend) for r in results] == [("ok", 4.0, "torch")] * 2, \
        [r.message for r in results]


def test_a_gpu_job_without_gpu_workers_is_refused_before_anything_runs(job):
    from autograder.scheduler.dask import DaskScheduler

    class Client:
        submitted = []

        def scheduler_info(self):
            return {"workers": {"tcp://a": {"resources": {}}, "tcp://b": {}}}

        def submit(self, *args, **kwargs):
            self.submitted.append(args)

    scheduler = object.__new__(DaskScheduler)
    scheduler.client = Client()
    gpu_job = replace(job, options=replace(job.options, needs_gpu=True))
    with pytest.raises(RuntimeError, match="no worker of the Dask cluster offers one.*--resources GPU=1"):
        list(scheduler.run(None, [gpu_job]))
    assert Client.submitted == []


def test_a_planning_failure_costs_only_that_student(mini, mini_course, tmp_path, monkeypatch):
    assignment, _ = mini
    original = type(assignment).trusted_arguments

    def broken(self, student, question):
        if student == "bad":
            raise KeyError("roster row")
        return original(self, student, question)

    monkeypatch.setattr(type(assignment), "trusted_arguments", broken)
    submissions = [as_submission(mini_notebook(mini_course), student) for student in ("bad", "good")]
    results = {r.student: r for r in grade_batch(assignment, submissions, tmp_path / "out",
                                                 GradingOptions(sandbox="none"))}
    assert results["good"].total == 4 and results["bad"].grader_failed
    assert "the grader failed on this submission (KeyError" in results["bad"].message
