"""The grading scale: how `--scale` and the rubric choose it, how it reaches the kernel (AUTOGRADER_SCALE) and the
hidden tests (the checker's trusted ``scale``, which no notebook can change), and the refusal to grade at full
scale without Fashion-MNIST."""

import shutil
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from autograder import datasets
from autograder.batch import ensure_built
from autograder.cli import main
from autograder.course import find_assignment
from autograder.grading import GradingOptions, grade_submission
from autograder.ingest import Submission
from autograder.kernel_pool import kernel_sandbox
from autograder.rubric import RubricError, parse_rubric, rubric_scale
from tests.conftest import mini_notebook, needs_fashion_mnist
from tests.test_kernel_setup import run_in_fresh_kernel, stop_kernels  # noqa: F401 - the fixture stops kernels

ROOT = Path(__file__).resolve().parent.parent
RUBRIC = """assignment: mini
due: 2026-05-08T23:59:00+02:00
questions: {q1: 1, q2: 2}
grades: {A: 50, F: 0}
"""


@pytest.fixture
def course(mini_course, tmp_path):
    """A copy of the mini course (with a rubric to edit) and one submission."""
    root = tmp_path / "course"
    shutil.copytree(mini_course, root)
    (root / "rubrics").mkdir()
    nbformat.write(mini_notebook(mini_course), tmp_path / "alice.ipynb")
    return root, tmp_path / "alice.ipynb"


@pytest.fixture
def graded_options(monkeypatch):
    """Run `autograder grade` up to grading, and keep the options it would grade with."""
    seen = []

    def grade_batch(assignment, submissions, out, options, **kwargs):
        seen.append(options)
        return []

    monkeypatch.setattr("autograder.batch.grade_batch", grade_batch)
    return seen


def test_the_rubric_sets_the_scale_and_the_flag_wins(course, graded_options, tmp_path):
    root, alice = course
    grade = ["--root", str(root), "grade", "mini", str(alice), "--out", str(tmp_path / "out")]
    assert main(grade) == 0 and graded_options[-1].scale == "small"  # no rubric: small
    assert graded_options[-1].cell_timeout_s == 120.0
    (root / "rubrics" / "mini.yml").write_text(RUBRIC + "scale: full\n")
    assert rubric_scale(root, "mini") == "full"
    assert main(grade) == 0 and graded_options[-1].scale == "full"
    assert (graded_options[-1].cell_timeout_s, graded_options[-1].notebook_timeout_s) == (600.0, 2400.0)
    assert main([*grade, "--scale", "small"]) == 0 and graded_options[-1].scale == "small"
    assert main([*grade, "--scale", "full", "--cell-timeout", "30"]) == 0
    assert (graded_options[-1].scale, graded_options[-1].cell_timeout_s) == ("full", 30.0)


def test_a_rubric_with_an_unknown_scale_is_refused():
    data = {"assignment": "mini", "due": "2026-05-08T23:59:00+02:00", "questions": {"q1": 1}, "grades": {"F": 0}}
    assert parse_rubric(data).scale is None
    with pytest.raises(RubricError, match="scale: 'huge' is not a scale"):
        parse_rubric({**data, "scale": "huge"})


def test_full_scale_without_fashion_mnist_stops_before_grading(course, graded_options, tmp_path, monkeypatch,
                                                               capsys):
    root, alice = course
    monkeypatch.setattr(datasets, "FASHION_MNIST_DIR", tmp_path / "nowhere")
    assert main(["--root", str(root), "grade", "mini", str(alice), "--out", str(tmp_path / "out"),
                 "--scale", "full"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: the full scale grades on Fashion-MNIST") and "nowhere" in error
    assert "apt-get install dataset-fashion-mnist" in error and "Traceback" not in error
    assert graded_options == [] and not (tmp_path / "out").exists()


def test_dask_workers_get_the_scale_with_the_job(mini):
    from autograder.ingest import Submission
    from autograder.job import GradingJob, plan_job

    assignment, manifest = mini
    job = plan_job(assignment, manifest, Submission("ann", "ann.ipynb", b"{}"), GradingOptions(scale="full"))
    again = GradingJob.from_json(job.to_json())
    assert again.options.scale == "full" and again.trusted["q1"]["scale"] == "full"


def test_every_backend_tells_the_kernel_its_scale(place):
    def sandbox(name, scale):
        return kernel_sandbox(GradingOptions(sandbox=name, scale=scale, image="img"))

    assert sandbox("none", "small").environment(place)["AUTOGRADER_SCALE"] == "small"
    assert sandbox("none", "full").environment(place)["AUTOGRADER_SCALE"] == "full"
    command = sandbox("docker", "full").run_command(["python"], place)
    assert "AUTOGRADER_SCALE=full" in command
    data = str(datasets.FASHION_MNIST_DIR)
    assert f"{data}:{data}:ro" in command  # the container reads the host's Fashion-MNIST
    assert not any("fashion" in part for part in sandbox("docker", "small").run_command(["python"], place))


@needs_fashion_mnist
def test_a_sandboxed_kernel_sees_its_scale_and_can_read_fashion_mnist(monkeypatch):
    monkeypatch.setattr("tests.test_kernel_setup.make_sandbox",
                        lambda name: kernel_sandbox(GradingOptions(sandbox=name, scale="full")))
    run, bridge = run_in_fresh_kernel(
        "import os\nscale = os.environ['AUTOGRADER_SCALE']\n"
        "size = os.path.getsize('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz')")
    assert run.status == "ok", run.traceback
    assert bridge.global_value("scale") == "full" and bridge.global_value("size") > 0


def first_question_only(hard_coded: bool = False, rebinds_scale: bool = False):
    """The corpus's reference notebook up to Question 1 (nothing trains), optionally with an encoder built for
    8 x 8 images whatever the data, or a notebook that sets its own ``scale`` after loading the data."""
    notebook = nbformat.read(ROOT / "examples" / "autoencoder" / "submissions" / "reference.ipynb", as_version=4)
    end = next(i for i, cell in enumerate(notebook.cells) if "build_encoder(16).summary()" in cell.source)
    notebook.cells = notebook.cells[:end + 1]
    for cell in notebook.cells:
        if hard_coded:
            cell.source = cell.source.replace("keras.Input(shape=IMAGE_SHAPE)", "keras.Input(shape=(8, 8, 1))")
    if rebinds_scale:
        notebook.cells.append(nbformat.v4.new_code_cell('scale = "small"  # no help: the tests get theirs'))
    return Submission("student", "student.ipynb", nbformat.writes(notebook).encode())


@pytest.fixture(scope="module")
def autoencoder():
    assignment = find_assignment("autoencoder", ROOT)
    return assignment, ensure_built(assignment)


@needs_fashion_mnist
def test_the_hidden_tests_measure_at_the_checkers_scale_not_the_notebooks(autoencoder):
    assignment, manifest = autoencoder
    full = replace(GradingOptions(cell_timeout_s=60), scale="full")
    shape_aware = grade_submission(assignment, manifest, first_question_only(rebinds_scale=True), full)
    assert shape_aware.scale == "full"
    assert shape_aware.points("q1") == 2, [t.message for q in shape_aware.questions for t in q.tests]
    hard_coded = grade_submission(assignment, manifest, first_question_only(hard_coded=True), full)
    failed = {t.name for q in hard_coded.questions if q.name == "q1" for t in q.tests if not t.passed}
    assert "test_encoder_works_for_every_code_size" in failed  # sent 28 x 28 images, as the tutor asked
