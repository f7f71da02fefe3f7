"""Reading a master notebook (Otter's format) before ``otter assign`` sees it, so every mistake names its cell.

The rules are Otter v7's: config cells are raw cells, or Markdown cells holding a fenced ```` ```otter ```` block,
whose first line is ``# ASSIGNMENT CONFIG`` or ``# BEGIN|END QUESTION|SOLUTION|PROMPT|TESTS``, and whose other
lines are YAML; a cell whose first line is ``# IGNORE`` is dropped; a tests block holds code cells only.

``read_master`` also gives the notebook ``otter assign`` should build from: the same cells, with fenced blocks
turned into the raw cells Otter would make of them, and each question's own cells marked with its name in their
metadata. Otter copies cells with their metadata, so the first marked cell of the student notebook is the
question's first cell there, with or without cell ids (``take_question_marks`` finds and removes the marks).
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

from autograder.assignment import AssignmentError

MARK = "autograder_question"
_CONFIG = re.compile(r"\s*#\s*ASSIGNMENT\s+CONFIG\b", re.IGNORECASE)
_BLOCK = re.compile(r"\s*#\s*(BEGIN|END)\s+(QUESTION|SOLUTION|PROMPT|TESTS)\b", re.IGNORECASE)
_IGNORE = re.compile(r"(##\s*ignore\s*##|#\s*ignore)", re.IGNORECASE)  # Otter's rule: a prefix of line 1
_TEST_CONFIG = re.compile(r'\s*"""\s*#\s*BEGIN\s+TEST\s+CONFIG(.*?)"""\s*#\s*END\s+TEST\s+CONFIG', re.IGNORECASE | re.S)


@dataclass(frozen=True)
class MasterQuestion:
    name: str
    manual: bool
    points: float  # a manual question's points (an autograded one's come from its tests)
    cell: int  # the BEGIN QUESTION cell, 1-based as Jupyter shows it


@dataclass
class Master:
    notebook: nbformat.NotebookNode  # as the tutor wrote it
    marked: nbformat.NotebookNode  # what otter assign builds from
    questions: list[MasterQuestion] = field(default_factory=list)
    config: dict = field(default_factory=dict)  # the ASSIGNMENT CONFIG cells' keys (not a `config_file:`'s)


def read_master(path: Path) -> Master:
    """The master notebook at ``path``, checked; AssignmentError names the cell of the first problem."""
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises many kinds for malformed files
        raise AssignmentError(f"{path}: the master notebook cannot be read ({type(error).__name__}: {error})") \
            from None
    kernelspec = notebook.metadata.get("kernelspec")
    if not isinstance(kernelspec, dict) or not kernelspec.get("language", kernelspec.get("name")):
        raise AssignmentError(f"{path}: the notebook's metadata names no kernel (`kernelspec`), which otter assign "
                              "needs; open it in Jupyter, choose the Python 3 kernel and save it")
    language = str(kernelspec.get("language") or notebook.metadata.get("language_info", {}).get("name", "python"))
    if language.lower() != "python":
        raise AssignmentError(f"{path}: the notebook's kernel is {language}; this grader runs Python notebooks and "
                              "Python tests only (grade R assignments with Otter itself)")
    master = Master(notebook, copy.deepcopy(notebook))
    cells: list[nbformat.NotebookNode] = []
    open_blocks: list[tuple[str, int]] = []  # (block kind, cell number)
    question: str | None = None
    for number, original in enumerate(notebook.cells, start=1):
        for cell in _unfenced(original, number, path):
            where = f"{path}, cell {number}"
            first = cell.source.lstrip().split("\n", 1)[0] if cell.source.strip() else ""
            if cell.cell_type == "raw" and _CONFIG.match(first):
                master.config.update(_yaml(cell.source, where, "ASSIGNMENT CONFIG"))
            elif cell.cell_type == "raw" and _BLOCK.match(first):
                edge, kind = (part.upper() for part in _BLOCK.match(first).groups())
                question = _block(edge, kind, cell, where, number, open_blocks, question, master)
            elif _IGNORE.match(first):
                pass
            elif open_blocks and open_blocks[-1][0] == "TESTS":
                _check_test_cell(cell, where, question)
            elif question is not None:
                cell.setdefault("metadata", {})[MARK] = question
            cells.append(cell)
    if open_blocks:
        kind, number = open_blocks[-1]
        raise AssignmentError(f"{path}, cell {number}: BEGIN {kind} has no END {kind}; add a raw cell "
                              f"`# END {kind}` after the block's last cell")
    master.marked.cells = cells
    return master


