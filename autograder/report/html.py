"""The report's web pages: a tutor dashboard and one feedback page per student.

Every page is one self-contained file (pictures as data: URIs, inline CSS and script, nothing fetched), so
it opens offline and can be mailed or uploaded as it is. Every string that a student could influence
(ids, names, messages, test output) goes through ``escape``.
"""

from __future__ import annotations

import base64
import datetime
import html
import math
from urllib.parse import quote

import pandas as pd

from autograder.report.artifacts import Picture
from autograder.report.inputs import GradedSubmission
from autograder.rubric import Rubric

ATTENTION_STATUSES = ("grader-overloaded", "unknown-student", "invalid-notebook", "kernel-died", "memory-limit",
                      "timeout", "output-limit", "error")

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 76rem;
       padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.number { text-align: right; font-variant-numeric: tabular-nums; }
table.sortable th { cursor: pointer; user-select: none; } table.sortable th::after { content: " \\2195"; color: #aaa; }
.cards { display: flex; flex-wrap: wrap; gap: 0.75rem; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 0.5rem 0.9rem; min-width: 8rem; }
.card .value { font-size: 1.3rem; font-weight: 600; } .card .label { color: #666; font-size: 0.85rem; }
.passed { color: #1a7f37; font-weight: 600; } .failed { color: #c62828; font-weight: 600; }
.status-ok { color: #1a7f37; } .status-bad { color: #c62828; font-weight: 600; }
.message { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 0.85rem; }
.muted { color: #777; } img { max-width: 100%; } .flag { color: #b35c00; font-weight: 600; }
"""

# Click a column header to sort by it (again: the other way); index.html#sort=KEY or #sort=KEY-desc opens
# sorted. Numbers sort as numbers (data-value), everything else as text.
SORT_SCRIPT = """
function sortTable(table, key, descending) {
  const headers = [...table.tHead.rows[0].cells];
  const column = headers.findIndex(th => th.dataset.key === key);
  if (column < 0) return;
  const value = row => { const cell = row.cells[column]; const raw = cell.dataset.value ?? cell.textContent;
                         const number = parseFloat(raw); return isNaN(number) ? raw.toLowerCase() : number; };
  const body = table.tBodies[0];
  const rows = [...body.rows].sort((a, b) => {
    const x = value(a), y = value(b);
    const order = typeof x === typeof y ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === "number" ? -1 : 1);
    return descending ? -order : order; });
  rows.forEach(row => body.appendChild(row));
  headers.forEach(th => th.removeAttribute("aria-sort"));
  headers[column].setAttribute("aria-sort", descending ? "descending" : "ascending");
}
document.querySelectorAll("table.sortable").forEach(table => {
  [...table.tHead.rows[0].cells].forEach(th => th.addEventListener("click", () =>
    sortTable(table, th.dataset.key, th.getAttribute("aria-sort") === "ascending")));
});
const wanted = /^#sort=([\\w.-]+?)(-desc)?$/.exec(location.hash);
if (wanted) document.querySelectorAll("table.sortable").forEach(t => sortTable(t, wanted[1], !!wanted[2]));
"""


def escape(value) -> str:
    return html.escape(str(value), quote=True)


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def feedback_page(submission: GradedSubmission, row: pd.Series, rubric: Rubric, pictures: list[Picture],
                  generated: datetime.datetime) -> str:
    return _page(f"{rubric.title}: {submission.name}", feedback_body(submission, row, rubric, pictures, generated))


def feedback_body(submission: GradedSubmission, row: pd.Series, rubric: Rubric, pictures: list[Picture],
                  generated: datetime.datetime) -> str:
    """The feedback page's content (HTML, every student text escaped), for the report's page and the service's."""
    result = submission.result
    who = escape(submission.name) + (f" <span class='muted'>({escape(submission.student)})</span>"
                                     if submission.display_name else "")
    parts = [f"<h1>{escape(rubric.title)}: feedback for {who}</h1>",
             f"<p class='muted'>Generated {escape(_when(generated))}. Due {escape(_when(rubric.due))}.</p>",
             "<table>",
             _pair("Grade", f"<strong>{escape(row['grade'])}</strong> ({_num(row['percent'], 1)}%)"),
             _pair("Points", f"<strong>{_num(row['final'])}</strong> of {_num(rubric.max_points)}"),
             _pair("Autograded", _num(row["auto"]))]
    if rubric.manual:
        parts.append(_pair("Graded by hand", _num(row["manual"])))
    if submission.submitted_at:
        parts.append(_pair("Submitted", escape(_when(submission.submitted_at))))
    if row["days_late"]:
        parts.append(_pair("Late penalty", f"−{_num(row['late_penalty'])} ({int(row['days_late'])} day(s) late; "
                                           f"{escape(late_policy_text(rubric))})"))
    parts.append(_pair("Status", _status(result.status)))
    if result.message:
        parts.append(_pair("Problems", f"<span class='message'>{escape(result.message)}</span>"))
    parts.append("</table>")
    by_question = {q.name: q for q in result.questions}
    for question in rubric.questions:
        score = row[question.name]
        shown = "not graded yet" if _missing(score) else f"{_num(score)} of {_num(question.points)} points"
        parts.append(f"<h2 id='{escape(question.name)}'>{escape(question.name)}: {shown}"
                     f"{' (graded by hand)' if question.manual else ''}</h2>")
        if question.manual:
            parts.append("<p>Criteria:</p><ul>" + "".join(
                f"<li>{_num(c.points)} point(s): {escape(c.text)}</li>" for c in question.criteria) + "</ul>")
        else:
            parts.append(_tests(by_question.get(question.name)))
        parts += [_figure(picture) for picture in pictures if picture.question == question.name]
    others = [picture for picture in pictures if not rubric.question(picture.question)]
    if others:
        parts.append("<h2>Other pictures</h2>")
        parts += [_figure(picture) for picture in others]
    return "\n".join(parts)


def dashboard(rubric: Rubric, grades: pd.DataFrame, questions: pd.DataFrame, submissions: list[GradedSubmission],
              summary: dict[str, str], plots: dict[str, bytes], pages: dict[str, str], files: dict[str, str],
              generated: datetime.datetime) -> str:
    people = {s.student: s for s in submissions}
    parts = [f"<h1>{escape(rubric.title)}: grading report</h1>",
             f"<p class='muted'>Generated {escape(_when(generated))}. Due {escape(_when(rubric.due))}; late policy: "
             f"{escape(late_policy_text(rubric))}.</p>",
             "<div class='cards'>" + "".join(
                 f"<div class='card'><div class='value'>{escape(value)}</div><div class='label'>{escape(label)}"
                 f"</div></div>" for label, value in summary.items()) + "</div>",
             "<h2>Needs attention</h2>", _attention(grades, rubric, people, pages),
             "<h2>Plots</h2>"]
    parts += [f"<figure><img alt='{escape(title)}' src='{data_uri(image)}'></figure>" for title, image in plots.items()]
    parts += ["<h2>Students</h2>", "<p class='muted'>Click a column to sort by it.</p>",
              _students_table(grades, rubric, people, pages),
              "<h2>Questions</h2>", _questions_table(questions),
              _time_table(submissions),
              "<h2>Files</h2><ul>" + "".join(f"<li><a href='{escape(quote(link))}'>{escape(label)}</a></li>"
                                            for label, link in files.items()) + "</ul>"]
    return _page(f"{rubric.title}: grading report", "\n".join(parts), script=SORT_SCRIPT)


def late_policy_text(rubric: Rubric) -> str:
    late = rubric.late
    if not late.per_day:
        return "no penalty"
    base = "the student's points" if late.of == "score" else "the maximum"
    return (f"{late.per_day * 100:g}% of {base} per started day after a {late.grace_minutes:g}-minute grace, "
            f"at most {late.cap * 100:g}%")


# --- pieces --------------------------------------------------------------------------------------------------


def _page(title: str, body: str, script: str = "") -> str:
    return ("<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
            f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n"
            + (f"<script>{script}</script>\n" if script else "") + "</body>\n</html>\n")


def _students_table(grades: pd.DataFrame, rubric: Rubric, people: dict[str, GradedSubmission],
                    pages: dict[str, str]) -> str:
    numbers = [*(q.name for q in rubric.questions), "auto", "manual", "late_penalty", "final", "percent"]
    with_names = any(person.display_name for person in people.values())  # a name column only where known
    header = "".join(f"<th data-key='{escape(key)}'>{escape(key)}</th>"
                     for key in ["student", *(["name"] if with_names else []), *numbers, "grade", "status"])
    rows = []
    for row in grades.to_dict("records"):
        person = people[row["student"]]
        cells = [f"<td data-value='{escape(row['student'])}'><a href='{escape(pages[row['student']])}'>"
                 f"{escape(row['student'])}</a></td>"]
        if with_names:
            cells.append(f"<td>{escape(person.display_name)}</td>")
        cells += [f"<td class='number' data-value='{'' if _missing(row[key]) else row[key]}'>{_num(row[key])}</td>"
                  for key in numbers]
        cells += [f"<td>{escape(row['grade'])}</td>", f"<td>{_status(row['status'])}</td>"]
        rows.append(f"<tr data-student='{escape(row['student'])}'>{''.join(cells)}</tr>")
    return (f"<table class='sortable' id='students'><thead><tr>{header}</tr></thead><tbody>\n"
            + "\n".join(rows) + "\n</tbody></table>")


def _time_table(submissions: list[GradedSubmission]) -> str:
    """Where grading's time went, over the submissions whose results carry a profile (autograder.profile)."""
    from autograder.profile import summary

    rows = summary(s.result.profile for s in submissions)
    if not rows:
        return ""
    body = "".join(f"<tr><td>{escape(label)}</td><td>{escape(median)}</td><td>{escape(most)}</td></tr>"
                   for label, median, most in rows)
    return ("<h2>Where grading's time went</h2><p class='muted'>Per submission; overhead is everything but the "
            "cells' and the tests' own compute.</p><table><thead><tr><th>phase</th><th>median</th><th>max</th>"
            f"</tr></thead><tbody>{body}</tbody></table>")


def _questions_table(questions: pd.DataFrame) -> str:
    columns = list(questions.columns)
    header = "".join(f"<th>{escape(c)}</th>" for c in columns)
    rows = []
    for row in questions.to_dict("records"):
        cells = []
        for column in columns:
            value = row[column]
            if column == "flag":
                cells.append(f"<td class='flag'>{escape(value)}</td>")
            elif isinstance(value, float | int) and not isinstance(value, bool):
                cells.append(f"<td class='number'>{_num(value, 3)}</td>")
            else:
                cells.append(f"<td>{escape(value)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    note = ("<p class='muted'>difficulty: mean / max. discrimination: correlation of the question's points "
            "with the total of the other questions (flag: negative, or low below 0.2).</p>")
    return f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}"


def _attention(grades: pd.DataFrame, rubric: Rubric, people: dict[str, GradedSubmission],
               pages: dict[str, str]) -> str:
    items = []
    for row in grades.to_dict("records"):
        student = row["student"]
        link = f"<a href='{escape(pages[student])}'>{escape(student)}</a>"
        if row["status"] in ATTENTION_STATUSES:
            items.append(f"<li>{link}: {_status(row['status'])} <span class='message'>"
                         f"{escape(people[student].result.message)}</span></li>")
        unscored = [q.name for q in rubric.manual if _missing(row[q.name])]
        if unscored:
            items.append(f"<li>{link}: no score yet for {escape(', '.join(unscored))} (graded by hand)</li>")
    return f"<ul id='attention'>{''.join(items)}</ul>" if items else "<p>Nothing: every submission ran.</p>"


def _tests(question) -> str:
    if question is None:
        return "<p class='failed'>Not graded: the notebook did not get this far.</p>"
    parts = [f"<p class='message'>{escape(question.note)}</p>"] if question.note else []
    if not question.tests:
        return "".join(parts) + "<p class='muted'>No tests ran for this question.</p>"
    rows = "".join(
        f"<tr><td>{escape(t.name)}{' <span class=muted>(hidden)</span>' if t.hidden else ''}</td>"
        f"<td class='{'passed' if t.passed else 'failed'}'>{'passed' if t.passed else 'failed'}</td>"
        f"<td class='number'>{_num(t.points)} / {_num(t.max_points)}</td>"
        f"<td class='message'>{escape(t.message)}</td></tr>" for t in question.tests)
    return "".join(parts) + ("<table><thead><tr><th>test</th><th>result</th><th>points</th><th>message</th></tr>"
                             f"</thead><tbody>{rows}</tbody></table>")


def _figure(picture: Picture) -> str:
    return (f"<figure><img alt='{escape(picture.title)}' src='{data_uri(picture.png)}'>"
            f"<figcaption class='muted'>{escape(picture.title)}</figcaption></figure>")


def _pair(label: str, value_html: str) -> str:
    return f"<tr><th>{escape(label)}</th><td>{value_html}</td></tr>"


def _status(status: str) -> str:
    return f"<span class='{'status-ok' if status == 'ok' else 'status-bad'}'>{escape(status)}</span>"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _num(value, decimals: int = 2) -> str:
    if _missing(value):
        return ""
    text = f"{float(value):.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _when(moment: datetime.datetime) -> str:
    return moment.isoformat(sep=" ", timespec="minutes")
