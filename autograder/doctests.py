"""OK-format (doctest) test cases, run in the trusted checker as Otter runs them in the student's kernel.

Otter's default test format is a doctest per case: ``>>> square(16)`` then the output the solution printed.
Here each example runs in the checker, in a namespace of its own: the names the student defines come from the
kernel (plain data, or proxies of the kernel's objects), ``np``/``numpy`` are the checker's own, and the test's
own imports are the checker's modules, except a module the checker does not know (a student's own file, such as
Otter's ``student_files``), which is imported in the kernel and used through a proxy. The output is compared with
``doctest``'s own ``OutputChecker``, so a case passes here exactly when Otter's comparison would pass.

What the student's code decides: how its own objects print (``repr`` and ``str`` of a proxy, asked of the
kernel) and what its functions return. Comparisons run in the checker: a proxy equals nothing but itself, so an
object whose ``__eq__`` always says yes still fails ``x == 2``.
"""

from __future__ import annotations

import ast
import builtins
import doctest
import inspect
import symtable
import sys
import textwrap
import traceback
from collections.abc import Callable
from typing import Any

from autograder.bridge import BridgeError, Proxy, StudentCodeError

_BUILTIN_NAMES = frozenset(dir(builtins))
_PARSER = doctest.DocTestParser()
_CHECKER = doctest.OutputChecker()


class DoctestError(Exception):
    """A doctest that cannot be read; the message names the case."""


def doctest_case(body: str, label: str) -> Callable[..., None]:
    """A test function for one OK-format case: its parameters are the names the case needs from the notebook,
    and it takes the notebook's names (``Names``) first, to import the student's own modules in the kernel.
    It returns when every example prints what the case expects, and raises AssertionError with doctest's
    report otherwise."""
    try:
        examples = _PARSER.get_examples(textwrap.dedent(body), label)
    except ValueError as error:
        raise DoctestError(f"{label}: not a valid doctest ({error})") from None
    compiled = [_compile(example, label) for example in examples]

    def run(names, /, **values: Any) -> None:
        output: list[str] = []
        namespace = dict(values)
        namespace["__builtins__"] = _builtins(names, output)
        namespace["__name__"] = "__otter_doctest__"
        for example, (statements, expression) in zip(examples, compiled):
            output.clear()
            try:
                exec(statements, namespace)  # noqa: S102 - the tutor's test, in the checker, on proxies and data
                if expression is not None:
                    value = eval(expression, namespace)  # noqa: S307 - as above
                    if value is not None:
                        output.append(_text(value, "repr") + "\n")
            except BridgeError:
                raise  # the kernel died, timed out or lacks a name: the checker reports those itself
            except Exception as error:  # noqa: BLE001 - a doctest compares raised exceptions too
                _compare_exception(example, error, "".join(output))
                continue
            got = "".join(output)
            if example.exc_msg is not None:
                raise AssertionError(_report(example, f"Expected an exception ({example.exc_msg.strip()}), got:\n"
                                                      f"{textwrap.indent(got or '(nothing)', '    ')}"))
            flags = _flags(example)
            if not _CHECKER.check_output(example.want, got, flags):
                raise AssertionError(_report(example, _CHECKER.output_difference(example, got, flags)))

    parameters = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in _free_names(examples, label)]
    run.__signature__ = inspect.Signature(parameters)  # the checker fetches exactly these names
    run.__name__ = label
    return run


def _compile(example: doctest.Example, label: str):
    """An example as statements to run and, when it ends in an expression, that expression (its value prints)."""
    try:
        tree = ast.parse(example.source, filename=label)
    except SyntaxError as error:
        raise DoctestError(f"{label}: the example `{example.source.strip()[:80]}` is not valid Python "
                           f"({error.msg})") from None
    expression = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        expression = compile(ast.Expression(tree.body.pop().value), label, "eval")
    return compile(tree, label, "exec"), expression


