"""An assignment's rubric, ``rubrics/NAME.yml``: points per question, what tutors grade by hand and by which
criteria, the due date and late policy, and the grade bands. ``autograder report`` reads it;
``check_rubric`` tells ``autograder build`` when it disagrees with the built notebook.

    assignment: temperature
    title: Temperature sampling          # the grade column in the LMS files
    due: 2026-05-08T23:59:00+02:00       # ISO 8601, with a timezone
    late: {per_day: 0.10, grace_minutes: 15, cap: 0.5, of: score}
    questions:
      q1: 2                              # autograded: its points
      q6: {points: 2, manual: true, criteria: [{points: 1, text: ...}, {points: 1, text: ...}]}
    grades: {A: 85, B: 70, C: 55, D: 40, F: 0}   # lowest percent of each band, best first
    lms: {canvas_assignment_id: 4711}     # optional
    scale: full                           # optional: the data `autograder grade` uses unless --scale says
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from pathlib import Path

import yaml

DAY_SECONDS = 86_400.0


class RubricError(ValueError):
    """A rubric that cannot be used; the message names the file, the key, and what to do."""


@dataclass(frozen=True)
class Criterion:
    points: float
    text: str


FEEDBACK = ("visible", "after_due", "hidden")  # what a student sees of a question's hidden tests (the service)


@dataclass(frozen=True)
class RubricQuestion:
    name: str
    points: float
    manual: bool = False
    criteria: tuple[Criterion, ...] = ()
    feedback: str = ""  # one of FEEDBACK; "" is the rubric's ``submissions.feedback``


@dataclass(frozen=True)
class SubmissionPolicy:
    """What ``autograder serve`` accepts: graded submissions per student in any 24 hours, when uploads are refused
    (None: never; after ``due`` they are accepted and marked late), and the default of what students see of hidden
    tests (``FEEDBACK``: ``after_due`` shows public tests and the hidden tests' points now, their messages once the
    due date has passed)."""

    per_day: int = 10
    closes: datetime.datetime | None = None
    feedback: str = "after_due"


@dataclass(frozen=True)
class LatePolicy:
    """``per_day`` of the score (``of: score``) or of the assignment's maximum (``of: maximum``) is taken off
    for each started day after ``due`` + ``grace_minutes``, never more than ``cap`` in all."""

    per_day: float = 0.0
    grace_minutes: float = 0.0
    cap: float = 1.0
    of: str = "score"

    def days_late(self, submitted: datetime.datetime, due: datetime.datetime) -> int:
        """Started days after the deadline plus grace: 1 minute past the grace is 1 day, 24 h past it 1 day,
        24 h and 1 s past it 2 days."""
        seconds = (submitted - due).total_seconds() - self.grace_minutes * 60
        return math.ceil(seconds / DAY_SECONDS) if seconds > 0 else 0

    def fraction(self, days_late: int) -> float:
        return min(self.cap, self.per_day * days_late)

    def penalty(self, days_late: int, score: float, maximum: float) -> float:
        """Points taken off; never more than the score itself."""
        base = score if self.of == "score" else maximum
        return max(0.0, min(score, self.fraction(days_late) * base))


@dataclass(frozen=True)
class GradeBand:
    letter: str
    min_percent: float


@dataclass(frozen=True)
class Rubric:
    assignment: str
    title: str
    due: datetime.datetime
    late: LatePolicy
    questions: tuple[RubricQuestion, ...]
    bands: tuple[GradeBand, ...]
    canvas_assignment_id: str = ""
    source: str = ""  # the file it came from, for messages
    scale: str | None = None  # the grading scale (small or full) when the rubric sets one
    submissions: SubmissionPolicy = SubmissionPolicy()

    def feedback(self, question: str) -> str:
        """What students see of ``question``'s hidden tests (one of ``FEEDBACK``)."""
        ours = self.question(question)
        return (ours.feedback if ours else "") or self.submissions.feedback

    @property
    def max_points(self) -> float:
        return round(sum(q.points for q in self.questions), 6)

    @property
    def manual(self) -> list[RubricQuestion]:
        return [q for q in self.questions if q.manual]

    @property
    def autograded(self) -> list[RubricQuestion]:
        return [q for q in self.questions if not q.manual]

    def question(self, name: str) -> RubricQuestion | None:
        return next((q for q in self.questions if q.name == name), None)

    def band(self, percent: float) -> str:
        """The letter of the first band whose lowest percent ``percent`` reaches (1e-9 absorbs rounding)."""
        for band in self.bands:
            if percent >= band.min_percent - 1e-9:
                return band.letter
        return self.bands[-1].letter

    @property
    def failing(self) -> str:
        """The lowest band counts as failing (for the pass rate)."""
        return self.bands[-1].letter


