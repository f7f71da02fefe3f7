"""The adversarial and fault corpus: each notebook gets its expected status, no undeserved points,
the batch completes, and the machine is left as it was. Runs under the default sandbox (bubblewrap)."""

from __future__ import annotations

import json
import os
import socket
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograder.batch import grade_batch
from autograder.gradebook import student_file_name
from autograder.grading import GradingOptions
from autograder.ingest import Submission
from autograder.kernel_pool import WORKDIR_PREFIX
from tests.conftest import MINI_GOOD, lingering_sandbox_processes, mini_notebook

WRONG = {"def double": "def double(x):\n    return x + x + 1",
         "def draw": "def draw(rng):\n    return 3\n\ndef safe_log(x):\n    return np.log(x)"}
FULL, NONE, ONLY_Q1 = {"q1": 2, "q2": 2}, {"q1": 0, "q2": 0}, {"q1": 2, "q2": 0}


def cheating(cell: str) -> nbformat.NotebookNode:
    """Wrong answers plus a cheat; any point earned is undeserved."""
    return mini_notebook(COURSE[0], WRONG, extra_cells=[(2, cell)])


def faulty(cell: str) -> nbformat.NotebookNode:
    """Right answers, and a cell that does something bad right after q2's prompt (q1 is graded before it)."""
    notebook = mini_notebook(COURSE[0], MINI_GOOD)
    q2_prompt = next(i for i, c in enumerate(notebook.cells) if "**Question 2.**" in c.source)
    notebook.cells.insert(q2_prompt + 1, nbformat.v4.new_code_cell(cell))
    return notebook


COURSE: list[Path] = []
LISTENER: list[socket.socket] = []

CORPUS = {
    # name: (notebook maker, expected status, expected points, words in the message)
    "overwrite test files on disk": (lambda: cheating(
        "import glob\nfor path in glob.glob('/work/*/dist/**/*.py', recursive=True) + glob.glob('/tmp/**/*.py', "
        "recursive=True):\n    try:\n        open(path, 'w').write('name = \"q1\"\\npoints = 2\\n')\n"
        "    except OSError:\n        pass"), "ok", NONE, []),
    "patch numpy": (lambda: cheating("import numpy\nnumpy.allclose = numpy.isclose = lambda *a, **k: True"),
                    "ok", NONE, []),
    "patch Otter": (lambda: cheating("import otter.test_files.exception_test as et\n"
                                     "et.test_case.call_func = lambda self, env: None"), "ok", NONE, []),
    "patch builtins and exception types": (lambda: cheating(
        "import builtins\nbuiltins.AssertionError = type('Never', (Exception,), {})\n"
        "builtins.ValueError = Exception"), "ok", NONE, []),
    "objects whose __eq__ and array methods lie": (lambda: mini_notebook(COURSE[0], {
        "def double": "class Liar:\n    def __eq__(self, other):\n        return True\n"
                      "    def __array__(self, dtype=None, copy=None):\n        return np.zeros(1)\n"
                      "    def __float__(self):\n        return 6.0\n"
                      "def double(x):\n    return Liar()",
        "def draw": WRONG["def draw"]}), "ok", {"q1": 0, "q2": 0}, []),
    "fake result files": (lambda: cheating(
        "import os\nfor folder in ['.', '/tmp', os.path.expanduser('~')]:\n"
        "    open(os.path.join(folder, 'results.json'), 'w').write('{\"total\": 100}')"), "ok", NONE, []),
    "os._exit": (lambda: faulty("import os\nos._exit(3)"), "kernel-died", ONLY_Q1, ["cell"]),
    "kill the parent": (lambda: faulty("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"),
                        "error", FULL, ["PermissionError"]),
    "kill the process group": (lambda: faulty("import os, signal\nos.killpg(0, signal.SIGKILL)"),
                               "kernel-died", ONLY_Q1, []),
    "connect to a TCP listener": (lambda: faulty(
        f"import socket\nsocket.create_connection(('127.0.0.1', {LISTENER[0].getsockname()[1]}), timeout=3)"
        ".sendall(b'stolen')"), "error", FULL, ["ConnectionRefusedError"]),
    "fork many processes": (lambda: faulty(
        "import os, time\nfor _ in range(5000):\n    if os.fork() == 0:\n        time.sleep(600)\n"
        "        os._exit(0)"), "error", FULL, ["BlockingIOError"]),
    "allocate 6 GB": (lambda: faulty("import numpy\nhog = numpy.ones(6 * 1024**3 // 8)"),
                      "memory-limit", FULL, ["out of memory"]),
    "print 200 MB": (lambda: faulty("import sys\nfor _ in range(200):\n    sys.stdout.write('x' * 1_000_000)"),
                     "output-limit", FULL, ["printed more than"]),
    "write a 2 GB file": (lambda: faulty(
        "chunk = b'x' * 2**24\nwith open('big.bin', 'wb') as f:\n    for _ in range(128):\n        f.write(chunk)"),
        "error", FULL, ["File too large"]),
    "input()": (lambda: faulty("name = input('your name? ')"), "error", FULL, ["StdinNotImplementedError"]),
    "sleep forever": (lambda: faulty("import time\ntime.sleep(10**9)"), "timeout", FULL, ["did not finish"]),
    "busy loop in a background thread": (lambda: faulty(
        "import threading\ndef spin():\n    while True:\n        pass\n"
        "threading.Thread(target=spin, daemon=True).start()"), "ok", FULL, []),
    "invalid JSON": (lambda: b'{"cells": [', "invalid-notebook", NONE, ["not valid JSON"]),
    "JSON that is not a notebook": (lambda: b'{"name": "alice", "answers": [1, 2]}', "invalid-notebook", NONE,
                                    ["not a Jupyter notebook"]),
    "unreadable bytes": (lambda: b"\xff\xfe\x00\x81 binary", "invalid-notebook", NONE, ["not UTF-8"]),
    "empty notebook": (lambda: nbformat.v4.new_notebook(), "ok", NONE, ["no code cells"]),
    "nbformat 3 notebook": (lambda: nbformat.v3.nbjson.writes(nbformat.convert(mini_notebook(COURSE[0]), 3)),
                            "ok", FULL, []),
    "50 MB notebook of stale outputs": (lambda: _with_stale_outputs(mini_notebook(COURSE[0])), "ok", FULL, []),
    "foreign kernelspec": (lambda: _foreign_kernel(mini_notebook(COURSE[0])), "ok", FULL, []),
}


