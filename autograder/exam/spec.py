"""An exam's spec (``SPEC.yml``) and the questions it draws from the bank.

    exam: midterm-2026                  # its name: folders, files, the gradebook
    title: Generative Deep Learning, midterm
    date: 2026-12-10                    # orders exams for exclude_recent; recorded in the bank's history
    due: 2026-12-10T12:00:00+01:00      # optional (late policy); default: the end of `date`, UTC
    secret_file: midterm-2026.secret    # optional; default EXAM.secret beside the spec, made when missing
    bank: ../bank                       # optional; default ROOT/bank
    exclude_recent: 1                   # questions used by the last N other exams (bank/exams.yml) are left out
    sections:
      - title: Autoencoders
        topics: [autoencoders, convolutions]   # any of these topics (optional)
        tags: [parameter-count]                # and any of these tags (optional)
        kinds: [numeric, code]                 # and one of these kinds (optional)
        count: 2
        difficulty: {easy: 1, medium: 1}       # optional mix, adding up to count
        points: 6                              # optional: the section's total; question points are scaled to it
    grades: {A: 85, B: 70, C: 55, D: 40, F: 0} # optional

Which questions a section draws is decided by the exam's secret, so rebuilding gives the same exam.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import random
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from autograder.bank import DIFFICULTIES, KINDS, BankError, BankQuestion

_EXAM_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_TOP_KEYS = {"exam", "title", "date", "due", "secret_file", "bank", "exclude_recent", "sections", "grades"}
_SECTION_KEYS = {"title", "topics", "tags", "kinds", "count", "difficulty", "points"}


class SpecError(ValueError):
    """A spec that cannot be built; the message names the file, the section, and what is missing."""


@dataclass(frozen=True)
class Section:
    title: str
    count: int
    topics: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    difficulty: dict[str, int] = field(default_factory=dict)
    points: float | None = None

    def admits(self, question: BankQuestion) -> bool:
        return ((not self.topics or question.topic in self.topics)
                and (not self.tags or bool(set(self.tags) & set(question.tags)))
                and (not self.kinds or question.kind in self.kinds))

    def describe(self) -> str:
        parts = [f"topic {' or '.join(self.topics)}" if self.topics else "",
                 f"tagged {' or '.join(self.tags)}" if self.tags else "",
                 f"of kind {' or '.join(self.kinds)}" if self.kinds else ""]
        return ", ".join(part for part in parts if part) or "any question"


@dataclass(frozen=True)
class ExamSpec:
    exam: str
    title: str
    date: datetime.date
    due: datetime.datetime
    secret_file: Path
    bank: Path
    exclude_recent: int
    sections: tuple[Section, ...]
    grades: dict[str, float]
    source: Path

    def secret(self) -> bytes:
        """The exam's secret, made (and kept beside the spec) on the first build."""
        if not self.secret_file.is_file():
            self.secret_file.parent.mkdir(parents=True, exist_ok=True)
            self.secret_file.write_text(secrets.token_hex(32) + "\n")
            self.secret_file.chmod(0o600)
        secret = self.secret_file.read_bytes().strip()
        if len(secret) < 16:
            raise SpecError(f"{self.secret_file}: the exam's secret is too short (at least 16 characters); delete "
                            "the file to have a new one made")
        return secret


def load_spec(path: Path, root: Path) -> ExamSpec:
    path = Path(path)
    where = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SpecError(f"cannot read the exam spec {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise SpecError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{where}: expected keys {', '.join(sorted(_TOP_KEYS))}")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(_TOP_KEYS))}")
    for key in ("exam", "date", "sections"):
        if key not in data:
            raise SpecError(f"{where}: `{key}` is missing")
    exam = str(data["exam"])
    if not _EXAM_NAME.match(exam):
        raise SpecError(f"{where}: exam {exam!r} should be lower-case letters, digits, - and _ (it names folders)")
    date, due = data["date"], data.get("due")
    try:
        date = date if isinstance(date, datetime.date) else datetime.date.fromisoformat(str(date))
        due = due if isinstance(due, datetime.datetime) or due is None else datetime.datetime.fromisoformat(str(due))
    except ValueError:
        raise SpecError(f"{where}: date should look like 2026-12-10 and due like 2026-12-10T12:00:00+01:00") from None
    due = due or datetime.datetime.combine(date, datetime.time(23, 59), datetime.UTC)
    if not isinstance(due, datetime.datetime) or due.tzinfo is None:
        raise SpecError(f"{where}: due should be a time with a timezone like 2026-12-10T12:00:00+01:00")
    sections = data["sections"]
    if not isinstance(sections, list) or not sections:
        raise SpecError(f"{where}: sections should be a list of sections (title, count, topics/tags, ...)")
    recent = data.get("exclude_recent", 0)
    if not isinstance(recent, int) or recent < 0:
        raise SpecError(f"{where}: exclude_recent should be a whole number of exams, not {recent!r}")
    grades = data.get("grades") or {"A": 85, "B": 70, "C": 55, "D": 40, "F": 0}
    here = path.parent
    return ExamSpec(exam, str(data.get("title", exam)), date, due,
                    here / str(data.get("secret_file", f"{exam}.secret")),
                    (here / str(data["bank"])) if "bank" in data else Path(root) / "bank", recent,
                    tuple(_section(raw, index, where) for index, raw in enumerate(sections, start=1)), grades, path)