def rubric_path(root: Path, name: str) -> Path:
    return Path(root) / "rubrics" / f"{name}.yml"


def find_rubric(root: Path, name: str) -> Rubric | None:
    """The rubric of assignment ``name`` in the course folder ``root``, or None when it has none."""
    path = rubric_path(root, name)
    return load_rubric(path) if path.is_file() else None


def rubric_scale(root: Path, name: str) -> str:
    """The scale assignment ``name`` is graded at unless ``--scale`` says otherwise: its rubric's, else small."""
    rubric = find_rubric(root, name)
    return rubric.scale if rubric is not None and rubric.scale else "small"


def load_rubric(path: Path) -> Rubric:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise RubricError(f"cannot read the rubric {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise RubricError(f"{path}{where} is not valid YAML: {getattr(error, 'problem', None) or error}") from None
    return parse_rubric(data, str(path))


_TOP_KEYS = {"assignment", "title", "due", "late", "questions", "grades", "lms", "scale", "submissions"}
_SCALES = ("small", "full")
_LATE_KEYS = {"per_day", "grace_minutes", "cap", "of"}
_QUESTION_KEYS = {"points", "manual", "criteria", "feedback"}
_SUBMISSION_KEYS = {"per_day", "closes", "feedback"}
_LMS_KEYS = {"canvas_assignment_id"}


def parse_rubric(data, source: str = "rubric") -> Rubric:
    """A Rubric from the YAML's data; every problem names ``source`` and the key."""

    def fail(key: str, problem: str) -> RubricError:
        return RubricError(f"{source}: {key}: {problem}")

    if not isinstance(data, dict):
        raise RubricError(f"{source}: expected a mapping with keys {', '.join(sorted(_TOP_KEYS))}; "
                          f"found {type(data).__name__}")
    _no_unknown_keys(data, _TOP_KEYS, "", fail)
    for key in ("assignment", "due", "questions", "grades"):
        if key not in data:
            raise fail(key, "missing; add it (see rubrics/temperature.yml for an example)")
    assignment = _text(data["assignment"], "assignment", fail)
    late = _late(data.get("late") or {}, fail)
    lms = data.get("lms") or {}
    if not isinstance(lms, dict):
        raise fail("lms", "expected a mapping like {canvas_assignment_id: 4711}")
    _no_unknown_keys(lms, _LMS_KEYS, "lms.", fail)
    canvas_id = lms.get("canvas_assignment_id")
    scale = data.get("scale")
    if scale is not None and scale not in _SCALES:
        raise fail("scale", f"{scale!r} is not a scale; write small (8x8 digits) or full (Fashion-MNIST)")
    due = _due(data["due"], fail)
    return Rubric(assignment=assignment, title=_text(data.get("title", assignment), "title", fail),
                  due=due, late=late, questions=_questions(data["questions"], fail),
                  bands=_bands(data["grades"], fail), canvas_assignment_id="" if canvas_id is None else str(canvas_id),
                  source=source, scale=scale, submissions=_submissions(data.get("submissions") or {}, due, fail))


def check_rubric(rubric: Rubric, manifest) -> None:
    """Raise RubricError unless ``rubric`` has exactly the built manifest's questions, with the same points
    and the same manual/autograded kind. ``manifest`` is an ``autograder.assignment.Manifest``."""
    where = rubric.source or "the rubric"
    built = {q.name: q for q in manifest.questions}
    problems = []
    for question in manifest.questions:
        ours = rubric.question(question.name)
        if ours is None:
            problems.append(f"question {question.name} ({question.points:g} points in the notebook) is missing; "
                            f"add `{question.name}: {question.points:g}`")
        elif abs(ours.points - question.points) > 1e-9:
            problems.append(f"question {question.name} has {ours.points:g} points in the rubric but "
                            f"{question.points:g} in the built notebook; make them agree")
        elif ours.manual != question.manual:
            kind = "graded by hand" if question.manual else "autograded"
            problems.append(f"question {question.name} is {kind} in the notebook; set `manual: "
                            f"{str(question.manual).lower()}` in the rubric")
    for ours in rubric.questions:
        if ours.name not in built:
            problems.append(f"question {ours.name} is not in the built notebook (it has "
                            f"{', '.join(built) or 'no questions'}); remove it or rebuild")
    if problems:
        raise RubricError(f"{where} does not match the built assignment {manifest.name}: " + "; ".join(problems))


# --- parts ---------------------------------------------------------------------------------------------------


def _no_unknown_keys(data: dict, known: set[str], prefix: str, fail) -> None:
    for key in data:
        if key not in known:
            raise fail(f"{prefix}{key}", f"unknown key; the known keys are {', '.join(sorted(known))}")


def _text(value, key: str, fail) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool) or not str(value).strip():
        raise fail(key, f"expected a non-empty text, found {value!r}")
    return str(value).strip()


