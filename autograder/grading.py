"""Grading one submission: run its cells in a fresh kernel, check each question right after its cells."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from autograder import __version__
from autograder.assignment import Assignment, Manifest
from autograder.bridge import Bridge, KernelDied
from autograder.checker import failed_question, load_tests, missing_names, run_question
from autograder.ingest import Submission
from autograder.job import trusted_values
from autograder.kernel import KernelLimits
from autograder.kernel_pool import KernelBudget, WarmKernels, keras_backend, prepare_kernel
from autograder.notebook import InvalidNotebook, plan_run, read_submission
from autograder.profile import Profile
from autograder.results import QuestionResult, SubmissionResult
from autograder.sandbox import DEFAULT as DEFAULT_SANDBOX
from autograder.sandbox.limits import ResourceLimits


@dataclass
class GradingOptions:
    cell_timeout_s: float = 120.0
    notebook_timeout_s: float = 900.0
    call_timeout_s: float = 60.0
    seed: int = 2026
    sandbox: str = DEFAULT_SANDBOX
    output_bytes_per_cell: int = 1_000_000
    bridge_bytes_per_call: int = KernelLimits.bridge_bytes_per_call  # the kernel's answer to one request of a test
    limits: ResourceLimits = field(default_factory=ResourceLimits)
    gpu: str | None = None  # the GPU this worker's kernels may use; None: CPU only (the worker's, never planned)
    threads: int = 1  # fixed per kernel, so grades do not depend on the machine's load
    scale: str = "small"  # which data the notebook and the hidden tests use (autograder.datasets)
    keras_backend: str | None = None  # the kernels' Keras backend (job.plan_job resolves None: $KERAS_BACKEND)
    image: str | None = None  # the Docker image (job.plan_job resolves None: $AUTOGRADER_DOCKER_IMAGE, default)
    needs_gpu: bool = False  # on a Dask cluster: run on workers that offer a GPU (--resources GPU=1)


class Worker:
    """What a worker contributes to the jobs it runs: its GPU, its warm kernels, the assignments it has loaded."""

    def __init__(self, gpu: str | None = None, warm: bool = True, budget: KernelBudget | None = None):
        self.gpu, self.warm, self.budget = gpu, warm, budget or KernelBudget(10**9)
        self.loaded: dict[tuple, tuple] = {}  # (root, name, version) -> (assignment, manifest, tests)
        self.kernels: WarmKernels | None = None
        self.kernel_key = None
        self.progress: Callable[[str], None] | None = None  # told what the job it runs is doing (the service)

    def load(self, job) -> tuple:
        key = (job.course_root, job.assignment, job.assignment_version)
        if key not in self.loaded:
            from autograder.assignment import AssignmentError, load_manifest
            from autograder.course import find_assignment

            assignment = find_assignment(job.assignment, Path(job.course_root))
            manifest = load_manifest(assignment)
            if manifest is None or manifest.version != job.assignment_version:
                raise AssignmentError(f"{assignment.dist_dir} on this worker is missing or not the build the job "
                                      f"names ({job.assignment_version}); build the assignment where the workers "
                                      "can see it")
            self.loaded[key] = assignment, manifest, load_tests(assignment.tests_dir,
                                                                [q.name for q in manifest.autograded])
        return self.loaded[key]

    def supply(self, job, assignment: Assignment, manifest: Manifest, options: GradingOptions) -> WarmKernels | None:
        """Warm kernels for the job's kernel settings (started anew when they change)."""
        if not self.warm:
            return None
        key = (job.course_root, job.assignment, job.assignment_version, json.dumps(asdict(options), sort_keys=True))
        if key != self.kernel_key:
            self.close()
            self.kernels, self.kernel_key = WarmKernels(assignment, manifest, options, self.budget), key
        return self.kernels

    def close(self) -> None:
        if self.kernels is not None:
            self.kernels.close()
        self.kernels, self.kernel_key = None, None


def run_job(job, worker: Worker) -> SubmissionResult:
    """Grade one job (``autograder.job``) on ``worker``: the single way a submission is graded, locally or on Dask."""
    if job.grader_version != __version__:
        raise RuntimeError(f"the job was planned by autograder {job.grader_version}; this worker runs {__version__}")
    assignment, manifest, tests = worker.load(job)
    options = replace(job.options, gpu=worker.gpu)
    submission = job.submission()
    supply = worker.supply(job, assignment, manifest, options) if runnable(submission.data) else None
    return grade_submission(assignment, manifest, submission, options, tests, supply, job.trusted, job.refusal,
                            worker.progress)


def runnable(data: bytes) -> bool:
    """Whether a notebook reads as one (an invalid one needs no kernel)."""
    try:
        read_submission(data)
    except InvalidNotebook:
        return False
    return True


