"""Where one submission's seconds go, for each lab's reference notebook (the per-phase profile, issue 20).

Usage: python benchmarks/bench_profile.py [ASSIGNMENT...] [--runs N] [--no-append]
Each run grades examples/NAME/submissions/reference.ipynb with `autograder grade --regrade` in a fresh process (so
start-up counts, as for a tutor), then reads the profile its result recorded. Prints a Markdown table of the
medians over N runs (default 3) and appends it to benchmarks/RESULTS.md.
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

LABS = ["temperature", "gan_debug", "autoencoder"]


def profile_once(name: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        submission = Path(tmp) / "reference.ipynb"
        submission.write_bytes((ROOT / "examples" / name / "submissions" / "reference.ipynb").read_bytes())
        command = [sys.executable, "-c", "import sys; from autograder.cli import main; sys.exit(main())",
                   "--root", str(ROOT), "grade", name, str(submission), "--out", str(Path(tmp) / "out"), "--regrade"]
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(f"grading {name} failed:\n{done.stderr[-2000:]}")
        result = json.loads(next((Path(tmp) / "out" / "results").glob("*.json")).read_text())
    return result["profile"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("labs", nargs="*", default=LABS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    medians = {}
    for name in args.labs:
        runs = [profile_once(name) for _ in range(args.runs)]
        medians[name] = {key: statistics.median(float(p.get(key, 0)) for p in runs) for _, key, _ in PHASES}
    lines = [f"### Per-phase profile of each lab's reference ({datetime.date.today()}, {platform.node()}, "
             f"{os.cpu_count()} cores)", "",
             f"`python benchmarks/bench_profile.py {' '.join(args.labs)} --runs {args.runs}`: medians of "
             f"{args.runs} runs, one cold kernel each (`autograder grade --regrade`).", "",
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
