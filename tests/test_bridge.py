"""The bridge against a live kernel: values, handles, exceptions, generators, batching, timeouts."""

import importlib.abc
import importlib.util
import sys

import numpy as np
import pytest

from autograder.bridge import BridgeError, BridgeTimeout, MissingName, Proxy, StudentCodeError
from autograder.bridge.proxy import type_name
from autograder.testing import call_many


def test_plain_globals_arrive_as_values_and_functions_as_proxies(kernel_bridge):
    bridge, run = kernel_bridge
    run("import numpy as np\nN = 16\nW = np.eye(2)\nnames = {'a': (1, 2.5)}\ndef f(x):\n    return x + 1")
    assert bridge.global_value("N") == 16
    assert np.array_equal(bridge.global_value("W"), np.eye(2))
    assert bridge.global_value("names") == {"a": (1, 2.5)}
    f = bridge.global_value("f")
    assert isinstance(f, Proxy) and type_name(f) == "builtins.function"
    assert f(41) == 42
    assert np.array_equal(f(np.arange(3)), np.arange(1, 4))


def test_module_globals_are_the_checkers_own_modules_by_exact_name_else_handles(kernel_bridge):
    bridge, run = kernel_bridge
    run("import numpy as np\nimport os\nimport numpy.linalg as la")
    assert bridge.global_value("np", {"numpy": np}) is np
    for name in ("os", "la"):
        module = bridge.global_value(name, {"numpy": np})
        assert isinstance(module, Proxy) and type_name(module) == "builtins.module", name
    assert bridge.global_value("os", {"numpy": np}).getcwd() == bridge.global_value("os").getcwd()  # the kernel's
    assert isinstance(bridge.global_value("np"), Proxy)  # the checker passes its table; without one, a handle


PROBE = "numpy.grader_probe"


class ExitingModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Modules named numpy.grader_probe... that call sys.exit() when imported (as numpy.f2py.__main__ does)."""

    def __init__(self):
        self.imported = []

    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_loader(name, self) if name.startswith(PROBE) else None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        self.imported.append(module.__name__)
        sys.exit(f"{module.__name__} ends the process that imports it")


def test_a_module_the_kernel_names_is_never_imported_by_the_checker(kernel_bridge):
    bridge, run = kernel_bridge
    run(f"import types\nprobe = types.ModuleType({PROBE!r})")
    watch = ExitingModules()
    sys.meta_path.insert(0, watch)
    try:
        probe = bridge.global_value("probe", {"numpy": np})
    finally:
        sys.meta_path.remove(watch)
    assert isinstance(probe, Proxy) and watch.imported == []
    assert not any(name.startswith(PROBE) for name in sys.modules)


def test_objects_are_handles_with_attributes_items_and_length(kernel_bridge):
    bridge, run = kernel_bridge
    run("class Model:\n    output_shape = (None, 16)\n    layers = ['a', 'b']\n"
        "    def predict(self, x):\n        return x * 2\n    def __len__(self):\n        return 3\n"
        "    def __getitem__(self, i):\n        return i * 10\nmodel = Model()")
    model = bridge.global_value("model")
    assert type_name(model) == "__main__.Model"
    assert model.output_shape == (None, 16)
    assert model.layers == ["a", "b"]
    assert np.array_equal(model.predict(np.ones(2)), [2.0, 2.0])
    assert len(model) == 3 and model[2] == 20 and list(model) == [0, 10, 20]
    with pytest.raises(AttributeError):
        model.weights_are = 1


def test_handles_can_be_passed_back_as_arguments(kernel_bridge):
    bridge, run = kernel_bridge
    run("class Box:\n    def __init__(self, v):\n        self.v = v\ndef make(v):\n    return Box(v)\n"
        "def unbox(b):\n    return b.v")
    box = bridge.global_value("make")(7)
    assert isinstance(box, Proxy) and bridge.global_value("unbox")(box) == 7


def test_student_exceptions_are_catchable_as_the_builtin_type(kernel_bridge):
    bridge, run = kernel_bridge
    run("def f(t):\n    if t <= 0:\n        raise ValueError('temperature must be positive')\n    return t\n"
        "class MyError(KeyError):\n    pass\ndef g():\n    raise MyError('custom')")
    with pytest.raises(ValueError, match="temperature must be positive") as caught:
        bridge.global_value("f")(0)
    assert isinstance(caught.value, StudentCodeError)
    with pytest.raises(KeyError):
        bridge.global_value("g")()


def test_a_student_assertion_error_is_not_an_assertion_error_of_the_test(kernel_bridge):
    bridge, run = kernel_bridge
    run("def f():\n    assert False, 'student assert'")
    with pytest.raises(StudentCodeError) as caught:
        bridge.global_value("f")()
    assert not isinstance(caught.value, AssertionError)


def test_missing_names_are_reported_by_name(kernel_bridge):
    bridge, _ = kernel_bridge
    with pytest.raises(MissingName, match="`nowhere` is not defined"):
        bridge.global_value("nowhere")


def test_generator_arguments_stay_in_sync_with_the_kernels_copy(kernel_bridge):
    bridge, run = kernel_bridge
    run("def draw(rng):\n    return int(rng.integers(1000))")
    draw = bridge.global_value("draw")
    rng, twin = np.random.default_rng(11), np.random.default_rng(11)
    assert [draw(rng) for _ in range(3)] == [int(twin.integers(1000)) for _ in range(3)]
    assert rng.random() == twin.random()


def test_call_many_runs_the_loop_in_the_kernel(kernel_bridge):
    bridge, run = kernel_bridge
    run("def draw(rng):\n    return int(rng.integers(5))")
    draw = bridge.global_value("draw")
    rng, twin = np.random.default_rng(3), np.random.default_rng(3)
    draws = call_many(draw, 20000, rng)
    assert draws == [int(twin.integers(5)) for _ in range(20000)]
    assert rng.random() == twin.random()


def test_tensors_and_array_likes_arrive_as_arrays(kernel_bridge):
    bridge, run = kernel_bridge
    run("class ArrayLike:\n    def __array__(self, dtype=None, copy=None):\n        import numpy\n"
        "        return numpy.arange(4)\nthing = ArrayLike()")
    assert np.array_equal(np.asarray(bridge.global_value("thing")), np.arange(4))


def test_a_call_that_never_returns_times_out_and_the_kernel_survives(kernel_bridge):
    bridge, run = kernel_bridge
    run("def spin():\n    while True:\n        pass\ndef ok():\n    return 'alive'")
    bridge.call_timeout = 1
    with pytest.raises(BridgeTimeout):
        bridge.global_value("spin")()
    assert bridge.global_value("ok")() == "alive"


def test_a_notebook_that_breaks_the_agent_gets_a_bridge_error_not_a_crash(kernel_bridge):
    bridge, run = kernel_bridge
    run("import sys\ndef f():\n    return 1\nsys.modules['_autograder_agent'] = None")
    with pytest.raises(BridgeError, match="did not answer"):
        bridge.global_value("f")


def test_a_lying_agent_can_only_return_data(kernel_bridge):
    """Even a replaced agent answers with data only: a fake pickle payload is refused, not loaded."""
    bridge, run = kernel_bridge
    run("import _autograder_agent as a, json\n"
        "def fake(text):\n"
        "    req = json.loads(text)\n"
        "    a._publish({a.MIME: json.dumps({'id': req['id'], 'ok': True, 'value': {'t': 'pickle', 'v': 'gASV'}})})\n"
        "a.dispatch = fake")
    with pytest.raises(BridgeError, match="malformed"):
        bridge.global_value("anything")


def test_the_graders_calls_do_not_run_the_students_cell_hooks(kernel_bridge):
    """A notebook that registers IPython cell hooks (here one that moves the answer after every cell run) cannot
    make the grader's calls change its state: they run silently, without pre/post_run_cell hooks or an echo."""
    bridge, run = kernel_bridge
    run("answer = 3\nruns = []\n"
        "def moved(*_):\n    global answer\n    runs.append(1)\n    answer += 1\n"
        "get_ipython().events.register('pre_run_cell', moved)\n"
        "get_ipython().events.register('post_run_cell', moved)\n")
    first = bridge.global_value("answer")
    assert [bridge.global_value("answer") for _ in range(3)] == [first] * 3
    assert bridge.global_value("runs") == [1]  # only the hook's own cell's post_run_cell
