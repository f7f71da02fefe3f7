"""The exam question bank: one folder per question, ``bank/TOPIC/QUESTION_ID/``.

A question folder holds
  question.yml   id, title, topic, tags, outcome, difficulty, points, kind, answer (the names a student defines),
                 criteria (how a free-response answer is marked by hand)
  prompt.md      the prompt, a Jinja2 template of the variant's parameters
  question.py    ``generate(seed) -> dict`` (the variant's parameters, plain JSON data), ``solution(params) -> str``
                 (the reference answer: the answer cell's code, or a model answer for free response), optionally
                 ``starter(params) -> str`` (the answer cell handed out) and ``mistakes(params) -> dict`` (wrong
                 answers that must lose points: the validator checks they do)
  tests.py       hidden tests in Otter's exception-based form; a parameter named ``params`` receives the
                 variant's parameters from the checker (never from the notebook). Not needed for free response.

Questions are the tutor's own code: the bank is loaded in the trusted process, never in a student's kernel.
"""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import jinja2
import yaml

KINDS = ("code", "numeric", "multiple_choice", "free_response")
DIFFICULTIES = ("easy", "medium", "hard")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class BankError(Exception):
    """A bank or question that cannot be used; the message names the file and what to fix."""


@dataclass(frozen=True)
class BankQuestion:
    id: str  # "TOPIC/QUESTION_ID", its folder under the bank
    folder: Path
    title: str
    topic: str
    tags: tuple[str, ...]
    outcome: str
    difficulty: str
    points: float
    kind: str
    answer: tuple[str, ...]  # the names the student's answer cell defines (none for free response)
    criteria: tuple[dict, ...] = ()
    module: ModuleType | None = field(default=None, compare=False, repr=False)

    @property
    def manual(self) -> bool:
        return self.kind == "free_response"

    def generate(self, seed: int) -> dict:
        params = self.module.generate(int(seed))
        try:  # parameters travel as plain data (the answer key, the checker): JSON or nothing
            return json.loads(json.dumps(params))
        except (TypeError, ValueError) as error:
            raise BankError(f"{self.folder / 'question.py'}: generate({seed}) must return plain JSON data "
                            f"(numbers, strings, lists, dicts): {error}") from None

    def prompt(self, params: dict) -> str:
        return _render(self.folder / "prompt.md", params)

    def solution(self, params: dict) -> str:
        return str(self.module.solution(params)).strip() + "\n"

    def starter(self, params: dict) -> str:
        if hasattr(self.module, "starter"):
            return str(self.module.starter(params)).strip() + "\n"
        if self.manual:
            return "*Your answer here.*\n"
        if self.kind == "code":
            return "\n".join(f"# define {name} here" for name in self.answer) + "\n"
        return "\n".join(f"{name} = ..." for name in self.answer) + "\n"

    def mistakes(self, params: dict) -> dict[str, str]:
        return dict(self.module.mistakes(params)) if hasattr(self.module, "mistakes") else {}

    @property
    def tests_path(self) -> Path:
        return self.folder / "tests.py"


def load_bank(bank_dir: Path) -> list[BankQuestion]:
    """Every question under ``bank_dir`` (sorted by id); a malformed one raises BankError naming it."""
    bank_dir = Path(bank_dir)
    if not bank_dir.is_dir():
        raise BankError(f"there is no question bank at {bank_dir} (expected bank/TOPIC/QUESTION_ID/question.yml)")
    questions = [load_question(path.parent, bank_dir) for path in sorted(bank_dir.glob("*/*/question.yml"))]
    taken: dict[str, str] = {}
    for question in questions:
        for name in question.answer:
            if name in taken:
                raise BankError(f"{question.folder / 'question.yml'}: the answer name {name!r} is also used by "
                                f"{taken[name]}; answer names must be unique in the bank (an exam combines them)")
            taken[name] = question.id
    return questions


