"""The ``autograder`` command. Thin: parse, call one library function, print."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from autograder import __version__, sandbox
from autograder.assignment import AssignmentError
from autograder.bank import BankError
from autograder.course import find_assignment
from autograder.exam.spec import SpecError
from autograder.gradebook import OutputError, similar_id_notes
from autograder.ingest import IngestError, collect_submissions
from autograder.testfile import TestFileError

SCALES = ("small", "full")  # autograder.datasets.SCALES, without importing numpy before parsing
# Full-scale notebooks train for minutes (a convolutional autoencoder on Fashion-MNIST: about 2 min per model here)
TIMEOUTS_S = {"small": (120.0, 900.0), "full": (600.0, 2400.0)}  # (per cell, per notebook) when not given

console = Console(stderr=True, soft_wrap=True)
out = Console(width=None if sys.stdout.isatty() else 160)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except (AssignmentError, BankError, SpecError, IngestError, OutputError, TestFileError, ValueError,
            RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; results written so far are kept", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description="Grade Jupyter notebooks with hidden tests "
                                     "that run outside the student's kernel.")
    parser.add_argument("--version", action="version", version=f"autograder {__version__}")
    parser.add_argument("--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT", ".")),
                        help="the course folder holding solutions/ and assignments/ (default: here)")
    commands = parser.add_subparsers(dest="command")

    build = commands.add_parser("build", help="make the student notebook and the autograder from solutions/NAME")
    build.add_argument("name")
    build.add_argument("--otter-args", default="", metavar="ARGS",
                       help="options for `otter assign`, as one string (e.g. \"--no-pdfs --no-run-tests\")")
    build.set_defaults(run=_build)

    grade = commands.add_parser("grade", help="grade submissions: notebooks, folders or zips")
    grade.add_argument("name")
    grade.add_argument("paths", nargs="+", type=Path)
    grade.add_argument("--out", type=Path, required=True, help="folder for results/ and gradebook.csv")
    _grading_arguments(grade)
    grade.add_argument("--regrade", action="store_true", help="grade again what the gradebook already holds")
    grade.add_argument("--profile", action="store_true",
                       help="print where the time went (kernel, cells, tests, waiting, overhead) for this run")
    grade.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="grade on a Dask cluster instead of this machine")
    grade.add_argument("--gpus", metavar="0,1|all",
                       help="GPUs for the workers, one each in turn (default: none, grade on the CPU); with "
                            "--scheduler, any value sends each job to a Dask worker started with --resources "
                            "GPU=1, which uses the GPU of its CUDA_VISIBLE_DEVICES")
    grade.add_argument("--no-warm", dest="warm", action="store_false",
                       help="start each kernel only when its submission is due (default: one is always ready)")
    grade.set_defaults(run=_grade)

    report = commands.add_parser("report", help="grades, statistics, LMS uploads and web pages from a grade folder")
    report.add_argument("name")
    report.add_argument("grade_dir", type=Path, help="the folder `grade --out` wrote")
    report.add_argument("--out", type=Path, help="where to write the report (default: GRADE_DIR/report)")
    report.add_argument("--manual", type=Path, help="CSV of scores for questions graded by hand: student, q7, ...")
    report.add_argument("--times", type=Path, help="CSV of submission times: student, submitted_at (ISO 8601)")
    report.add_argument("--root", type=Path, default=argparse.SUPPRESS,
                        help="the course folder (may also come before the command)")
    report.set_defaults(run=_report)

    bank = commands.add_parser("bank", help="the exam question bank: check it, list it, its statistics")
    bank_commands = bank.add_subparsers(dest="bank_command", required=True)
    check = bank_commands.add_parser("check", help="run every question's reference answer against its tests")
    check.add_argument("--seeds", type=int, default=5, help="variants per question (default 5)")
    listing = bank_commands.add_parser("list", help="the questions, a line each")
    stats = bank_commands.add_parser("stats", help="each question's difficulty and discrimination, exam by exam")
    for sub in (check, listing, stats):
        sub.add_argument("--bank", type=Path, help="the bank folder (default: ROOT/bank)")
    exam = commands.add_parser("exam", help="exams from the question bank, a variant per student")
    exam_commands = exam.add_subparsers(dest="exam_command", required=True)
    exam_build = exam_commands.add_parser("build", help="each student's notebook, answer key and the grader")
    exam_build.add_argument("spec", type=Path, help="the exam's SPEC.yml (sections, counts, points)")
    exam_build.add_argument("--roster", type=Path, required=True, help="CSV with a student id column (and name)")
    exam_build.add_argument("--out", type=Path, required=True, help="the exam's folder (a course folder of its own)")
    exam_build.set_defaults(run=_exam_build)
    check.set_defaults(run=_bank_check)
    listing.set_defaults(run=_bank_list)
    stats.set_defaults(run=_bank_stats)
    serve = commands.add_parser(
        "serve", help="the submission service: students upload and read their feedback, tutors watch and regrade",
        description="A web service for a course: students sign in with a personal link, upload notebooks and "
                    "read their feedback; every upload is a job in the database (SQLite, WAL) that the service's "
                    "graders take in order, each recorded exactly once, also after a crash. HTTPS belongs to a "
                    "reverse proxy in front (README: nginx, Caddy); give its address as --public-url.")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--public-url", help="the address students use (https://... behind a proxy: cookies are "
                                            "then Secure); default http://HOST:PORT")
    serve.add_argument("--data", type=Path, help="the service's folder: database, uploads, secret, grade folders "
                                                 "(default: ROOT/grades/service)")
    serve.add_argument("--grades", type=Path,
                       help="the grade folders, one per assignment (GRADES/NAME, as `grade --out GRADES/NAME` makes "
                            "them): results graded before the service are kept and reported with its own "
                            "(default: DATA/grades)")
    serve.add_argument("--assignment", action="append", dest="assignments", metavar="NAME",
                       help="an assignment open for submissions (repeat it; default: every assignment with a rubric)")
    serve.add_argument("--max-upload", type=float, default=20.0, help="largest notebook, MB (default 20)")
    serve.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="grade on a Dask cluster whose workers see this course folder at the same path; "
                            "--workers jobs are in the cluster at a time")
    _grading_arguments(serve)
    serve.set_defaults(run=_serve)
    serve_commands = serve.add_subparsers(dest="serve_command")
    invite = serve_commands.add_parser("invite", help="add the roster's students; write their sign-in links as CSV")
    invite.add_argument("--roster", type=Path, required=True, help="CSV with a student id column (and name)")
    invite.add_argument("--out", type=Path, help="the links' CSV for a mail merge (default: standard output)")
    invite.add_argument("--days", type=float, default=30.0, help="days a link works (default 30)")
    invite.add_argument("--new-secret", action="store_true", help="end every link given out before")
    invite.set_defaults(run=_serve_invite)
    tutor = serve_commands.add_parser("tutor", help="add a tutor, or set a tutor's password")
    tutor.add_argument("login")
    tutor.add_argument("--name", default="", help="the name shown on pages")
    tutor.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    tutor.set_defaults(run=_serve_tutor)
    return parser


def _grading_arguments(parser: argparse.ArgumentParser) -> None:
    """How each submission is graded: the same for `grade` and `serve`."""
    parser.add_argument("--cell-timeout", type=float,
                       help="seconds per cell (default 120; 600 at --scale full); time a kernel waits for a core on a "
                            "busy machine does not count")
    parser.add_argument("--notebook-timeout", type=float,
                       help="seconds per notebook, tests' calls included (default 900; 2400 at --scale full), "
                            "counted like --cell-timeout")
    parser.add_argument("--sandbox", default=sandbox.DEFAULT, choices=list(sandbox.BACKENDS),
                       help=f"where kernels run (default: {sandbox.DEFAULT}; none only for trusted notebooks)")
    parser.add_argument("--image", help="the grading image for --sandbox docker (default: autograder-grader:latest)")
    parser.add_argument("--seed", type=int, default=2026, help="seed set before the first cell (default 2026)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                       help="submissions graded at once on this machine (default: the number of cores)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per kernel (default 1)")
    parser.add_argument("--keras-backend", choices=["tensorflow", "torch", "jax"],
                       help="Keras backend in the kernels (default: $KERAS_BACKEND, else tensorflow)")
    parser.add_argument("--scale", choices=list(SCALES),
                       help="the data to grade on: small (8x8 digits) or full (Fashion-MNIST, from Debian's "
                            "dataset-fashion-mnist); default: the rubric's `scale:`, else small")
    limits = parser.add_argument_group("limits per kernel")
    limits.add_argument("--memory", type=float, default=4.0,
                        help="GiB per kernel: each process's address space and, where the host has cgroups, all the "
                             "kernel's processes together with the files it keeps in /tmp (default 4; 0: none)")
    limits.add_argument("--max-processes", type=int, default=256, help="processes and threads (default 256)")
    limits.add_argument("--max-file-size", type=float, default=1.0, help="largest file written, GiB (default 1)")
    limits.add_argument("--cpu-time", type=int, default=3600, help="CPU seconds (default 3600)")
    limits.add_argument("--cpus", type=float,
                        help="a hard cap in CPUs per kernel (default: none; every kernel gets an equal CPU share)")
    limits.add_argument("--tmp-size", type=float, default=0.5, help="size of the kernel's /tmp, GiB (default 0.5)")
    limits.add_argument("--work-size", type=float, default=2.0,
                        help="quota on the kernel's work folder, GiB (default 2; needs a root grader)")
    limits.add_argument("--output-limit", type=int, default=1_000_000,
                        help="characters of output per cell before it is cut (default 1000000)")


def _build(args) -> int:
    from autograder.build import build_assignment

    assignment = find_assignment(args.name, args.root)
    try:
        otter_args = shlex.split(args.otter_args)
    except ValueError as error:
        raise AssignmentError(f"--otter-args {args.otter_args!r} is not a valid command line ({error})") from None
    manifest = build_assignment(assignment, otter_args, warn=lambda message: out.print(f"warning: {message}"))
    auto = sum(q.points for q in manifest.autograded)
    out.print(f"built {manifest.name} (version {manifest.version}): {len(manifest.questions)} questions, "
              f"{auto:g} autograded points")
    out.print(f"  student notebook: {assignment.student_notebook}")
    out.print(f"  autograder:       {assignment.dist_dir / 'autograder.zip'}")
    return 0


def _grade(args) -> int:
    from autograder.batch import ensure_built, grade_batch
    from autograder.datasets import require_data
    from autograder.kernel_pool import kernel_sandbox
    from autograder.rubric import rubric_scale
    from autograder.scheduler import make_scheduler

    assignment = find_assignment(args.name, args.root)
    submissions, warnings = collect_submissions(args.paths, assignment=args.name)
    for warning in warnings:
        console.print(Text.assemble(("note:", "yellow"), " ", warning), highlight=False)  # names are students' text
    if not submissions:
        raise IngestError("no notebooks found in " + ", ".join(map(str, args.paths)))
    if args.sandbox == "none":
        console.print("[bold yellow]warning:[/] --sandbox none runs student code unconfined, with your user's "
                      "rights; use it for trusted notebooks only")
    scale = args.scale or rubric_scale(args.root, args.name)
    require_data(scale)  # before anything runs: not 0 points for every student
    manifest = ensure_built(assignment, say=lambda text: console.print(text))
    options = _grading_options(args, scale, needs_gpu=bool(args.gpus and args.scheduler))
    for warning in kernel_sandbox(options).warnings():
        console.print(Text.assemble(("warning:", "bold yellow"), " ", warning))
    # On a Dask cluster each GPU job goes to a worker that offers one, which uses its own CUDA_VISIBLE_DEVICES
    gpus = None if args.scheduler else _gpus(args.gpus)
    columns = (TextColumn("grading {task.fields[student]}", markup=False), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("grade", total=len(submissions), student="")

        def advance(result, reused: bool) -> None:
            progress.update(task, advance=1, student=result.student)
            if reused:
                skipped.append(result.student)

        skipped: list[str] = []
        scheduler = make_scheduler(args.scheduler, args.workers, args.warm, gpus)
        results = grade_batch(assignment, submissions, args.out, options, regrade=args.regrade, on_result=advance,
                              scheduler=scheduler)
    for note in similar_id_notes(result.student for result in results):
        console.print(Text.assemble(("note:", "yellow"), " ", note))
    if skipped:
        console.print(f"{len(skipped)} submission(s) were already graded and were not run again "
                      "(--regrade runs them)")
    out.print(_table(results, [q.name for q in manifest.autograded]))
    if args.profile:
        out.print(_profile_table([r for r in results if r.student not in set(skipped)]))
    out.print(f"graded at the {scale} scale; results: {args.out / 'results'}   gradebook: "
              f"{args.out / 'gradebook.csv'} (record: {args.out / 'gradebook.sqlite'})")
    return 0


def _profile_table(results) -> Table:
    from autograder.profile import summary

    graded = [r.profile for r in results if r.profile]
    table = Table(title=f"where the time went: {len(graded)} submission(s) graded in this run (autograder.profile)")
    for column in ("phase", "median", "max"):
        table.add_column(column, justify="left" if column == "phase" else "right")
    for row in summary(graded):
        table.add_row(*row)
    return table


def _grading_options(args, scale: str, needs_gpu: bool = False):
    from autograder.grading import GradingOptions
    from autograder.sandbox.limits import GIB, ResourceLimits

    cell_timeout, notebook_timeout = TIMEOUTS_S[scale]
    memory = int(args.memory * GIB) or None
    limits = ResourceLimits(address_space_bytes=memory, memory_bytes=memory, processes=args.max_processes,
                            file_size_bytes=int(args.max_file_size * GIB), cpu_seconds=args.cpu_time,
                            cpus=args.cpus, tmp_bytes=int(args.tmp_size * GIB), work_bytes=int(args.work_size * GIB))
    return GradingOptions(cell_timeout_s=args.cell_timeout or cell_timeout,
                          notebook_timeout_s=args.notebook_timeout or notebook_timeout,
                          sandbox=args.sandbox, seed=args.seed, output_bytes_per_cell=args.output_limit,
                          limits=limits, threads=args.threads, scale=scale, keras_backend=args.keras_backend,
                          image=args.image, needs_gpu=needs_gpu)


def _serve(args) -> int:
    from autograder.service.server import serve

    return serve(args, _grading_options(args, args.scale or "small"))


def _serve_invite(args) -> int:
    from autograder.service.server import invite

    return invite(args)


def _serve_tutor(args) -> int:
    from autograder.service.server import add_tutor

    return add_tutor(args)


def _report(args) -> int:
    from autograder.report import build_report

    report = build_report(args.name, args.grade_dir, out=args.out, manual=args.manual, times=args.times,
                          root=args.root)
    out.print(f"report of {report.students} submission(s), {report.attention} needing attention: {report.index}")
    out.print(f"  grades: {report.grades}   LMS uploads: {report.folder / 'lms'}")
    if report.bank_history:
        out.print(f"  item statistics of {len(report.bank_history)} question(s) added to the bank "
                  "(autograder bank stats shows them)")
    return 0


def _exam_build(args) -> int:
    from autograder.exam.build import build_exam

    built = build_exam(args.spec, args.roster, args.out, args.root)
    exam = built.exam
    points = sum(q.points for q in built.questions)
    out.print(f"built exam {exam.name}: {len(built.questions)} questions, {points:g} points, "
              f"{built.students} students")
    for number, question in enumerate(built.questions, start=1):
        out.print(f"  {number:2d}. {question.bank_id} ({question.points:g} points, {question.section})",
                  highlight=False)
    out.print(f"  hand out:    {built.notebooks}/STUDENT.ipynb (printable: {built.notebooks}/print/)")
    out.print(f"  print all:   {built.print_all}")
    out.print(f"  answer keys: {built.keys} (private, like everything under {exam.master_dir})")
    out.print(f"  grade with:  autograder --root {exam.root} grade {exam.name} SUBMISSIONS --out GRADES",
              highlight=False)
    return 0


def _bank_dir(args) -> Path:
    return args.bank if args.bank else args.root / "bank"


def _bank_check(args) -> int:
    from autograder.bank import load_bank
    from autograder.bank.check import check_questions

    checks = check_questions(load_bank(_bank_dir(args)), range(args.seeds))
    for check in checks:
        mark = "[green]ok[/]" if not check.problems else "[red]FAIL[/]"
        out.print(f"{mark} {check.question} ({check.variants} variants)", highlight=False)
        for problem in check.problems:
            out.print(f"     {problem}", highlight=False, markup=False)
    failed = [check for check in checks if check.problems]
    out.print(f"{len(checks)} questions, {len(failed)} with problems")
    return 1 if failed else 0


def _bank_list(args) -> int:
    from autograder.bank import load_bank

    table = Table(title="question bank")
    for column in ("id", "kind", "difficulty", "points", "tags"):
        table.add_column(column)
    for question in load_bank(_bank_dir(args)):
        table.add_row(question.id, question.kind, question.difficulty, f"{question.points:g}", ", ".join(question.tags))
    out.print(table)
    return 0


def _bank_stats(args) -> int:
    from autograder.bank.stats import statistics_table

    frame = statistics_table(_bank_dir(args))
    if frame.empty:
        out.print("no statistics yet: they are added by `autograder report` on a graded exam")
        return 0
    out.print(frame.to_string(index=False))
    return 0


def _gpus(spec: str | None) -> list[str]:
    if not spec:
        return []
    if spec == "all":
        found = sorted(int(p.name[6:]) for p in Path("/dev").glob("nvidia[0-9]*"))
        if not found:
            raise ValueError("--gpus all: this machine has no NVIDIA GPU (/dev/nvidia0 is missing)")
        return [str(index) for index in found]
    devices = [part.strip() for part in spec.split(",") if part.strip()]
    if not all(device.isdigit() for device in devices):
        raise ValueError(f"--gpus takes device numbers like 0,1 or 'all', not {spec!r}")
    return devices


def _table(results, questions) -> Table:
    table = Table(title="grades")
    for column in ["student", *questions, "total", "status"]:
        table.add_column(column, justify="left" if column in ("student", "status") else "right")
    for result in sorted(results, key=lambda r: r.student):
        style = "green" if result.status == "ok" else "red"
        table.add_row(Text(result.student), *[f"{result.points(q):g}" for q in questions],
                      f"{result.total:g}/{result.max_total:g}", Text(result.status, style=style))
    return table


if __name__ == "__main__":
    sys.exit(main())
