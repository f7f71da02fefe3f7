"""Where one submission's seconds go, for each lab's reference notebook (the per-phase profile, issue 20).

Usage: python benchmarks/bench_profile.py [ASSIGNMENT...] [--runs N] [--class K] [--no-append]
Each run grades examples/NAME/submissions/reference.ipynb with `autograder grade --regrade` in a fresh process (so
start-up counts, as for a tutor), then reads the profile its result recorded. Prints a Markdown table of the
medians over N runs (default 3) and appends it to benchmarks/RESULTS.md. With ``--class K`` each run grades a class
of K copies of the reference instead (one worker, warm kernels, as a tutor grades a class), and the table gives
the median over every submission of every run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.profile import PHASES  # noqa: E402
from benchmarks.bench_batch import make_class  # noqa: E402

LABS = ["temperature", "gan_debug", "autoencoder"]


def profiles_of_one_run(name: str, class_size: int) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        if class_size:
            submissions = make_class(name, class_size, Path(tmp) / "class")
            extra = ["--workers", "1"]
        else:
            submissions = Path(tmp) / "reference.ipynb"
            submissions.write_bytes((ROOT / "examples" / name / "submissions" / "reference.ipynb").read_bytes())
            extra = []
        command = [sys.executable, "-c", "import sys; from autograder.cli import main; sys.exit(main())",
                   "--root", str(ROOT), "grade", name, str(submissions), "--out", str(Path(tmp) / "out"), "--regrade",
                   *extra]
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(f"grading {name} failed:\n{done.stderr[-2000:]}")
        return [json.loads(path.read_text())["profile"] for path in (Path(tmp) / "out" / "results").glob("*.json")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("labs", nargs="*", default=LABS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--class", dest="class_size", type=int, default=0)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    medians = {}
    for name in args.labs:
        runs = [profile for _ in range(args.runs) for profile in profiles_of_one_run(name, args.class_size)]
        medians[name] = {key: statistics.median(float(p.get(key, 0)) for p in runs) for _, key, _ in PHASES}
    chosen = f" --class {args.class_size}" if args.class_size else ""
    what = (f"medians over every submission of {args.runs} runs, each a class of {args.class_size} copies of the "
            "reference graded by one worker with warm kernels (`autograder grade --workers 1`)" if args.class_size
            else f"medians of {args.runs} runs, one cold kernel each (`autograder grade --regrade`)")
    where = f" in a class of {args.class_size}" if args.class_size else ""
    lines = [f"### Per-phase profile of each lab's reference{where} ({datetime.date.today()}, {platform.node()}, "
             f"{os.cpu_count()} cores)", "",
             f"`python benchmarks/bench_profile.py {' '.join(args.labs)} --runs {args.runs}{chosen}`: {what}.", "",
             "| phase | " + " | ".join(medians) + " |", "|---|" + "---:|" * len(medians)]
    for label, key, unit in PHASES:
        cells = []
        for name in medians:
            value = medians[name][key]
            cells.append(f"{100 * value:.1f}%" if unit == "%" else f"{value:,.0f}" if unit == "" else f"{value:.2f} s")
        lines.append(f"| {label.strip()} | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_append:
        with open(ROOT / "benchmarks" / "RESULTS.md", "a") as results:
            results.write("\n" + text)


if __name__ == "__main__":
    main()
