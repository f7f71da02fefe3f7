"""Grading one submission end to end on the tiny "mini" assignment: scores, timing, faults, cheats."""

import json

import pytest

from autograder.grading import GradingOptions, grade_submission
from autograder.results import SubmissionResult
from tests.conftest import MINI_GOOD, as_submission, mini_notebook

WRONG = {"def double": "def double(x):\n    return x + x + 1",
         "def draw": "def draw(rng):\n    return 3\n\ndef safe_log(x):\n    return np.log(x)"}


def grade(mini, notebook, **options):
    assignment, manifest = mini
    return grade_submission(assignment, manifest, as_submission(notebook), GradingOptions(**options))


def points(result):
    return {q.name: q.points for q in result.questions}


def test_the_reference_answers_get_full_marks(mini, mini_course):
    result = grade(mini, mini_notebook(mini_course))
    assert result.status == "ok", result.message
    assert points(result) == {"q1": 2, "q2": 2} and result.max_total == 4


def test_wrong_answers_lose_their_points_with_messages_for_the_student(mini, mini_course):
    result = grade(mini, mini_notebook(mini_course, WRONG))
    assert points(result) == {"q1": 0, "q2": 0}
    messages = [t.message for q in result.questions for t in q.tests]
    assert "safe_log(0) should raise ValueError" in messages
    assert all("def test_" not in m and "assert " not in m for m in messages)  # never the test's code


def test_tests_run_right_after_their_question_before_later_cells_rebind_names(mini, mini_course):
    notebook = mini_notebook(mini_course)
    notebook.cells.append(notebook.cells[0].__class__(cell_type="code", source="def double(x):\n    return 0",
                                                      metadata={}, outputs=[], execution_count=None))
    assert points(grade(mini, notebook))["q1"] == 2


def test_an_answer_defined_in_a_later_cell_is_still_found(mini, mini_course):
    answers = dict(MINI_GOOD, **{"def double": "# moved to the end of the notebook"})
    notebook = mini_notebook(mini_course, answers, extra_cells=[(10**6, MINI_GOOD["def double"])])
    assert points(grade(mini, notebook)) == {"q1": 2, "q2": 2}


def test_a_cell_that_raises_keeps_earlier_points_and_later_questions_are_graded(mini, mini_course):
    answers = dict(MINI_GOOD, **{"def double": MINI_GOOD["def double"] + "\nprint(undefined_name)"})
    result = grade(mini, mini_notebook(mini_course, answers))
    assert result.status == "error" and "NameError" in result.message and "(q1)" in result.message
    assert points(result) == {"q1": 2, "q2": 2}


def test_a_cell_that_loops_forever_times_out_naming_cell_and_question(mini, mini_course):
    answers = dict(MINI_GOOD, **{"def draw": MINI_GOOD["def draw"] + "\nwhile True:\n    pass"})
    result = grade(mini, mini_notebook(mini_course, answers), cell_timeout_s=3)
    assert result.status == "timeout" and "(q2)" in result.message and "cell" in result.message
    assert points(result) == {"q1": 2, "q2": 2}


def test_a_notebook_that_is_not_json_is_invalid_with_zero_points(mini):
    assignment, manifest = mini
    from autograder.ingest import Submission

    result = grade_submission(assignment, manifest, Submission("x", "x.ipynb", b"{\"cells\": [tru"))
    assert result.status == "invalid-notebook" and "not valid JSON" in result.message
    assert points(result) == {"q1": 0, "q2": 0}


def test_grading_three_times_gives_identical_results(mini, mini_course):
    notebook = mini_notebook(mini_course, dict(MINI_GOOD, **{"def double": "def double(x):\n"
                                                             "    return 2 * np.asarray(x) + np.random.rand()"}))
    first, *others = [grade(mini, notebook).to_json() | {"seconds": 0, "profile": {}} for _ in range(3)]
    assert all(other == first for other in others)


CHEATS = {
    "patch numpy": "import numpy\nnumpy.allclose = numpy.isclose = lambda *a, **k: True\n"
                   "numpy.array_equal = lambda *a, **k: True",
    "patch Otter's runner": "import otter.test_files.exception_test as et\n"
                            "et.ExceptionTestFile.run = lambda self, env: None\n"
                            "et.test_case.call_func = lambda self, env: None",
    "patch AssertionError": "import builtins\nbuiltins.AssertionError = type('Never', (Exception,), {})",
    "fake result files": "import pathlib\nfor folder in [pathlib.Path.cwd(), pathlib.Path('/tmp')]:\n"
                         "    (folder / 'results.json').write_text('{\"total\": 100}')",
}


@pytest.mark.parametrize("cheat", CHEATS)
@pytest.mark.parametrize("sandbox", ["bubblewrap", "none"])
def test_cheats_earn_nothing_beyond_the_real_answers(mini, mini_course, cheat, sandbox):
    notebook = mini_notebook(mini_course, WRONG, extra_cells=[(2, CHEATS[cheat])])
    result = grade(mini, notebook, sandbox=sandbox)
    assert points(result) == {"q1": 0, "q2": 0}, result.message


