"""Grade an assignment's example corpus under a Keras backend and compare with examples/NAME/expected.json.

Usage: python tools/check_backends.py autoencoder --backend torch [--workers 2] [--memory 0] [--scale full]
Exit status 0 when every example gets its expected status and points (at --scale full: expected_full.json).
`make test-backends` runs it for torch and jax (installing them first); the default test suite covers the
tensorflow backend.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("assignment")
    parser.add_argument("--backend", required=True, choices=["tensorflow", "torch", "jax"])
    parser.add_argument("--workers", default="2")
    parser.add_argument("--memory", default="0", help="GiB per kernel; 0 (none) since CUDA builds map GBs")
    parser.add_argument("--scale", default="small", choices=["small", "full"])
    args = parser.parse_args()
    name = "expected.json" if args.scale == "small" else f"expected_{args.scale}.json"
    expected = json.loads((ROOT / "examples" / args.assignment / name).read_text())
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, "-m", "autograder.cli", "grade", args.assignment,
                        str(ROOT / "examples" / args.assignment / "submissions"), "--out", out, "--keras-backend",
                        args.backend, "--workers", args.workers, "--memory", args.memory, "--scale", args.scale,
                        "--cell-timeout", "300" if args.scale == "small" else "900"],
                       cwd=ROOT, check=True)
        mismatches = []
        for file_name, want in expected.items():
            result = json.loads((Path(out) / "results" / f"{Path(file_name).stem}.json").read_text())
            got = {q["name"]: q["points"] for q in result["questions"]}
            if result["status"] != want["status"] or any(abs(got[q] - p) > 1e-9 for q, p in want["points"].items()):
                mismatches.append(f"{file_name}: expected {want}, got {result['status']} {got}")
    print(f"{args.assignment} under {args.backend} at the {args.scale} scale: "
          f"{len(expected) - len(mismatches)}/{len(expected)} as expected")
    for line in mismatches:
        print("  " + line)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
