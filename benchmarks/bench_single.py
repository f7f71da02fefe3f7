"""One submission, three ways: `autograder grade`, plain nbclient execution, and `otter run`.

Usage: python benchmarks/bench_single.py [ASSIGNMENT] [SUBMISSION] [--runs N]
Prints a Markdown table (medians of N runs, default 5) and appends it to benchmarks/RESULTS.md.
Each run is a fresh process, as a tutor would run it, so start-up costs count.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

NBCLIENT = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
"""


def timed(command: list[str], cwd: Path) -> float:
    if "-o" in command:  # otter run wants its output folder to exist
        Path(command[command.index("-o") + 1]).mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("assignment", nargs="?", default="temperature")
    parser.add_argument("submission", nargs="?", default=None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    name = args.assignment
    submission = Path(args.submission or ROOT / "examples" / name / "submissions" / "reference.ipynb").resolve()
    subprocess.run([BIN / "autograder", "build", name], cwd=ROOT, check=True, capture_output=True)
    zip_path = ROOT / "dist" / name / "autograder.zip"

    ways = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        for support in (ROOT / "assignments" / name).iterdir():
            if support.is_file() and support.suffix != ".ipynb":
                (work / support.name).write_bytes(support.read_bytes())
        notebook = work / f"{name}.ipynb"  # Otter's init cell opens the notebook by this name
        notebook.write_bytes(submission.read_bytes())
        commands = {
            "autograder grade (bubblewrap)": lambda i: [BIN / "autograder", "grade", name, submission,
                                                        "--out", f"{tmp}/grade{i}"],
            "autograder grade (--sandbox none)": lambda i: [BIN / "autograder", "grade", name, submission,
                                                            "--out", f"{tmp}/gradenone{i}", "--sandbox", "none"],
            "plain nbclient execution": lambda i: [sys.executable, "-c", NBCLIENT, notebook, work],
            "otter run": lambda i: [BIN / "otter", "run", "-a", zip_path, "-o", f"{tmp}/otter{i}", submission],
        }
        for label, command in commands.items():
            ways[label] = [timed([str(part) for part in command(i)], ROOT) for i in range(args.runs)]

    base = statistics.median(ways["plain nbclient execution"])
    lines = [f"### One submission: {name} ({submission.name})", "",
             f"{datetime.date.today()}, {platform.node() or 'machine'}: {os.cpu_count()} cores, "
             f"Python {platform.python_version()}; `python benchmarks/bench_single.py {name} --runs {args.runs}`",
             "", "| way | median s | min s | max s | ratio to nbclient |", "|---|---:|---:|---:|---:|"]
    for label, times in ways.items():
        median = statistics.median(times)
        lines.append(f"| {label} | {median:.2f} | {min(times):.2f} | {max(times):.2f} | {median / base:.2f}x |")
    table = "\n".join(lines) + "\n"
    print(table)
    with open(ROOT / "benchmarks" / "RESULTS.md", "a") as results:
        results.write("\n" + table)


if __name__ == "__main__":
    main()
