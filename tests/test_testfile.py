"""Our reader of Otter's exception-based test files agrees with Otter's own on names and points."""

from pathlib import Path

import pytest
from otter.test_files.exception_test import ExceptionTestFile

from autograder.testfile import TestFileError, parse_test_file, read_test_file

ROOT = Path(__file__).resolve().parent.parent


def built_test_files(mini_course):
    return sorted((mini_course / "dist").glob("*/tests/*.py")) + sorted((ROOT / "dist").glob("*/tests/*.py"))


def test_points_and_hidden_flags_match_otter(mini_course):
    files = built_test_files(mini_course)
    assert files
    for path in files:
        ours, otters = read_test_file(path), ExceptionTestFile.from_file(str(path))
        assert ours.name == otters.name
        assert [(c.points, c.hidden) for c in ours.cases] == [(c.points, c.hidden) for c in otters.test_cases]
        assert [c.name for c in ours.cases] == [c.body.test_func.__name__ for c in otters.test_cases]


@pytest.mark.parametrize("header, cases, expected", [
    ("points = 2", ["points=None", "points=None"], [1.0, 1.0]),
    ("points = 2", ["points=0.5", "points=None"], [0.5, 1.5]),
    ("points = [1, 3]", ["points=None", "points=None"], [1.0, 3.0]),
    ("", ["points=None", "points=None"], [0.5, 0.5]),
    ("", ["points=2", "points=None"], [2.0, 0.0]),
])
def test_point_resolution_follows_otters_rules(header, cases, expected):
    source = "from otter.test_files import test_case\nname = 'q'\n" + header + "\n" + "".join(
        f"@test_case({spec})\ndef test_{i}():\n    pass\n" for i, spec in enumerate(cases))
    assert [c.points for c in parse_test_file(source).cases] == expected
    assert [c.points for c in ExceptionTestFile.from_string(source).test_cases] == expected


@pytest.mark.parametrize("source, complaint", [
    ("def broken(:\n", "not valid Python"),
    ("x = 1\n", "does not define `name`"),
    ("name = 'q'\npoints = 1\n@test_case(points=3)\ndef test_a():\n    pass\n", "give 3 points"),
    ("name = 'q'\nraise RuntimeError('boom')\n", "boom"),
])
def test_malformed_test_files_are_named_in_a_clear_error(source, complaint):
    with pytest.raises(TestFileError, match=complaint):
        parse_test_file(source, "q9.py")