def _section(raw, index: int, where: str) -> Section:
    label = f"{where}: section {index}"
    if not isinstance(raw, dict):
        raise SpecError(f"{label}: expected keys like title, topics, count")
    unknown = set(raw) - _SECTION_KEYS
    if unknown:
        raise SpecError(f"{label}: unknown key(s) {', '.join(sorted(unknown))}; known: "
                        f"{', '.join(sorted(_SECTION_KEYS))}")
    title = str(raw.get("title", f"Section {index}"))
    label = f"{where}: section {index} ({title})"
    count = raw.get("count")
    if not isinstance(count, int) or count < 1:
        raise SpecError(f"{label}: count should be a positive whole number of questions")
    lists = {}
    for key in ("topics", "tags", "kinds"):
        value = raw.get(key, [])
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SpecError(f"{label}: {key} should be a list of names")
        lists[key] = tuple(value)
    bad_kinds = [kind for kind in lists["kinds"] if kind not in KINDS]
    if bad_kinds:
        raise SpecError(f"{label}: kinds {', '.join(bad_kinds)} unknown; use {', '.join(KINDS)}")
    mix = raw.get("difficulty") or {}
    if not isinstance(mix, dict) or any(d not in DIFFICULTIES or not isinstance(n, int) or n < 0
                                        for d, n in mix.items()):
        raise SpecError(f"{label}: difficulty should map {', '.join(DIFFICULTIES)} to numbers of questions")
    if mix and sum(mix.values()) != count:
        raise SpecError(f"{label}: the difficulty mix adds up to {sum(mix.values())} questions, count is {count}")
    points = raw.get("points")
    if points is not None and (isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0):
        raise SpecError(f"{label}: points should be a positive number (the section's total)")
    return Section(title, count, lists["topics"], lists["tags"], lists["kinds"], dict(mix),
                   None if points is None else float(points))


@dataclass(frozen=True)
class Drawn:
    section: Section
    question: BankQuestion
    points: float


def draw_questions(spec: ExamSpec, bank: list[BankQuestion], recent: dict[str, list[str]],
                   previous: list[list[str]] | None = None) -> list[Drawn]:
    """The questions of each section, in order. ``recent`` maps the last exams' names to the bank ids they used;
    ``previous`` holds each section's bank ids from an earlier build of this exam, kept while they still fit the
    section (so that questions added to the bank since do not change a built exam).

    Raises SpecError listing every section the bank cannot fill, and why."""
    secret = spec.secret()
    excluded = {bank_id: exam for exam, ids in recent.items() for bank_id in ids}
    by_id = {q.id: q for q in bank}
    taken: set[str] = set()
    drawn: list[Drawn] = []
    problems: list[str] = []
    for index, section in enumerate(spec.sections, start=1):
        rng = random.Random(hmac.new(secret, f"sections\x1f{spec.exam}\x1f{index}".encode(), hashlib.sha256).digest())
        matching = [q for q in bank if section.admits(q)]
        wanted = section.difficulty or {None: section.count}
        kept = _kept(section, previous[index - 1] if previous and len(previous) == len(spec.sections) else [],
                     by_id, excluded, taken)
        if kept:
            wanted = {}
            taken.update(q.id for q in kept)
        chosen: list[BankQuestion] = list(kept)
        for difficulty, number in wanted.items():
            if number == 0:
                continue
            fitting = [q for q in matching if difficulty is None or q.difficulty == difficulty]
            free = [q for q in fitting if q.id not in excluded and q.id not in taken]
            if len(free) < number:
                problems.append(_shortfall(section, index, difficulty, number, fitting, free, excluded, taken))
                continue
            picked = rng.sample(sorted(free, key=lambda q: q.id), number)
            taken.update(q.id for q in picked)
            chosen += picked
        chosen.sort(key=lambda q: q.id)
        points = [q.points for q in chosen]
        if section.points:
            points = _apportion(points, section.points)
        drawn += [Drawn(section, q, share) for q, share in zip(chosen, points)]
    if problems:
        raise SpecError(f"{spec.source}: the bank ({spec.bank}) cannot fill this exam: " + "; ".join(problems))
    return drawn


