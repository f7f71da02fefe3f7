"""Item statistics back into the bank: each question's difficulty and discrimination, exam after exam.

``autograder report`` on a graded exam appends one line per question to ``bank/TOPIC/ID/history.jsonl``
(a report run again replaces that exam's line); ``autograder bank stats`` shows them across terms.
Difficulty is the mean score as a fraction of the points (1: everyone had full marks); discrimination is the
correlation of the question's score with the rest of the exam (near 0 or negative: the question does not
separate strong from weak students).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

HISTORY_FILE = "history.jsonl"
COLUMNS = ["question", "exam", "date", "students", "points", "difficulty", "discrimination"]


def record_statistics(bank: Path, exam: str, date: str, per_question: list[dict]) -> list[Path]:
    """Append (or replace) this exam's line in each question's history. ``per_question`` rows carry
    bank_id, students, points, difficulty, discrimination."""
    written = []
    for row in per_question:
        path = Path(bank) / row["bank_id"] / HISTORY_FILE
        if not path.parent.is_dir():
            continue  # the question left the bank since the exam was built
        lines = [line for line in _read(path) if line.get("exam") != exam]
        lines.append({"exam": exam, "date": date, "students": int(row["students"]), "points": float(row["points"]),
                      "difficulty": _number(row["difficulty"]), "discrimination": _number(row["discrimination"])})
        lines.sort(key=lambda line: (str(line.get("date")), str(line.get("exam"))))
        path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        written.append(path)
    return written


def statistics_table(bank: Path) -> pd.DataFrame:
    """Every recorded use of every question, oldest first per question."""
    rows = []
    for path in sorted(Path(bank).glob(f"*/*/{HISTORY_FILE}")):
        question = f"{path.parent.parent.name}/{path.parent.name}"
        rows += [{"question": question, **{key: line.get(key) for key in COLUMNS[1:]}} for line in _read(path)]
    return pd.DataFrame(rows, columns=COLUMNS)


def _read(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    lines = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text.strip():
            try:
                lines.append(json.loads(text))
            except ValueError:
                raise ValueError(f"{path}, line {number}: not JSON; fix or delete that line") from None
    return lines


def _number(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else round(value, 4)
