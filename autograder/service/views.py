"""What the service's pages show: a student's open assignments, a submission's summary and status, and its
feedback as the rubric lets its student see it now (``student_view``)."""

from __future__ import annotations

import datetime
from dataclasses import replace
from typing import TYPE_CHECKING

from autograder.report import html as report_html
from autograder.report.artifacts import draw_artifacts
from autograder.report.inputs import GradedSubmission
from autograder.report.tables import grades_table
from autograder.results import SubmissionResult, TestOutcome
from autograder.rubric import Rubric
from autograder.service.store import Store, SubmissionRow, next_allowed

if TYPE_CHECKING:
    from autograder.service.app import Service


def open_assignments(service: Service, student: str) -> list[dict]:
    now = service.now()
    listed = []
    for name, rubric in service.rubrics.items():
        policy = rubric.submissions
        closes = policy.closes.timestamp() if policy.closes else None
        recent = service.store.recent(student, name, now)
        left = max(0, policy.per_day - len(recent))
        listed.append({"name": name, "title": rubric.title, "due": rubric.due.timestamp(), "closes": closes,
                       "late": now > rubric.due.timestamp(), "closed": closes is not None and now > closes,
                       "left": left, "per_day": policy.per_day,
                       "next": next_allowed(recent, policy.per_day) if not left else None})
    return listed


def summary(row: SubmissionRow) -> dict:
    result = SubmissionResult.from_json(row.result["result"]) if row.result else None
    return {"id": row.id, "student": row.student, "assignment": row.assignment, "file_name": row.file_name,
            "received": row.received, "late": row.late, "state": row.state,
            "status": result.status if result else "", "points": result.total if result else None,
            "max_points": result.max_total if result else None}


def status(store: Store, row: SubmissionRow) -> dict:
    status = {"submission": row.id, "state": row.state, "progress": row.progress}
    if row.state == "queued":
        status["position"] = store.queue_position(row.job_id) + 1
    if row.result:
        result = SubmissionResult.from_json(row.result["result"])
        status.update(status_of_result=result.status, points=result.total, max_points=result.max_total)
    return status


def feedback(service: Service, row: SubmissionRow, tutor: bool) -> str:
    """The report's feedback page for this submission, with the hidden tests a student may see now."""
    rubric = service.rubrics.get(row.assignment)
    result = SubmissionResult.from_json(row.result["result"])
    if rubric is None:
        return ""
    if not tutor:
        result = student_view(result, rubric, service.now())
    zone = rubric.due.tzinfo
    graded = GradedSubmission(result, datetime.datetime.fromtimestamp(row.received, zone))
    table = grades_table([graded], rubric, {})
    pictures = draw_artifacts(service.store.artifacts(row.job_id))
    return report_html.feedback_body(graded, table.iloc[0], rubric, pictures,
                                     datetime.datetime.fromtimestamp(service.now(), zone))


def student_view(result: SubmissionResult, rubric: Rubric, now: float) -> SubmissionResult:
    """What a student sees of ``result`` at ``now``: per question, as the rubric says (``Rubric.feedback``):
    ``visible``: every test; ``after_due``: before the due date, the hidden tests as one line with their points
    and no names or messages, all of them after it; ``hidden``: that one line, always."""
    due_passed = now >= rubric.due.timestamp()
    questions = []
    for question in result.questions:
        policy = rubric.feedback(question.name)
        hidden = [test for test in question.tests if test.hidden]
        if not hidden or policy == "visible" or (policy == "after_due" and due_passed):
            questions.append(question)
            continue
        shown = ("are never shown" if policy == "hidden" else
                 f"are shown after the due date ({when(rubric.due.timestamp())})")
        summary = TestOutcome(f"hidden tests ({len(hidden)})", round(sum(t.points for t in hidden), 6),
                              round(sum(t.max_points for t in hidden), 6), all(t.passed for t in hidden), True,
                              f"The names and messages of hidden tests {shown}.")
        questions.append(replace(question, tests=[t for t in question.tests if not t.hidden] + [summary]))
    return replace(result, questions=questions)


def when(moment: float) -> str:
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
