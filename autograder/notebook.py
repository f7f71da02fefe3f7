"""Reading a submitted notebook and planning its run: which cells, and when each question is checked."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

import nbformat

# Lines Otter puts in student notebooks; they need Otter and local test files, so we drop them.
_OTTER_LINE = re.compile(
    r"^\s*(import\s+otter|grader\s*=\s*otter\.Notebook\(.*\)|grader\.(check|check_all|export)\(.*\))\s*(#.*)?$")


class InvalidNotebook(Exception):
    """The submission is not a notebook we can run; the message says why, for the tutor."""


@dataclass(frozen=True)
class QuestionInfo:
    """A question of the assignment as the student notebook shows it (recorded at build time)."""

    name: str
    points: float
    manual: bool = False
    first_cell_id: str | None = None  # the question's first cell (usually its prompt) in the student notebook
    first_cell_hash: str | None = None


@dataclass
class Step:
    """One code cell to run, then the questions whose tests run right after it."""

    cell_number: int  # 1-based position among all cells, as a tutor counts them
    source: str
    question: str | None
    check_after: list[str] = field(default_factory=list)


@dataclass
class Plan:
    steps: list[Step]
    at_end: list[str]  # questions whose cells could not be found: checked after the last cell
    located: dict[str, str] = field(default_factory=dict)  # how each question's first cell was found


FOUND_BY_ID, FOUND_BY_TEXT, NOT_FOUND = "by its cell id", "by its text (no matching cell id)", "not found"


def read_submission(data: bytes) -> nbformat.NotebookNode:
    """Parse submitted bytes as a notebook (nbformat 3 is upgraded), or raise InvalidNotebook."""
    if not data.strip():
        raise InvalidNotebook("the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidNotebook(f"the file is not UTF-8 text (bad byte at offset {error.start})") from None
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise InvalidNotebook(f"the file is not valid JSON ({error})") from None
    if not isinstance(raw, dict) or not ("cells" in raw or "worksheets" in raw):
        raise InvalidNotebook("the file is JSON but not a Jupyter notebook (no cells)")
    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat raises many kinds for malformed notebooks
        raise InvalidNotebook(f"the notebook cannot be read ({type(error).__name__}: {error})") from None
    for index, cell in enumerate(notebook.get("cells", [])):
        if not isinstance(cell, dict) or "cell_type" not in cell or not isinstance(cell.get("source", ""), str):
            raise InvalidNotebook(f"cell {index + 1} is malformed")
    return notebook


def cell_text_hash(source: str) -> str:
    normalized = " ".join(source.split())
    return hashlib.sha256(normalized.encode()).hexdigest()[:16]


def runnable_source(source: str) -> str:
    """The cell's code without Otter's own lines (grader.check and friends)."""
    lines = [line for line in source.splitlines() if not _OTTER_LINE.match(line)]
    return "\n".join(lines)


def plan_run(notebook: nbformat.NotebookNode, questions: list[QuestionInfo]) -> Plan:
    """Decide after which cell each question's tests run.

    A question's tests run after the last code cell before the next question's first cell, found by its
    cell id or, failing that, by its text. A question whose first cell is gone is checked at the end.
    """
    cells = notebook.cells
    starts: dict[str, int] = {}
    located: dict[str, str] = {}
    ids = [cell.get("id") for cell in cells]
    hashes = [cell_text_hash(cell.source) for cell in cells]
    for question in questions:
        by_id = [i for i, cell_id in enumerate(ids) if question.first_cell_id and cell_id == question.first_cell_id]
        by_text = [i for i, text in enumerate(hashes) if question.first_cell_hash and text == question.first_cell_hash]
        if by_id:
            starts[question.name], located[question.name] = by_id[0], FOUND_BY_ID
        elif by_text:
            starts[question.name], located[question.name] = by_text[0], FOUND_BY_TEXT
        else:
            located[question.name] = NOT_FOUND

    steps = [Step(index + 1, runnable_source(cell.source), None) for index, cell in enumerate(cells)
             if cell.cell_type == "code"]
    for step in steps:
        opened = [q.name for q in questions if q.name in starts and starts[q.name] < step.cell_number - 1]
        step.question = max(opened, key=lambda name: starts[name]) if opened else None

    at_end: list[str] = []
    order = [q.name for q in questions]
    for position, question in enumerate(questions):
        if question.manual:
            continue
        start = starts.get(question.name)
        later = [starts[name] for name in order[position + 1:] if name in starts and start is not None
                 and starts[name] > start]
        if start is None:
            at_end.append(question.name)
            continue
        boundary = min(later) if later else len(cells)
        before = [step for step in steps if step.cell_number - 1 < boundary]
        if not before or boundary == len(cells):
            at_end.append(question.name)
        else:
            before[-1].check_after.append(question.name)
    for name in at_end:
        located[name] += "; checked after the last cell"
    return Plan(steps, at_end, located)
