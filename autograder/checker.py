"""The trusted checker: runs a question's hidden tests against proxies of the student's objects.

Test files are Otter's exception-based files (built into dist/NAME/tests). They are loaded here,
in the grader's process; the student's kernel never sees them. Each test case is a function whose
parameters name the globals it needs: we pass our own numpy for ``np``/``numpy`` and proxies
(or plain values) for the student's names. A student global that is a module becomes our own module
of exactly that name when it is in ``trusted_modules()`` (filled from ``sys.modules`` as tests are
loaded, before any kernel starts), else a proxy; a name that came from a kernel is never imported.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any, Protocol

import numpy

from autograder.bridge import BridgeError, BridgeTimeout, KernelDied, MissingName, StudentCodeError, codec
from autograder.processes import IDLE_NICENESS
from autograder.results import QuestionResult, TestOutcome
from autograder.testfile import TestCase, TestFile, read_test_file
from autograder.testing import collecting_artifacts, stop_collecting

_OWN_MODULES = {"np": numpy, "numpy": numpy}  # test parameters that always get our numpy
# The exact names of modules a test may receive as our own when the student's global is that module.
TRUSTED_MODULE_NAMES = frozenset({
    "numpy", "pandas", "scipy", "math", "random", "statistics", "itertools", "collections", "functools", "string",
    "re", "json", "sklearn", "keras", "tensorflow", "torch", "jax", "matplotlib"})
_trusted_modules: dict[str, ModuleType] = {"numpy": numpy}
_imported_ahead: set[str] = set()
_ahead_threads: list[threading.Thread] = []
_ahead_lock = threading.Lock()


def load_tests(tests_dir: Path, questions: list[str]) -> dict[str, TestFile]:
    """Every question's tests, read into memory before any student code runs (so nothing the
    student's code does to files on disk can change them)."""
    tests = {question: read_test_file(tests_dir / f"{question}.py") for question in questions}
    _trust_imported_modules()  # the test files' own imports are in sys.modules now
    import_ahead([module for test_file in tests.values() for module in test_file.imports])
    return tests


def import_ahead(modules: list[str]) -> None:
    """Import the modules the tests' code will import (scipy.stats takes 0.7 s), in a background thread of this
    process, while the kernel starts and runs the notebook, so that the first check does not wait for them. Only
    names from the tutor's test files; one that fails to import is left for its test to report. ``run_question``
    waits for the thread first, so a test never imports beside it (two threads importing one package tree can
    see each other's half-initialised modules)."""
    with _ahead_lock:
        modules = [name for name in dict.fromkeys(modules) if name not in _imported_ahead]
        _imported_ahead.update(modules)
        if modules:
            thread = threading.Thread(target=_import_all, args=(modules,), name="import-ahead", daemon=True)
            _ahead_threads.append(thread)
            thread.start()


def _import_all(modules: list[str]) -> None:
    try:  # this thread only (Linux): the imports take a core nobody else needs, never the kernel's
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), IDLE_NICENESS)
    except (AttributeError, OSError):
        pass
    for name in modules:
        try:
            module = importlib.import_module(name)
            # Our own check modules name what they import only when first used (``IMPORT_AHEAD``).
            for later in getattr(module, "IMPORT_AHEAD", ()):
                importlib.import_module(later)
        except Exception:  # noqa: BLE001 - the test that imports it reports the error, as it would have anyway
            continue


def trusted_modules() -> Mapping[str, ModuleType]:
    """Our own modules that a student's module global of exactly that name stands for: numpy, and each module of
    ``TRUSTED_MODULE_NAMES`` that this process had imported itself when tests were loaded."""
    return MappingProxyType(_trusted_modules)


def _trust_imported_modules() -> None:
    """Only what the grader or the tutor's test files imported: never a module a kernel named (nothing here
    imports), and never replaced once known."""
    for name in TRUSTED_MODULE_NAMES:
        module = sys.modules.get(name)
        if isinstance(module, ModuleType):
            _trusted_modules.setdefault(name, module)


def failed_question(test_file: TestFile, note: str) -> QuestionResult:
    """A question whose tests could not run at all (the kernel was gone, say): zero points, one reason."""
    tests = [TestOutcome(case.name, 0.0, case.points, False, case.hidden, note) for case in test_file.cases]
    return QuestionResult(test_file.name, 0.0, sum(t.max_points for t in tests), tests, note)


class Names(Protocol):
    """Where the tests' parameters come from: a kernel's globals (``Bridge``) or, for the tutor's own reference
    answers in ``bank check``, a local namespace (``LocalNames``)."""

    def global_value(self, name: str, modules: Mapping[str, ModuleType] | None = None) -> Any:
        """The value of global ``name``; raises MissingName where there is none."""


