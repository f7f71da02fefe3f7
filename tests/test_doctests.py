"""OK-format (doctest) tests run in the trusted checker against a real kernel, as Otter would score them."""

import pandas  # noqa: F401 - the checker trusts the pandas it has imported itself
import pytest

from autograder.checker import _trust_imported_modules, run_question
from autograder.testfile import parse_ok_test, parse_test_file


def ok_test(*cases, points=None, all_or_nothing=False):
    spec = {"name": "q1", "points": points, "all_or_nothing": all_or_nothing,
            "suites": [{"cases": [{"code": code, "hidden": hidden} for code, hidden in cases],
                        "scored": True, "setup": "", "teardown": "", "type": "doctest"}]}
    return parse_ok_test(spec, "q1.py")


def outcomes(result):
    return [(t.passed, t.message) for t in result.tests]


def test_doctests_compare_printed_output_like_otter(kernel_bridge):
    bridge, run = kernel_bridge
    run("import numpy as np\nimport pandas as pd\nx = 3\nsquare = lambda v: v * v\n"
        "def fib():\n    a, b = 0, 1\n    while True:\n        yield a\n        a, b = b, a + b\n"
        "data = pd.DataFrame({'flavor': ['a', 'b', 'a']})\nz = np.arange(3)")
    _trust_imported_modules()
    test = ok_test((">>> x\n3", False), (">>> square(16)\n256", False),
                   (">>> def identity(x: int) -> int:\n...     return x\n>>> identity(x)\n3", True),
                   (">>> str(print(x))\n3\n'None'", True),
                   (">>> f = fib()\n>>> [next(f) for _ in range(5)]\n[0, 1, 1, 2, 3]", True),
                   (">>> type(data) == pd.DataFrame\nTrue\n>>> isinstance(data, pd.DataFrame)\nTrue", True),
                   (">>> len(data['flavor'].unique())\n2\n>>> data.shape\n(3, 1)", True),
                   (">>> data\n  flavor\n0      a\n1      b\n2      a", True),
                   (">>> np.allclose(z, [0, 1, 2])\nTrue", True),
                   (">>> square('a')\nTraceback (most recent call last):\n...\nTypeError: can't multiply sequence "
                    "by non-int of type 'str'", True))
    result = run_question(test, bridge)
    assert [passed for passed, _ in outcomes(result)] == [True] * 10, outcomes(result)
    assert result.points == result.max_points == pytest.approx(1.0)  # Otter's rule: unspecified points share 1


def test_a_wrong_answer_fails_with_doctests_report(kernel_bridge):
    bridge, run = kernel_bridge
    run("square = lambda v: v * v + 1")
    result = run_question(ok_test((">>> square(16)\n256", False), (">>> undefined_name\n1", True),
                                  points=[2, 1]), bridge)
    (first, message), (second, missing) = outcomes(result)
    assert not first and "Expected:\n    256\nGot:\n    257" in message
    assert not second and "undefined_name" in missing and "define it" in missing
    assert result.points == 0 and result.max_points == 3


def test_objects_that_lie_about_equality_do_not_pass(kernel_bridge):
    """Comparisons run in the checker: a proxy equals only itself, whatever its __eq__ says in the kernel."""
    bridge, run = kernel_bridge
    run("class Liar:\n    def __eq__(self, other):\n        return True\n    def __bool__(self):\n        return True\n"
        "x = Liar()")
    result = run_question(ok_test((">>> x == 2\nTrue", False), (">>> bool(x == [1])\nTrue", False)), bridge)
    assert [passed for passed, _ in outcomes(result)] == [False, False]


def test_a_students_own_module_is_imported_in_the_kernel_never_in_the_checker(kernel_bridge, tmp_path):
    bridge, run = kernel_bridge
    run("import sys, pathlib\npathlib.Path('student_helper_xyz.py').write_text('FOO = 1\\n')\n"
        "sys.path.insert(0, '.')")
    result = run_question(ok_test((">>> import student_helper_xyz\n>>> student_helper_xyz.FOO == 1\nTrue", False)),
                          bridge)
    assert outcomes(result) == [(True, "")]
    import sys

    assert "student_helper_xyz" not in sys.modules


def test_all_or_nothing_and_point_lists_follow_otter():
    test = ok_test((">>> 1\n1", False), (">>> 2\n2", True), points=[1, 3], all_or_nothing=True)
    assert [case.points for case in test.cases] == [1, 3] and test.all_or_nothing
    assert [case.hidden for case in test.cases] == [False, True]
    again = parse_test_file("OK_FORMAT = True\n\ntest = {'name': 'q1', 'points': 2, 'suites': [{'cases': [\n"
                            "    {'code': '>>> 1\\n1'}], 'type': 'doctest'}]}\n")  # as Otter writes tests/q1.py
    assert again.name == "q1" and again.cases[0].hidden and again.max_points == 2  # hidden unless said otherwise