def grade_submission(assignment: Assignment, manifest: Manifest, submission: Submission,
                     options: GradingOptions | None = None, tests: dict | None = None,
                     kernels: WarmKernels | None = None, trusted: dict | None = None,
                     refusal: str = "", progress: Callable[[str], None] | None = None) -> SubmissionResult:
    """Grade one submission in a fresh kernel (from ``kernels`` when given, else started here).

    ``tests`` (from ``load_tests``) may be shared by a batch; ``trusted`` and ``refusal`` come from the job's plan
    (computed here when not given); ``progress`` is told each cell and each question's check as they start.
    A submission the machine was too busy to grade (status ``grader-overloaded``)
    is graded once more at once, with a note, and stays marked if that fails too.
    """
    options = options or GradingOptions()
    tests = tests or load_tests(assignment.tests_dir, [q.name for q in manifest.autograded])
    if trusted is None and not refusal:
        trusted, refusal = trusted_values(assignment, manifest, submission.student, options.scale)
    progress = progress or (lambda _: None)
    result = _grade_once(assignment, manifest, submission, options, tests, kernels, trusted, refusal, progress)
    if result.status != "grader-overloaded":
        return result
    again = _grade_once(assignment, manifest, submission, options, tests, kernels, trusted, refusal, progress)
    note = "graded a second time: the machine was too busy to grade it the first time"
    again.message = f"{again.message}; {note}" if again.message else note
    return again


def _grade_once(assignment: Assignment, manifest: Manifest, submission: Submission, options: GradingOptions,
                tests: dict, kernels: WarmKernels | None, trusted: dict | None, refusal: str,
                progress: Callable[[str], None]) -> SubmissionResult:
    started = time.monotonic()
    result = SubmissionResult(submission.student, submission.name, manifest.name, manifest.version,
                              __version__, submission.content_hash, device=f"cuda:{options.gpu}" if options.gpu
                              else "cpu", keras_backend=keras_backend(options),
                              scale=options.scale, submitted_at=submission.submitted_at,
                              display_name=submission.display_name)
    try:
        notebook = read_submission(submission.data)
    except InvalidNotebook as error:
        result.raise_status("invalid-notebook", f"{submission.name}: {error}")
        result.questions = [failed_question(tests[q.name], f"not graded: {error}") for q in manifest.autograded]
        return result

    if refusal:
        result.raise_status("unknown-student", refusal)
        result.questions = [failed_question(tests[q.name], f"not graded: {refusal}") for q in manifest.autograded]
        return result

    graded: dict[str, QuestionResult] = {}
    progress("starting the kernel")
    profile = Profile()
    prepared = kernels.take() if kernels is not None else prepare_kernel(assignment, manifest, options)
    profile.kernel(time.monotonic() - started, prepared.timings, warm=kernels is not None)
    try:
        if prepared.problem:
            result.raise_status("kernel-died", prepared.problem)
        else:
            prepared.add_notebook(f"{manifest.name}.ipynb", submission.data)
            _run_notebook(tests, trusted, manifest, notebook, prepared, options, result, graded, progress, profile)
    finally:
        closing = time.monotonic()
        prepared.close()
        profile.closed(time.monotonic() - closing)
    result.questions = [graded.get(q.name) or failed_question(tests[q.name], _why_not_graded(result))
                        for q in manifest.autograded]
    result.seconds = round(time.monotonic() - started, 3)
    result.profile = profile.to_json(result.seconds)
    return result