class LocalNames:
    """Globals of trusted code run in this process (a tutor's reference answer), as the tests' parameters."""

    def __init__(self, namespace: Mapping[str, Any]):
        self.namespace = namespace

    def global_value(self, name: str, modules: Mapping[str, ModuleType] | None = None) -> Any:
        if name not in self.namespace:
            raise MissingName(name)
        return self.namespace[name]


def run_question(test_file: TestFile, bridge: Names, trusted: Mapping[str, Any] | None = None) -> QuestionResult:
    """Run every test case of one question, scored as Otter scores it (points per case, ``all_or_nothing``). If
    the kernel dies, the remaining tests fail with that reason. The checker and ``bank check`` both run tests here.

    ``trusted`` gives the checker's own values for parameters of those names (an exam variant's ``params``,
    the grading ``scale``): they win over any name the notebook defines, which is never asked for.
    """
    for thread in list(_ahead_threads):
        thread.join()
    outcomes: list[TestOutcome] = []
    missing: set[str] = set()
    artifacts, token = collecting_artifacts()
    try:
        for case in test_file.cases:
            try:
                outcomes.append(_run_case(case, bridge, missing, trusted or {}))
            except KernelDied as died:
                outcomes += [TestOutcome(rest.name, 0.0, rest.points, False, rest.hidden, str(died))
                             for rest in test_file.cases[len(outcomes):]]
                break
    finally:
        stop_collecting(token)
    result = _score(test_file, outcomes)
    result.note = ", ".join(sorted(missing))
    result.artifacts = {name: codec.encode(array, _no_handle) for name, array in artifacts.items()}
    return result


def _no_handle(value):
    raise TypeError("artifacts are arrays")


def missing_names(result: QuestionResult) -> bool:
    """Whether some test failed only because a name was not (yet) defined."""
    return bool(result.note)


def _score(test_file: TestFile, outcomes: list[TestOutcome]) -> QuestionResult:
    if test_file.all_or_nothing and not all(t.passed for t in outcomes):
        for outcome in outcomes:
            outcome.points = 0.0
    return QuestionResult(test_file.name, sum(t.points for t in outcomes), sum(t.max_points for t in outcomes),
                          outcomes)


def _run_case(case: TestCase, bridge: Names, missing: set[str], trusted: Mapping[str, Any]) -> TestOutcome:
    try:
        arguments = _arguments(case, bridge, trusted)
        if case.doctest:
            case.function(bridge, **arguments)
        else:
            case.function(**arguments)
    except KernelDied:
        raise
    except MissingName as error:
        missing.add(error.name)
        message = f"{error}; define it and run the notebook from top to bottom"
    except AssertionError as error:
        message = ("\n".join(filter(None, [case.failure_message, str(error)])) if case.doctest else
                   case.failure_message or str(error)) or "this test failed"
    except StudentCodeError as error:
        message = f"your code raised {error}"
    except BridgeTimeout as error:
        message = str(error)
    except BridgeError as error:
        message = f"the grader could not talk to your notebook: {error}"
    except Exception as error:  # noqa: BLE001 - a test crashing on a wrong answer is a failed test
        message = f"the test could not check your answer ({type(error).__name__}: {error})"
    except KeyboardInterrupt:  # the tutor's Ctrl-C stops grading
        raise
    except BaseException as error:  # noqa: BLE001 - SystemExit, GeneratorExit, a test's own: fail this test only
        message = (f"the test stopped with {_describe(error)} instead of passing or failing, so it gives no points "
                   "(ask your tutor if you think your answer is right)")
    else:
        return TestOutcome(case.name, case.points, case.points, True, case.hidden, case.success_message or "")
    return TestOutcome(case.name, 0.0, case.points, False, case.hidden, message[:2000])


def _describe(error: BaseException) -> str:
    try:
        text = str(error)
    except Exception:  # noqa: BLE001 - the test's own exception class may not print
        text = ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _arguments(case: TestCase, bridge: Names, trusted: Mapping[str, Any]) -> dict:
    """A value for each parameter; a global the notebook lacks fails the test, unless the parameter has a
    default (``denoiser=None``), which is then passed as Otter would."""
    arguments = {}
    for name, parameter in inspect.signature(case.function).parameters.items():
        if name in trusted:
            arguments[name] = trusted[name]
            continue
        try:
            arguments[name] = _argument(name, bridge)
        except MissingName:
            if parameter.default is inspect.Parameter.empty:
                raise
            arguments[name] = parameter.default
    return arguments


def _argument(param: str, bridge: Names):
    if param in _OWN_MODULES:
        return _OWN_MODULES[param]
    return bridge.global_value(param, trusted_modules())
