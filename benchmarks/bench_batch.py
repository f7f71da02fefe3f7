"""Batches: throughput with 1 and 2 workers, warm or cold kernels; flat cost per submission; Dask vs local;
peak memory per kernel.

Usage:
  python benchmarks/bench_batch.py workers  ASSIGNMENT --submissions 40 --runs 5   # (b)
  python benchmarks/bench_batch.py scaling  ASSIGNMENT --sizes 10 100 --runs 5     # (c)
  python benchmarks/bench_batch.py dask     ASSIGNMENT --submissions 20 --runs 5   # (d)
  python benchmarks/bench_batch.py otter    temperature --submissions 10 --runs 5  # against a loop of otter run
Every run grades in a fresh output folder (nothing reused). Submissions are copies of
examples/ASSIGNMENT/submissions/reference.ipynb, each made distinct by a comment cell, as different students.
Peak memory (e) is sampled from /proc during every run: the largest resident set of one kernel's processes.
Results are printed as Markdown and appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def make_class(name: str, count: int, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    reference = nbformat.read(ROOT / "examples" / name / "submissions" / "reference.ipynb", as_version=4)
    for index in range(count):
        copy = nbformat.from_dict(reference)
        copy.cells.append(nbformat.v4.new_code_cell(f"# student {index}"))
        nbformat.write(copy, folder / f"student{index:03d}.ipynb")
    return folder


class PeakMemory:
    """Samples the resident memory of each kernel (its bwrap process tree) while a batch runs."""

    def __init__(self):
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            for status in Path("/proc").glob("[0-9]*/status"):
                try:
                    text = status.read_text()
                    cmdline = (status.parent / "cmdline").read_bytes()
                except OSError:
                    continue
                if b"ipykernel_launcher" in cmdline and b"bwrap" not in cmdline[:40]:
                    rss = next((line.split()[1] for line in text.splitlines() if line.startswith("VmRSS")), "0")
                    self.peak_mib = max(self.peak_mib, int(rss) / 1024)


def grade(name: str, submissions: Path, *extra: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as out, PeakMemory() as memory:
        start = time.perf_counter()
        done = subprocess.run([str(BIN / "autograder"), "grade", name, str(submissions), "--out", f"{out}/grades",
                               *extra], cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    return seconds, memory.peak_mib


def header(title: str, command: str) -> list[str]:
    return [f"### {title}", "", f"{datetime.date.today()}, {platform.node() or 'machine'}: {os.cpu_count()} cores, "
            f"Python {platform.python_version()}; `{command}`", ""]


def bench_workers(args) -> list[str]:
    folder = make_class(args.assignment, args.submissions, Path(tempfile.mkdtemp()) / "class")
    configs = {"1 worker, cold kernels": ["--workers", "1", "--no-warm"],
               "1 worker, warm kernels": ["--workers", "1"],
               "2 workers, cold kernels": ["--workers", "2", "--no-warm"],
               "2 workers, warm kernels": ["--workers", "2"]}
    if args.configs:  # a subset, e.g. --configs 1-cold 2-warm (the full set takes hours at 40 x 5)
        keys = {f"{label[0]}-{'warm' if 'warm' in label else 'cold'}": label for label in configs}
        configs = {keys[key]: configs[keys[key]] for key in args.configs}
    rows, base = [], None
    for label, extra in configs.items():
        runs = [grade(args.assignment, folder, *extra) for _ in range(args.runs)]
        median = statistics.median(seconds for seconds, _ in runs)
        per_minute = args.submissions * 60 / median
        base = base or per_minute
        rows.append(f"| {label} | {median:.1f} | {per_minute:.2f} | {per_minute / base:.2f}x | "
                    f"{max(peak for _, peak in runs):.0f} |")
    chosen = f" --configs {' '.join(args.configs)}" if args.configs else ""
    return header(f"Batch of {args.submissions} {args.assignment} submissions: workers and warm kernels",
                  f"python benchmarks/bench_batch.py workers {args.assignment} --submissions {args.submissions} "
                  f"--runs {args.runs}{chosen}") + [
        "| configuration | median s | submissions/min | vs the first row | peak MiB per kernel |",
        "|---|---:|---:|---:|---:|", *rows]


def bench_scaling(args) -> list[str]:
    rows = []
    for size in args.sizes:
        folder = make_class(args.assignment, size, Path(tempfile.mkdtemp()) / "class")
        runs = [grade(args.assignment, folder)[0] for _ in range(args.runs)]
        median = statistics.median(runs)
        rows.append(f"| {size} | {median:.1f} | {median / size:.2f} |")
    return header(f"Cost per submission as the class grows ({args.assignment}, default workers)",
                  f"python benchmarks/bench_batch.py scaling {args.assignment} --sizes "
                  f"{' '.join(map(str, args.sizes))} --runs {args.runs}") + [
        "| submissions | median s | s per submission |", "|---:|---:|---:|", *rows]


def bench_dask(args) -> list[str]:
    folder = make_class(args.assignment, args.submissions, Path(tempfile.mkdtemp()) / "class")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask = str(BIN / "dask")
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    time.sleep(3)
    processes += [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    time.sleep(5)
    try:
        local = [grade(args.assignment, folder, "--workers", "2")[0] for _ in range(args.runs)]
        remote = [grade(args.assignment, folder, "--scheduler", address)[0] for _ in range(args.runs)]
    finally:
        for process in processes:
            process.terminate()
    local_median, remote_median = statistics.median(local), statistics.median(remote)
    return header(f"Dask with 2 local workers vs the local pool ({args.submissions} {args.assignment} submissions)",
                  f"python benchmarks/bench_batch.py dask {args.assignment} --submissions {args.submissions} "
                  f"--runs {args.runs}") + [
        "| way | median s | ratio |", "|---|---:|---:|",
        f"| local pool, 2 workers | {local_median:.1f} | 1.00x |",
        f"| Dask, 2 workers | {remote_median:.1f} | {remote_median / local_median:.2f}x |"]


def otter_loop(name: str, submissions: Path) -> float:
    """What a tutor with Otter runs: `otter run` once per submission, one after another."""
    zip_path = ROOT / "dist" / name / "autograder.zip"
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        for index, notebook in enumerate(sorted(submissions.glob("*.ipynb"))):
            Path(f"{out}/{index}").mkdir()
            done = subprocess.run([str(BIN / "otter"), "run", "-a", str(zip_path), "-o", f"{out}/{index}",
                                   str(notebook)], cwd=ROOT, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(done.stderr[-2000:])
        return time.perf_counter() - start


def bench_otter(args) -> list[str]:
    folder = make_class(args.assignment, args.submissions, Path(tempfile.mkdtemp()) / "class")
    ours = [grade(args.assignment, folder)[0] for _ in range(args.runs)]
    otter = [otter_loop(args.assignment, folder) for _ in range(args.runs)]
    our_median, otter_median = statistics.median(ours), statistics.median(otter)
    return header(f"A class of {args.submissions} {args.assignment} submissions: autograder grade vs a loop of "
                  "otter run", f"python benchmarks/bench_batch.py otter {args.assignment} --submissions "
                  f"{args.submissions} --runs {args.runs}") + [
        "| way | median s | s per submission | speed-up |", "|---|---:|---:|---:|",
        f"| loop of `otter run` | {otter_median:.1f} | {otter_median / args.submissions:.2f} | 1.00x |",
        f"| `autograder grade` (default workers, warm kernels) | {our_median:.1f} | "
        f"{our_median / args.submissions:.2f} | {otter_median / our_median:.2f}x |"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["workers", "scaling", "dask", "otter"])
    parser.add_argument("assignment")
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--configs", nargs="+", choices=["1-cold", "1-warm", "2-cold", "2-warm"],
                        help="workers: only these configurations (default: all four)")
    args = parser.parse_args()
    subprocess.run([str(BIN / "autograder"), "build", args.assignment], cwd=ROOT, check=True, capture_output=True)
    lines = {"workers": bench_workers, "scaling": bench_scaling, "dask": bench_dask,
             "otter": bench_otter}[args.kind](args)
    text = "\n".join(lines) + "\n"
    print(text)
    with open(ROOT / "benchmarks" / "RESULTS.md", "a") as results:
        results.write("\n" + text)
    shutil.rmtree(Path(tempfile.gettempdir()) / "class", ignore_errors=True)


if __name__ == "__main__":
    main()