def _number(value, key: str, fail, low: float = 0.0, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise fail(key, f"expected a number, found {value!r}")
    if not low <= value <= high:
        bound = f"between {low:g} and {high:g}" if math.isfinite(high) else f"at least {low:g}"
        raise fail(key, f"{value:g} is out of range; it must be {bound}")
    return float(value)


def _due(value, fail) -> datetime.datetime:
    example = "2026-05-08T23:59:00+02:00"
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        raise fail("due", f"{value} has no time and timezone; write it like {example}")
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            raise fail("due", f"{value!r} is not an ISO 8601 date and time; write it like {example}") from None
    if not isinstance(value, datetime.datetime):
        raise fail("due", f"expected a date and time like {example}, found {value!r}")
    if value.tzinfo is None:
        raise fail("due", f"{value.isoformat()} has no timezone; add one, like {example} (or Z for UTC)")
    return value


def _late(data, fail) -> LatePolicy:
    if not isinstance(data, dict):
        raise fail("late", "expected a mapping like {per_day: 0.10, grace_minutes: 15, cap: 0.5}")
    _no_unknown_keys(data, _LATE_KEYS, "late.", fail)
    of = data.get("of", "score")
    if of not in ("score", "maximum"):
        raise fail("late.of", f"{of!r} is neither 'score' (a fraction of the student's points) nor 'maximum' "
                              "(a fraction of the assignment's maximum)")
    return LatePolicy(per_day=_number(data.get("per_day", 0.0), "late.per_day", fail, 0.0, 1.0),
                      grace_minutes=_number(data.get("grace_minutes", 0.0), "late.grace_minutes", fail),
                      cap=_number(data.get("cap", 1.0), "late.cap", fail, 0.0, 1.0), of=of)


def _questions(data, fail) -> tuple[RubricQuestion, ...]:
    if not isinstance(data, dict) or not data:
        raise fail("questions", "expected a mapping from question names to points, like {q1: 2, q2: 3}")
    questions = []
    for name, spec in data.items():
        key = f"questions.{name}"
        if isinstance(spec, dict):
            _no_unknown_keys(spec, _QUESTION_KEYS, f"{key}.", fail)
            if "points" not in spec:
                raise fail(f"{key}.points", "missing; say how many points the question is worth")
            points = _number(spec["points"], f"{key}.points", fail)
            manual = spec.get("manual", False)
            if not isinstance(manual, bool):
                raise fail(f"{key}.manual", f"expected true or false, found {manual!r}")
            criteria = _criteria(spec.get("criteria") or [], key, points, fail)
            if manual and not criteria:
                raise fail(f"{key}.criteria", "a question graded by hand needs criteria for the tutors; add "
                                              "a list of {points: N, text: ...}")
            if criteria and not manual:
                raise fail(f"{key}.criteria", "only questions graded by hand take criteria; add `manual: true` "
                                              "or remove them")
            feedback = _feedback(spec.get("feedback", ""), f"{key}.feedback", fail)
            questions.append(RubricQuestion(str(name), points, manual, criteria, feedback))
        else:
            questions.append(RubricQuestion(str(name), _number(spec, key, fail)))
    return tuple(questions)


def _feedback(value, key: str, fail) -> str:
    if value not in ("", *FEEDBACK):
        raise fail(key, f"{value!r} is not a feedback choice; write one of {', '.join(FEEDBACK)}")
    return value


def _submissions(data, due: datetime.datetime, fail) -> SubmissionPolicy:
    if not isinstance(data, dict):
        raise fail("submissions", "expected a mapping like {per_day: 10, closes: 2026-05-15T23:59:00+02:00}")
    _no_unknown_keys(data, _SUBMISSION_KEYS, "submissions.", fail)
    per_day = data.get("per_day", SubmissionPolicy.per_day)
    if isinstance(per_day, bool) or not isinstance(per_day, int) or per_day < 1:
        raise fail("submissions.per_day", f"expected a whole number of at least 1, found {per_day!r}")
    closes = None
    if data.get("closes") is not None:
        closes = _due(data["closes"], lambda _, problem: fail("submissions.closes", problem))
        if closes < due:
            raise fail("submissions.closes", f"{closes.isoformat()} is before the due date {due.isoformat()}")
    return SubmissionPolicy(per_day, closes, _feedback(data.get("feedback", "after_due"), "submissions.feedback",
                                                       fail))


def _criteria(data, key: str, points: float, fail) -> tuple[Criterion, ...]:
    if not isinstance(data, list):
        raise fail(f"{key}.criteria", "expected a list of {points: N, text: ...}")
    criteria = []
    for index, item in enumerate(data, start=1):
        where = f"{key}.criteria[{index}]"
        if not isinstance(item, dict) or set(item) != {"points", "text"}:
            raise fail(where, f"expected {{points: N, text: ...}}, found {item!r}")
        criteria.append(Criterion(_number(item["points"], f"{where}.points", fail), _text(item["text"], where, fail)))
    total = sum(c.points for c in criteria)
    if criteria and abs(total - points) > 1e-9:
        raise fail(f"{key}.criteria", f"the criteria add up to {total:g} points but the question is worth "
                                      f"{points:g}; make them agree")
    return tuple(criteria)


def _bands(data, fail) -> tuple[GradeBand, ...]:
    if not isinstance(data, dict) or not data:
        raise fail("grades", "expected the lowest percent of each band, best first, like {A: 85, B: 70, F: 0}")
    bands = [GradeBand(str(letter), _number(low, f"grades.{letter}", fail, 0.0, 100.0)) for letter, low in data.items()]
    for better, worse in zip(bands, bands[1:]):
        if worse.min_percent >= better.min_percent:
            raise fail(f"grades.{worse.letter}", f"{worse.min_percent:g} is not below {better.letter}'s "
                                                 f"{better.min_percent:g}; list the bands best first, each lower")
    if bands[-1].min_percent != 0:
        raise fail(f"grades.{bands[-1].letter}", f"the last band starts at {bands[-1].min_percent:g}; it must "
                                                 "start at 0 so that every percent gets a grade")
    return tuple(bands)