def _with_stale_outputs(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="stale " * 1_000_000)]
    return notebook


def _foreign_kernel(notebook):
    notebook.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    return notebook


def _bytes(made) -> bytes:
    if isinstance(made, bytes):
        return made
    if isinstance(made, str):
        return made.encode()
    return nbformat.writes(made).encode()


@pytest.fixture(scope="module")
def graded(mini_course, tmp_path_factory):
    COURSE.append(mini_course)
    (Path(tempfile.gettempdir()) / "results.json").unlink(missing_ok=True)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    LISTENER.append(listener)
    from autograder.course import find_assignment

    submissions = [Submission(name, f"{name}.ipynb", _bytes(maker())) for name, (maker, *_) in CORPUS.items()]
    out = tmp_path_factory.mktemp("corpus")
    options = GradingOptions(cell_timeout_s=5, notebook_timeout_s=120)
    results = grade_batch(find_assignment("mini", mini_course), submissions, out, options)
    yield {r.student: r for r in results}, out, listener
    listener.close()


@pytest.mark.parametrize("name", CORPUS)
def test_each_case_gets_its_status_and_no_undeserved_points(graded, name):
    results, _, _ = graded
    _, status, points, words = CORPUS[name]
    result = results[name]
    assert result.status == status, result.message
    assert {q.name: q.points for q in result.questions} == points, result.message
    for word in words:
        assert word in result.message, result.message


def test_the_batch_completes_with_every_case_in_the_gradebook(graded):
    results, out, _ = graded
    assert len(results) == len(CORPUS)
    assert len((out / "gradebook.csv").read_text().strip().splitlines()) == len(CORPUS) + 1
    assert json.loads((out / "results" / f"{student_file_name('patch numpy')}.json").read_text())["total"] == 0


def test_the_tcp_listener_received_nothing(graded):
    _, _, listener = graded
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_the_machine_is_left_as_it_was(graded):
    assert lingering_sandbox_processes() == [], "processes of graded notebooks outlived the batch"
    mine = f"{WORKDIR_PREFIX}{os.getpid()}-*"  # kernel folders carry the grader's pid
    assert not list(Path(tempfile.gettempdir()).glob(mine)), "kernel folders were left behind"
    assert not (Path(tempfile.gettempdir()) / "results.json").exists(), "a notebook wrote to the real /tmp"