def _run_notebook(tests, trusted, manifest, notebook, prepared, options, result, graded, progress,
                  profile: Profile) -> None:
    """The notebook's limit, like a cell's, counts the kernel's own time (``KernelSession.execute``): its cells' and
    the tests' calls into it, not the time it waited for a core on a busy machine."""
    kernel, bridge = prepared.kernel, prepared.bridge
    set_up = kernel.own_seconds  # the grader's set-up code is not the notebook's

    def time_left() -> float:
        return options.notebook_timeout_s - (kernel.own_seconds - set_up)

    bridge.time_left = time_left
    plan = None
    try:
        plan = plan_run(notebook, manifest.questions)
        reseed = reseed_code(manifest)
        if not plan.steps:
            result.raise_status("ok", "the notebook has no code cells")
        errors = 0
        for step in plan.steps:
            remaining = time_left()
            where = f"cell {step.cell_number}" + (f" ({step.question})" if step.question else "")
            if remaining <= 0:
                result.raise_status("timeout", f"the notebook ran out of time ({options.notebook_timeout_s:.0f} s) "
                                               f"before {where}")
                break
            progress(f"running cell {step.cell_number}" + (f" of {step.question}" if step.question else ""))
            if reseed and not step.source.startswith("%%"):
                profile.grader_run(kernel.execute(reseed, timeout=min(options.cell_timeout_s, remaining),
                                                  store_history=False))
            run = kernel.execute(step.source, timeout=min(options.cell_timeout_s, remaining))
            profile.cell(step.cell_number, run)
            if run.output_truncated:
                result.raise_status("output-limit", f"{where} printed more than "
                                                    f"{options.output_bytes_per_cell:,} bytes")
            if run.status == "error" and run.error_name == "MemoryError":
                result.raise_status("memory-limit", f"{where} ran out of memory (limit: "
                                                    f"{_gib(options.limits.address_space_bytes)})")
            elif run.status == "error":
                errors += 1
                if errors <= 3:
                    result.raise_status("error", f"{where} raised {run.error_name}: {run.error_value[:300]}")
            elif run.status == "timeout":
                waited = run.seconds - run.own_seconds
                result.raise_status("timeout", f"{where} did not finish within "
                                               f"{min(options.cell_timeout_s, remaining):.0f} s" + (
                                                   f" (and waited {waited:.0f} s more for a core, which does not "
                                                   "count)" if waited >= 1 else ""))
            elif run.status == "overloaded":
                _overloaded(result, f"{where} could not finish in {run.seconds:.0f} s")
                return
            elif run.status == "died":
                _kernel_stopped(result, prepared, options, f"during {where}")
            if not run.kernel_alive:
                return
            for question in step.check_after:
                progress(f"checking {question}")
                graded[question] = _check(tests[question], bridge, trusted[question], profile)
            if bridge.overloaded:
                return _overloaded(result, "a test's call into the notebook could not finish")
        for question in plan.at_end + [q for q, r in graded.items() if missing_names(r)]:
            if kernel.alive():
                progress(f"checking {question}")
                graded[question] = _check(tests[question], bridge, trusted[question], profile)
        if bridge.overloaded:
            _overloaded(result, "a test's call into the notebook could not finish")
    except KernelDied as died:
        partial = died.args[0] if died.args and isinstance(died.args[0], QuestionResult) else None
        if partial is not None:
            graded[partial.name] = partial
        _kernel_stopped(result, prepared, options, "while the grader was checking answers")
    finally:
        for name, question in graded.items():
            question.located = plan.located.get(name, "") if plan is not None else ""


def reseed_code(manifest: Manifest) -> str:
    """What runs before each cell when the assignment asks for Otter's per-cell seeding (`generate: seed`):
    NumPy's and Python's global generators reseeded, or the seed variable set, as ``otter run`` does."""
    if manifest.seed is None:
        return ""
    if manifest.seed_variable and manifest.seed_variable.isidentifier():
        return f"{manifest.seed_variable} = {int(manifest.seed)}"
    return f"__import__('numpy').random.seed({int(manifest.seed)}); __import__('random').seed({int(manifest.seed)})"


def _overloaded(result: SubmissionResult, what: str) -> None:
    """The machine, not the notebook, ran out of time: a status of its own, and graded again on the next run."""
    result.raise_status("grader-overloaded", f"{what}: the kernel spent most of that time waiting for a core, so "
                                             "the machine is overloaded (grade with fewer --workers)")
    result.grader_failed = True


def _kernel_stopped(result: SubmissionResult, prepared, options: GradingOptions, when: str) -> None:
    """A dead kernel: ``memory-limit`` when its cgroup's memory limit killed it, else ``kernel-died``."""
    if prepared.sandbox.memory_kills():
        result.raise_status("memory-limit", f"the kernel was stopped {when}: it used more than its "
                                            f"{_gib(options.limits.memory_bytes)} of memory (its processes and "
                                            "the files it wrote in /tmp and its folder count)")
    else:
        result.raise_status("kernel-died", f"the kernel stopped {when}")


def grading_failed(batch, submission: Submission, error: BaseException) -> SubmissionResult:
    """The result of a submission the grader itself failed on: recorded, so the tutor sees it, and graded again
    on the next run (a failure of the grader says nothing about the notebook)."""
    manifest = batch.manifest
    result = SubmissionResult(submission.student, submission.name, manifest.name, manifest.version, __version__,
                              submission.content_hash, submitted_at=submission.submitted_at,
                              display_name=submission.display_name, grader_failed=True)
    result.raise_status("error", f"the grader failed on this submission ({type(error).__name__}: {error}); "
                                 "please report it")
    result.questions = [failed_question(batch.tests[q.name], "not graded") for q in manifest.autograded]
    return result


def _check(test_file, bridge: Bridge, trusted: dict, profile: Profile) -> QuestionResult:
    before, started = replace(bridge.stats), time.monotonic()
    try:
        result = run_question(test_file, bridge, trusted)
    finally:
        profile.check(test_file.name, time.monotonic() - started, bridge.stats.since(before))
    if not bridge.kernel.alive():
        raise KernelDied(result)
    return result


def _gib(size: int | None) -> str:
    return "none" if size is None else f"{size / 1024**3:g} GiB"


def _why_not_graded(result: SubmissionResult) -> str:
    return f"not graded: {result.message}" if result.message else "not graded"