def _apportion(weights: list[float], total: float, step: float = 0.5) -> list[float]:
    """``total`` shared in proportion to ``weights``, in multiples of ``step`` (largest remainders first), so a
    section worth 8 points with questions of 4 and 2 points gives 5.5 and 2.5, not 5.33 and 2.67."""
    if not weights:
        return []
    if abs(total / step - round(total / step)) > 1e-9:
        step = 0.01
    units = round(total / step)
    exact = [units * weight / sum(weights) for weight in weights]
    shares = [int(value) for value in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - shares[i], reverse=True)
    for index in by_remainder[:units - sum(shares)]:
        shares[index] += 1
    return [round(share * step, 2) for share in shares]


def _kept(section: Section, ids: list[str], by_id: dict, excluded: dict, taken: set) -> list[BankQuestion]:
    """The questions an earlier build drew for ``section``, if they all still fit it; else none."""
    questions = [by_id.get(bank_id) for bank_id in ids]
    if (len(questions) != section.count or None in questions or not all(section.admits(q) for q in questions)
            or any(q.id in excluded or q.id in taken for q in questions)):
        return []
    mix = {d: sum(q.difficulty == d for q in questions) for d in section.difficulty}
    return questions if mix == section.difficulty else []


def previous_draw(log: list[dict], spec: ExamSpec) -> list[list[str]] | None:
    entry = next((entry for entry in log if entry["exam"] == spec.exam), None)
    return entry.get("sections") if entry else None


def _shortfall(section, index, difficulty, number, fitting, free, excluded, taken) -> str:
    level = f"{difficulty} " if difficulty else ""
    text = (f"section {index} ({section.title}) asks for {number} {level}question(s) with {section.describe()}, "
            f"the bank has {len(fitting)}")
    recent = sorted({f"{q.id} (used in {excluded[q.id]})" for q in fitting if q.id in excluded})
    if recent:
        text += f", of which recently used: {', '.join(recent)}"
    earlier = sorted(q.id for q in fitting if q.id in taken)
    if earlier:
        text += f", already drawn by an earlier section: {', '.join(earlier)}"
    return text + f"; add {number - len(free)} such question(s) to the bank or ask for fewer"


def recent_exams(log: list[dict], spec: ExamSpec) -> dict[str, list[str]]:
    """The bank ids used by the ``spec.exclude_recent`` exams before this one (by date; this exam never counts)."""
    if not spec.exclude_recent:
        return {}
    others = sorted((entry for entry in log if entry["exam"] != spec.exam and str(entry["date"]) <= str(spec.date)),
                    key=lambda entry: str(entry["date"]), reverse=True)
    return {entry["exam"]: list(entry["questions"]) for entry in others[:spec.exclude_recent]}


def read_exam_log(bank: Path) -> list[dict]:
    path = Path(bank) / "exams.yml"
    if not path.is_file():
        return []
    try:
        log = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as error:
        raise BankError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(log, list) or not all(isinstance(e, dict) and {"exam", "date", "questions"} <= set(e)
                                            for e in log):
        raise BankError(f"{path}: expected a list of {{exam, date, questions}}")
    return log


def record_exam(bank: Path, spec: ExamSpec, drawn: list[Drawn]) -> None:
    """Note in bank/exams.yml which questions this exam used (replacing an earlier build of it)."""
    log = [entry for entry in read_exam_log(bank) if entry["exam"] != spec.exam]
    log.append({"exam": spec.exam, "date": spec.date.isoformat(), "questions": [d.question.id for d in drawn],
                "sections": [[d.question.id for d in drawn if d.section == section] for section in spec.sections]})
    log.sort(key=lambda entry: str(entry["date"]))
    (Path(bank) / "exams.yml").write_text(
        "# Exams built from this bank (autograder exam build keeps it): exclude_recent reads it.\n"
        + yaml.safe_dump(log, sort_keys=False, allow_unicode=True), encoding="utf-8")