def test_the_sandbox_hides_hidden_tests_and_solutions_from_the_kernel(mini, mini_course):
    search = (
        "import os\nfound = []\n"
        "for top in ['/tmp', '/work', '/root', os.path.expanduser('~'), " + repr(str(mini_course)) + "]:\n"
        "    for folder, dirs, files in os.walk(top):\n"
        "        dirs[:] = [d for d in dirs if d not in ('site-packages', '.pyenv', '.cache', '.git', 'lib')]\n"
        "        for name in files:\n"
        "            try:\n"
        "                text = open(os.path.join(folder, name), errors='ignore').read(200000)\n"
        "                if 'test_double' + '_array' in text:\n"
        "                    found.append(os.path.join(folder, name))\n"
        "            except OSError:\n"
        "                pass\n"
        "def double(x):\n"
        "    return ['found the tests'] if found else 2 * np.asarray(x)\n"
    )
    notebook = mini_notebook(mini_course, dict(MINI_GOOD, **{"def double": search}))
    result = grade(mini, notebook, sandbox="bubblewrap")
    assert points(result)["q1"] == 2, result.questions[0]


def test_each_result_records_where_its_seconds_went(mini, mini_course):
    """The profile: every cell (wall and own seconds), every question's tests (round trips, bytes, seconds in the
    kernel and in the checker), the notebook's imports done ahead (a cold kernel's count as work, since the cells
    would pay them), and an overhead that is the rest of the submission's time."""
    notebook = mini_notebook(mini_course)
    result = grade(mini, notebook)
    profile = result.profile
    assert [number for number, _, _ in profile["cells"]] == [
        index + 1 for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    assert set(profile["questions"]) == {"q1", "q2"}
    for question in profile["questions"].values():
        assert question["round_trips"] > 0 and question["bytes"] > 0
        assert question["s"] >= question["kernel_s"] >= question["kernel_own_s"] - 0.01 >= -0.01
    assert profile["total_s"] == pytest.approx(result.seconds, abs=0.01)
    assert 0 < profile["kernel_imports_s"] < profile["kernel_setup_s"]  # numpy, which the notebook imports
    assert profile["imports_waited_s"] == profile["kernel_imports_s"]  # a cold kernel: all of it was waited for
    work = (profile["cells_own_s"] + profile["imports_waited_s"] + profile["tests_kernel_own_s"]
            + profile["tests_checker_s"])
    assert profile["overhead_s"] == pytest.approx(profile["total_s"] - work, abs=0.01)
    assert profile["kernel_start_s"] > 0 and not profile["kernel_warm"]
    assert SubmissionResult.from_json(json.loads(json.dumps(result.to_json()))).profile == profile


def _priorities(pid: int) -> list[tuple[int, int]]:
    """(scheduling class, niceness) of each thread of ``pid`` and its descendants."""
    import os

    from autograder.processes import process_tree

    return [(os.sched_getscheduler(int(tid)), os.getpriority(os.PRIO_PROCESS, int(tid)))
            for process in process_tree(pid) for tid in os.listdir(f"/proc/{process}/task")]


def test_a_warm_kernel_is_prepared_at_idle_priority_and_grades_at_normal_priority(mini):
    """Warming the next kernel (its start and imports) only uses a core nobody else needs: as root, in the idle
    scheduling class, which a waking grading kernel preempts at once; every thread of the kernel it takes is
    normal again."""
    import os

    from autograder.kernel_pool import KernelBudget, WarmKernels
    from autograder.processes import IDLE_NICENESS

    assignment, manifest = mini
    root = os.geteuid() == 0
    kernels = WarmKernels(assignment, manifest, GradingOptions(sandbox="none"), KernelBudget(2))
    taken = kernels.take()
    try:
        assert set(_priorities(taken.kernel.process.pid)) == ({(os.SCHED_OTHER, 0)} if root else
                                                              {(os.SCHED_OTHER, IDLE_NICENESS)})
        assert taken.timings.get("niceness", 0) == (0 if root else IDLE_NICENESS)
        kernels._thread.join()
        warming = kernels._next
        threads = _priorities(warming.kernel.process.pid)
        assert len(threads) > 1  # ipykernel's own threads too, not only the one the pre-exec ran in
        assert set(threads) == {(os.SCHED_IDLE if root else os.SCHED_OTHER, IDLE_NICENESS)}
    finally:
        taken.close()
        kernels.close()


def test_a_kernel_wanted_before_it_is_ready_is_lifted_at_once():
    """A worker that takes its warm kernel while it is still starting must not wait for it behind the other
    worker's grading at idle priority: lifting before the process starts keeps it normal, and lifting while it
    runs raises every thread, those it started while idle included."""
    import os
    import subprocess
    import sys
    import time

    from autograder.kernel_pool import IdlePriority
    from autograder.sandbox import make_sandbox

    if os.geteuid() != 0:
        pytest.skip("raising a priority back needs root")
    code = "import threading, time; threading.Thread(target=time.sleep, args=(60,)).start(); time.sleep(60)"
    early, late = IdlePriority(), IdlePriority()
    early.lift()  # taken before its process exists
    processes = [subprocess.Popen([sys.executable, "-c", code], preexec_fn=priority.wrap(make_sandbox("none"), None))
                 for priority in (early, late)]
    try:
        for priority, process in zip((early, late), processes):
            priority.started(process.pid)
        deadline = time.monotonic() + 10
        while len(_priorities(processes[1].pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert set(_priorities(processes[0].pid)) == {(os.SCHED_OTHER, 0)}
        assert set(_priorities(processes[1].pid)) == {(os.SCHED_IDLE, 19)}
        late.lift()
        assert set(_priorities(processes[1].pid)) == {(os.SCHED_OTHER, 0)} and late.lifted
    finally:
        for process in processes:
            process.kill()
            process.wait()
