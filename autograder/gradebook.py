"""The grade folder: results/STUDENT.json for each submission and gradebook.csv for the class."""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

from autograder.results import SubmissionResult

OUTPUT_MARKER = "autograder-grade.json"


class OutputError(Exception):
    """An output folder we must not write into; the message says why."""


def safe_file_name(student: str) -> str:
    """A file name for a student id: letters of any script, digits, dot, dash; nothing else."""
    name = re.sub(r"[^\w.-]+", "_", student, flags=re.UNICODE).strip("._") or "student"
    return name[:120]


class GradeFolder:
    def __init__(self, out: Path, assignment: str):
        self.out = Path(out)
        self.assignment = assignment
        marker = self.out / OUTPUT_MARKER
        if marker.exists():
            try:
                owner = json.loads(marker.read_text()).get("assignment")
            except (OSError, ValueError, AttributeError):
                owner = None
            if owner != assignment:
                raise OutputError(f"{self.out} holds grades of assignment {owner!r}, not {assignment!r}; "
                                  "choose another --out folder")
        elif self.out.exists() and any(self.out.iterdir()):
            raise OutputError(f"{self.out} is not empty and was not written by `autograder grade`; "
                              "choose a new or empty --out folder")
        (self.out / "results").mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({"assignment": assignment}) + "\n")

    def write_result(self, result: SubmissionResult) -> Path:
        path = self.out / "results" / f"{safe_file_name(result.student)}.json"
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
        os.replace(temporary, path)
        return path

    def read_results(self) -> list[SubmissionResult]:
        results = []
        for path in sorted((self.out / "results").glob("*.json")):
            results.append(SubmissionResult.from_json(json.loads(path.read_text())))
        return results

    def write_csv(self, results: list[SubmissionResult], questions: list[str]) -> Path:
        path = self.out / "gradebook.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["student", "submission", *questions, "total", "max_total", "status", "message"])
            for result in sorted(results, key=lambda r: r.student):
                writer.writerow([result.student, result.submission, *[_number(result.points(q)) for q in questions],
                                 _number(result.total), _number(result.max_total), result.status, result.message])
        return path


def _number(value: float) -> str:
    return f"{value:g}"