def _free_names(examples, label: str) -> list[str]:
    """The names the examples read but never bind (by Python's own scoping rules): the notebook's names."""
    table = symtable.symtable("".join(example.source for example in examples), label, "exec")
    bound = {symbol.get_name() for symbol in table.get_symbols() if symbol.is_assigned() or symbol.is_imported()}
    free: list[str] = []

    def visit(scope, top: bool) -> None:
        for symbol in scope.get_symbols():
            name = symbol.get_name()
            if symbol.is_referenced() and (symbol.is_global() or top) and name not in bound:
                free.append(name)
        for child in scope.get_children():
            visit(child, False)

    visit(table, True)
    return list(dict.fromkeys(name for name in free if name not in _BUILTIN_NAMES))


def _builtins(names, output: list[str]) -> dict:
    """Python's builtins, with ``print`` writing to the case's output (a proxy prints as the kernel prints it)
    and ``__import__`` keeping the checker's own modules."""

    def print_(*values, sep=" ", end="\n", file=None, flush=False):
        output.append((sep if sep is not None else " ").join(_text(value, "str") for value in values) +
                      (end if end is not None else "\n"))

    def import_(name, globals=None, locals=None, fromlist=(), level=0):
        top = name.split(".")[0]
        if level == 0 and top not in sys.stdlib_module_names and top not in _trusted_names() and \
                hasattr(names, "request"):
            return names.request("import", name=top if not fromlist else name)
        return builtins.__import__(name, globals, locals, fromlist, level)

    def type_(*args, **kwargs):
        if len(args) == 1 and not kwargs and isinstance(args[0], Proxy):
            return StudentType(object.__getattribute__(args[0], "_type_name"))
        return builtins.type(*args, **kwargs)

    def isinstance_(value, kinds):
        if isinstance(value, Proxy):
            named = StudentType(object.__getattribute__(value, "_type_name"))
            return any(named == kind for kind in (kinds if isinstance(kinds, tuple) else (kinds,)))
        return isinstance(value, kinds)

    table = dict(builtins.__dict__)
    table.update(print=print_, __import__=import_, type=type_, isinstance=isinstance_)
    return table


class StudentType:
    """``type()`` of a proxy in a doctest: the class of the student's object, by its qualified name. It equals a
    class of the checker's own with that name (``type(df) == pd.DataFrame``), and prints as the class would."""

    def __init__(self, name: str):
        self.name = name

    def __eq__(self, other) -> bool:
        if isinstance(other, StudentType):
            return other.name == self.name
        return isinstance(other, type) and f"{other.__module__}.{other.__qualname__}" == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"<class '{self.name}'>"


def _trusted_names() -> frozenset[str]:
    from autograder.checker import TRUSTED_MODULE_NAMES

    return TRUSTED_MODULE_NAMES | {"autograder"}


def _text(value: Any, kind: str) -> str:
    if isinstance(value, Proxy):
        return value._autograder_text(kind)
    return repr(value) if kind == "repr" else str(value)


def _flags(example: doctest.Example) -> int:
    flags = 0
    for flag, on in example.options.items():
        flags = flags | flag if on else flags & ~flag
    return flags


def _compare_exception(example: doctest.Example, error: Exception, got: str) -> None:
    """An example raised: fine when the case expects that exception (doctest's rules), else a failure."""
    if isinstance(error, StudentCodeError):
        message = f"{error.remote_type}: {error.args[0] if error.args else ''}\n"
    else:
        message = "".join(traceback.format_exception_only(type(error), error))[-2000:]
    if example.exc_msg is not None:
        flags = _flags(example)
        if _CHECKER.check_output(example.exc_msg, message, flags):
            return
        if flags & doctest.IGNORE_EXCEPTION_DETAIL and message.split(":")[0] == example.exc_msg.split(":")[0]:
            return
    raise AssertionError(_report(example, f"{got}Exception raised:\n{textwrap.indent(message, '    ')}"))


def _report(example: doctest.Example, detail: str) -> str:
    return f"Failed example:\n{textwrap.indent(example.source, '    ')}{detail}"
