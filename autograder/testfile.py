"""Reading Otter's test files in the checker, without importing Otter itself.

An exception-based file defines ``name``, optionally ``points`` and ``all_or_nothing``, and functions decorated
with ``@test_case(points=..., hidden=..., success_message=..., failure_message=...)``. An OK-format file (Otter's
default) defines ``test = {"name": ..., "points": ..., "suites": [{"cases": [{"code": ">>> ...", "hidden": ...}]}]}``;
its cases are doctests (``autograder.doctests``). Point values are resolved by Otter's rules, so a question is
worth the same here as in Otter's own autograder.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any


class TestFileError(Exception):
    """A test file that does not follow the format; the message names the file."""


@dataclass(frozen=True)
class TestCase:
    name: str
    function: Callable[..., Any]
    points: float | None
    hidden: bool
    success_message: str | None = None
    failure_message: str | None = None
    doctest: bool = False  # an OK-format case: ``function(names, **values)`` (autograder.doctests)


@dataclass(frozen=True)
class TestFile:
    name: str
    cases: list[TestCase]
    all_or_nothing: bool = False
    imports: tuple[str, ...] = ()  # modules every run of its code imports (``checker.import_ahead``)

    @property
    def max_points(self) -> float:
        return float(sum(case.points or 0 for case in self.cases))


class test_case:  # noqa: N801 - the name test files use
    """The decorator test files apply; same arguments as ``otter.test_files.test_case``."""

    def __init__(self, name=None, points=None, hidden=False, success_message=None, failure_message=None):
        self.options = dict(name=name, points=points, hidden=bool(hidden), success_message=success_message,
                            failure_message=failure_message)
        self.function: Callable[..., Any] | None = None

    def __call__(self, function: Callable[..., Any]) -> test_case:
        self.function = function
        return self


def read_test_file(path: Path) -> TestFile:
    return parse_test_file(Path(path).read_text(), str(path))


def parse_test_file(source: str, label: str = "<test file>") -> TestFile:
    try:
        tree = ast.parse(source, filename=label)
    except SyntaxError as error:
        raise TestFileError(f"{label}: not valid Python ({error.msg}, line {error.lineno})") from None
    tree.body = [node for node in tree.body if not _imports_otter_test_case(node)]
    namespace: dict[str, Any] = {"test_case": test_case, "__name__": "autograder_hidden_tests"}
    try:
        exec(compile(tree, label, "exec"), namespace)  # noqa: S102 - the tutor's own test file, never student code
    except Exception as error:
        raise TestFileError(f"{label}: running the file failed ({type(error).__name__}: {error})") from None
    if isinstance(namespace.get("test"), dict):
        return parse_ok_test(namespace["test"], label)
    if "name" not in namespace:
        raise TestFileError(f"{label}: the test file does not define `name`")
    decorated = [value for value in namespace.values() if isinstance(value, test_case) and value.function]
    cases = []
    for position, decorator in enumerate(decorated, start=1):
        options = decorator.options
        cases.append(TestCase(options["name"] or getattr(decorator.function, "__name__", f"test {position}"),
                              decorator.function, options["points"], options["hidden"],
                              options["success_message"], options["failure_message"]))
    name = str(namespace["name"])
    try:
        cases = resolve_points(namespace.get("points"), cases)
    except (ValueError, TypeError) as error:
        raise TestFileError(f"{label}: {error}") from None
    return TestFile(name, cases, bool(namespace.get("all_or_nothing", False)), _unconditional_imports(tree))


def _unconditional_imports(tree: ast.Module) -> tuple[str, ...]:
    """The absolute modules a file imports in statements that always run: at its top level, or at the top level of
    one of its functions (not under an ``if`` or a ``try``, which may mean the module is optional)."""
    bodies = [tree.body] + [node.body for node in tree.body
                            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    names = []
    for body in bodies:
        for node in body:
            if isinstance(node, ast.Import):
                names.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.append(node.module)
    return tuple(dict.fromkeys(names))


def parse_ok_test(spec: dict, label: str = "<test file>") -> TestFile:
    """An OK-format test as Otter reads one: a single doctest suite, hidden by default, points by Otter's rules."""
    from autograder.doctests import DoctestError, doctest_case

    suites = spec.get("suites")
    if "name" not in spec:
        raise TestFileError(f"{label}: the OK-format test has no `name`")
    if not isinstance(suites, list) or len(suites) != 1 or not isinstance(suites[0], dict):
        raise TestFileError(f"{label}: an OK-format test needs exactly one suite (Otter's rule)")
    suite = suites[0]
    if suite.get("type", "doctest") != "doctest" or suite.get("setup") or suite.get("teardown"):
        raise TestFileError(f"{label}: only doctest suites without setup or teardown are supported (Otter's rule)")
    cases = []
    for position, case in enumerate(suite.get("cases") or [], start=1):
        if not isinstance(case, dict) or not isinstance(case.get("code"), str):
            raise TestFileError(f"{label}: case {position} has no `code`")
        name = str(case.get("name") or f"{spec['name']} - {position}")
        try:
            function = doctest_case(case["code"], f"{label}, {name}")
        except DoctestError as error:
            raise TestFileError(str(error)) from None
        cases.append(TestCase(name, function, case.get("points"), bool(case.get("hidden", True)),
                              case.get("success_message"), case.get("failure_message"), doctest=True))
    try:
        cases = resolve_points(spec.get("points"), cases)
    except (ValueError, TypeError) as error:
        raise TestFileError(f"{label}: {error}") from None
    return TestFile(str(spec["name"]), cases, bool(spec.get("all_or_nothing", False)))


def _imports_otter_test_case(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and (node.module or "").startswith("otter")


def resolve_points(total: Any, cases: list[TestCase]) -> list[TestCase]:
    """Otter's rules: a list gives each case's points; a total is shared by the cases without points;
    with neither, an all-unspecified question is worth 1 point in all."""
    if isinstance(total, list):
        if len(total) != len(cases):
            raise ValueError(f"`points` lists {len(total)} values for {len(cases)} test cases")
        cases = [replace(case, points=value) for case, value in zip(cases, total)]
        total = None
    elif total is not None and not isinstance(total, (int, float)):
        raise TypeError(f"`points` must be a number or a list, not {type(total).__name__}")
    given = [case.points for case in cases]
    for value in given:
        if value is not None and not isinstance(value, (int, float)):
            raise TypeError(f"a test case's points must be a number, not {type(value).__name__}")
    specified = sum(value for value in given if value is not None)
    unspecified = sum(value is None for value in given)
    if total is not None:
        if specified > total:
            raise ValueError(f"the test cases give {specified} points but the question is worth {total}")
        share = (total - specified) / unspecified if unspecified else 0.0
    elif specified == 0 and all(value in (0, None) for value in given):
        share = 1 / unspecified if unspecified else 0.0
    else:
        share = 0.0
    return [replace(case, points=float(case.points if case.points is not None else share)) for case in cases]