def load_question(folder: Path, bank_dir: Path) -> BankQuestion:
    folder = Path(folder)
    meta_path = folder / "question.yml"
    where = str(meta_path)
    try:
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise BankError(f"{where}: cannot be read ({error})") from None
    if not isinstance(meta, dict):
        raise BankError(f"{where}: should be a mapping of keys (id, title, topic, ...)")
    required = ("id", "title", "topic", "tags", "outcome", "difficulty", "points", "kind")
    missing = [key for key in required if key not in meta]
    if missing:
        raise BankError(f"{where}: missing {', '.join(missing)}")
    if meta["id"] != folder.name or meta["topic"] != folder.parent.name:
        raise BankError(f"{where}: id {meta['id']!r} and topic {meta['topic']!r} must be the folder's names "
                        f"({folder.parent.name}/{folder.name})")
    if meta["kind"] not in KINDS:
        raise BankError(f"{where}: kind {meta['kind']!r} is not one of {', '.join(KINDS)}")
    if meta["difficulty"] not in DIFFICULTIES:
        raise BankError(f"{where}: difficulty {meta['difficulty']!r} is not one of {', '.join(DIFFICULTIES)}")
    if isinstance(meta["points"], bool) or not isinstance(meta["points"], (int, float)) or meta["points"] <= 0:
        raise BankError(f"{where}: points should be a positive number, not {meta['points']!r}")
    tags = meta["tags"]
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise BankError(f"{where}: tags should be a list of words")
    answer = meta.get("answer", [])
    answer = [answer] if isinstance(answer, str) else answer
    if meta["kind"] == "free_response":
        if answer:
            raise BankError(f"{where}: a free-response question has no answer names (it is marked by hand)")
        criteria = meta.get("criteria")
        if not isinstance(criteria, list) or not criteria or not all(
                isinstance(c, dict) and set(c) == {"points", "text"} for c in criteria):
            raise BankError(f"{where}: a free-response question needs criteria: a list of {{points, text}} "
                            "that the marker follows")
        if abs(sum(float(c["points"]) for c in criteria) - float(meta["points"])) > 1e-9:
            raise BankError(f"{where}: the criteria give {sum(float(c['points']) for c in criteria):g} points, "
                            f"the question is worth {meta['points']:g}")
    else:
        criteria = []
        if not answer or not all(isinstance(name, str) and _NAME.match(name) for name in answer):
            raise BankError(f"{where}: `answer` should list the Python names the student defines "
                            "(lower case, like dense_weight_count)")
        if not (folder / "tests.py").is_file():
            raise BankError(f"{folder / 'tests.py'}: missing; a {meta['kind']} question needs hidden tests")
    for needed in ("prompt.md", "question.py"):
        if not (folder / needed).is_file():
            raise BankError(f"{folder / needed}: missing")
    module = _import(folder / "question.py", f"{folder.parent.name}.{folder.name}")
    for function in ("generate", "solution"):
        if not callable(getattr(module, function, None)):
            raise BankError(f"{folder / 'question.py'}: defines no {function}() function")
    return BankQuestion(f"{folder.parent.name}/{folder.name}", folder, str(meta["title"]), str(meta["topic"]),
                        tuple(tags), str(meta["outcome"]), str(meta["difficulty"]), float(meta["points"]),
                        str(meta["kind"]), tuple(answer), tuple(criteria), module)


def _import(path: Path, label: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"autograder_bank.{label}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001 - any failure of the tutor's file is reported with its name
        raise BankError(f"{path}: importing it failed ({type(error).__name__}: {error})") from None
    return module


_TEMPLATES = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)


def _render(path: Path, params: dict) -> str:
    try:
        return _TEMPLATES.from_string(path.read_text(encoding="utf-8")).render(**params)
    except jinja2.TemplateError as error:
        raise BankError(f"{path}: the template does not render with the variant's parameters ({error})") from None