def take_question_marks(notebook: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """Each question's first marked cell in ``notebook`` (Otter's student notebook); the marks are removed."""
    firsts: dict[str, nbformat.NotebookNode] = {}
    for cell in notebook.cells:
        name = cell.get("metadata", {}).pop(MARK, None)
        if isinstance(name, str):
            firsts.setdefault(name, cell)
    return firsts


def _block(edge: str, kind: str, cell, where: str, number: int, open_blocks: list, question: str | None,
           master: Master) -> str | None:
    """Follow Otter's nesting rules for one BEGIN/END cell; the question now open."""
    if edge == "END":
        if not open_blocks or open_blocks[-1][0] != kind:
            inner = f" while BEGIN {open_blocks[-1][0]} (cell {open_blocks[-1][1]}) is still open" if open_blocks \
                else " with no BEGIN before it"
            raise AssignmentError(f"{where}: END {kind}{inner}; every block ends before the block around it")
        open_blocks.pop()
        return None if kind == "QUESTION" else question
    if kind == "QUESTION":
        if open_blocks:
            raise AssignmentError(f"{where}: BEGIN QUESTION inside BEGIN {open_blocks[-1][0]} (cell "
                                  f"{open_blocks[-1][1]}); end that block first")
        config = _yaml(cell.source, where, "BEGIN QUESTION")
        if not config.get("name"):
            raise AssignmentError(f"{where}: the BEGIN QUESTION config has no `name:`; give the question a name")
        name = str(config["name"])
        if any(q.name == name for q in master.questions):
            raise AssignmentError(f"{where}: a second question named {name}; question names must be unique")
        manual = bool(config.get("manual", False))
        points = config.get("points", 0) if manual else 0
        if manual and not isinstance(points, (int, float)):
            raise AssignmentError(f"{where}: a manual question's `points:` must be a number, not {points!r}")
        master.questions.append(MasterQuestion(name, manual, float(points or 0), number))
        open_blocks.append((kind, number))
        return name
    if not open_blocks:
        raise AssignmentError(f"{where}: BEGIN {kind} outside a question; put it between BEGIN QUESTION and "
                              "END QUESTION")
    if len(open_blocks) > 1:
        raise AssignmentError(f"{where}: BEGIN {kind} inside BEGIN {open_blocks[-1][0]} (cell "
                              f"{open_blocks[-1][1]}); end that block first")
    open_blocks.append((kind, number))
    return question


def _yaml(source: str, where: str, what: str) -> dict:
    body = source.split("\n", 1)[1] if "\n" in source else ""
    try:
        config = yaml.safe_load(body)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" (line {mark.line + 2} of the cell)" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise AssignmentError(f"{where}: the {what} config is not valid YAML{line}: {problem}; fix it (YAML "
                              "needs `key: value` lines, indented consistently)") from None
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise AssignmentError(f"{where}: the {what} config must be `key: value` lines, not a "
                              f"{type(config).__name__}")
    return config


def _check_test_cell(cell, where: str, question: str | None) -> None:
    if cell.cell_type != "code":
        raise AssignmentError(f"{where}: a {cell.cell_type} cell inside the tests of {question}; a tests block "
                              "holds code cells only")
    header = _TEST_CONFIG.match(cell.source)
    if header:
        _yaml("\n" + header.group(1), where, f"test config of {question}")
    try:
        ast.parse(cell.source)
    except SyntaxError as error:
        raise AssignmentError(f"{where}: a test of {question} is not valid Python ({error.msg}, line "
                              f"{error.lineno} of the cell); fix the test") from None


def _unfenced(cell, number: int, path: Path) -> list:
    """A Markdown cell with ```otter blocks as Otter reads it: its text and a raw cell per block, in order."""
    if cell.cell_type != "markdown" or not any(line.strip() == "```otter" for line in cell.source.split("\n")):
        return [cell]
    pieces: list = []
    text: list[str] = []
    block: list[str] | None = None
    for line in cell.source.split("\n"):
        if block is None and line.strip() == "```otter":
            pieces.append(("markdown", text))
            block, text = [], []
        elif block is not None and line.strip() == "```":
            pieces.append(("raw", block))
            block = None
        elif block is not None:
            block.append(line)
        else:
            text.append(line)
    if block is not None:
        raise AssignmentError(f"{path}, cell {number}: a ```otter block is never closed; end it with a ``` line")
    pieces.append(("markdown", text))
    cells = []
    for kind, lines in pieces:
        if kind == "markdown" and not any(line.strip() for line in lines):
            continue
        made = getattr(nbformat.v4, f"new_{kind}_cell")("\n".join(lines))
        made.pop("id", None)
        if "id" in cell:  # a 4.5 notebook: ids that stay the same from build to build
            made["id"] = f"{cell['id']}-{len(cells) + 1}"[:64]
        cells.append(made)
    return cells
