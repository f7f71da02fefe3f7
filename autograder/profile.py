"""Where a submission's seconds go: the profile each result records, and its summary for a class.

The phases: getting a ready kernel (``kernel_s``: the wait for a warm one, or starting one and importing the
assignment's libraries), each cell (wall-clock and the kernel's own seconds, which exclude waiting for a core),
each question's tests (round trips to the kernel, bytes moved, seconds in the kernel and in the checker), the
grader's own small runs in the kernel (per-cell reseeding), and closing the kernel.

**Work** is what grading cannot avoid: the cells' own seconds, the notebook's own imports when they were done ahead
of its cells on the critical path (``kernel_imports_s``: the assignment's libraries, which the build found imported
by the master notebook, so the cells would otherwise pay them; a warm kernel hides them), and the tests' own compute
(the checker's seconds plus the kernel's own seconds answering them). **Overhead** is all the rest of the
submission's wall-clock time: the kernel's start and the rest of its set-up when a warm kernel does not hide them,
waiting for a core, the latency of each round trip, reseeding, closing.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable


class Profile:
    """Collected while one submission is graded (``grading._grade_once``); ``to_json`` is what the result keeps."""

    def __init__(self) -> None:
        self.data: dict = {"kernel_s": 0.0, "kernel_warm": False, "kernel_start_s": 0.0, "kernel_setup_s": 0.0,
                           "kernel_imports_s": 0.0, "cells": [], "questions": {}, "grader_s": 0.0, "waited_s": 0.0,
                           "close_s": 0.0}

    def kernel(self, seconds: float, timings: dict, warm: bool) -> None:
        self.data.update(kernel_s=seconds, kernel_warm=warm, kernel_start_s=timings.get("start", 0.0),
                         kernel_setup_s=timings.get("setup", 0.0), kernel_imports_s=timings.get("imports", 0.0),
                         niceness=timings.get("niceness", 0))

    def cell(self, number: int, run) -> None:
        self.data["cells"].append([number, round(run.seconds, 4), round(run.own_seconds, 4)])
        self.data["waited_s"] += max(0.0, run.seconds - run.own_seconds)

    def grader_run(self, run) -> None:
        self.data["grader_s"] += run.seconds
        self.data["waited_s"] += max(0.0, run.seconds - run.own_seconds)

    def check(self, question: str, seconds: float, stats) -> None:
        entry = self.data["questions"].setdefault(question, {"s": 0.0, "kernel_s": 0.0, "kernel_own_s": 0.0,
                                                             "checker_s": 0.0, "round_trips": 0, "bytes": 0})
        entry["s"] += seconds
        entry["kernel_s"] += stats.seconds
        entry["kernel_own_s"] += stats.own_seconds
        entry["checker_s"] += max(0.0, seconds - stats.seconds)
        entry["round_trips"] += stats.round_trips
        entry["bytes"] += stats.bytes
        self.data["waited_s"] += max(0.0, stats.seconds - stats.own_seconds)

    def closed(self, seconds: float) -> None:
        self.data["close_s"] = seconds

    def to_json(self, total: float) -> dict:
        data = dict(self.data)
        questions = data["questions"]
        data["cells_s"] = sum(wall for _, wall, _ in data["cells"])
        data["cells_own_s"] = sum(own for _, _, own in data["cells"])
        data["tests_s"] = sum(q["s"] for q in questions.values())
        data["tests_kernel_own_s"] = sum(q["kernel_own_s"] for q in questions.values())
        data["tests_checker_s"] = sum(q["checker_s"] for q in questions.values())
        data["round_trips"] = sum(q["round_trips"] for q in questions.values())
        data["bytes"] = sum(q["bytes"] for q in questions.values())
        data["total_s"] = total
        # Of the imports, only what the submission waited for: a warm kernel's were done beside another submission.
        data["imports_waited_s"] = min(data["kernel_imports_s"], data["kernel_s"])
        work = data["cells_own_s"] + data["imports_waited_s"] + data["tests_kernel_own_s"] + data["tests_checker_s"]
        data["overhead_s"] = max(0.0, total - work)
        data["overhead_share"] = data["overhead_s"] / total if total > 0 else 0.0
        return {key: round(value, 4) if isinstance(value, float) else value for key, value in data.items()}


# The summary's rows: (label, key in a profile, unit)
PHASES = [("kernel (waited for or started)", "kernel_s", "s"), ("  its start (process)", "kernel_start_s", "s"),
          ("  its set-up (agent, imports, seeds)", "kernel_setup_s", "s"),
          ("    the notebook's imports, done ahead", "kernel_imports_s", "s"),
          ("    of which waited for (work)", "imports_waited_s", "s"), ("cells", "cells_s", "s"),
          ("  of which the kernel's own", "cells_own_s", "s"), ("tests", "tests_s", "s"),
          ("  in the checker", "tests_checker_s", "s"), ("  kernel's own, answering", "tests_kernel_own_s", "s"),
          ("  round trips", "round_trips", ""), ("  bytes moved", "bytes", ""),
          ("grader's runs (reseeding)", "grader_s", "s"), ("waiting for a core", "waited_s", "s"),
          ("closing the kernel", "close_s", "s"), ("overhead", "overhead_s", "s"),
          ("overhead share", "overhead_share", "%"), ("total", "total_s", "s")]


def summary(profiles: Iterable[dict]) -> list[tuple[str, str, str]]:
    """Rows of (phase, median, max) over the profiles given (results without one are left out)."""
    profiles = [p for p in profiles if p]
    rows = []
    for label, key, unit in PHASES:
        values = [float(p.get(key, 0.0)) for p in profiles]
        if not values:
            continue
        rows.append((label, _show(statistics.median(values), unit), _show(max(values), unit)))
    return rows


def _show(value: float, unit: str) -> str:
    if unit == "%":
        return f"{100 * value:.1f}%"
    if unit == "":
        return f"{value:,.0f}"
    return f"{value:.2f} s"
