"""What every kernel gets before the first cell: seeds (Keras included), determinism, an output cap."""

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from autograder.bridge import Bridge
from autograder.kernel import KernelSession
from autograder.kernel_setup import setup_code
from autograder.sandbox import KernelPlace, make_sandbox

TRAIN = """
import numpy as np
import keras
x = np.random.rand(128, 8).astype("float32")
y = (x.sum(axis=1, keepdims=True) > 4).astype("float32")
model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dropout(0.2), keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy")
history = model.fit(x, y, epochs=3, batch_size=16, shuffle=True, verbose=0)
losses = [float(v) for v in history.history["loss"]]
weights = [w.numpy() for w in model.weights]
"""


def run_in_fresh_kernel(code: str, output_limit: int = 1_000_000, seed: int = 7):
    """Run ``code`` in a new sandboxed kernel set up as for grading; the kernel stops after the test."""
    tmp = Path(tempfile.mkdtemp(prefix="ag-test-"))
    place = KernelPlace(tmp / "work", tmp / "conn")
    place.work.mkdir()
    place.connection.mkdir()
    sandbox = make_sandbox("bubblewrap")
    kernel = KernelSession(lambda argv: sandbox.command(argv, place), place.work, place.connection,
                           sandbox.environment(place), preexec=sandbox.preexec(),
                           prepare=lambda: sandbox.prepare(place))
    kernel.limits.output_bytes_per_cell = output_limit
    RUNNING.append((kernel, tmp))
    kernel.start()
    bridge = Bridge(kernel, call_timeout=120)
    for setup in (bridge.install_code(), setup_code(seed, output_limit)):
        assert kernel.execute(setup, 60, store_history=False).status == "ok"
    return kernel.execute(code, 300), bridge


RUNNING: list = []


@pytest.fixture(autouse=True)
def stop_kernels():
    yield
    while RUNNING:
        kernel, tmp = RUNNING.pop()
        kernel.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


def test_keras_training_is_identical_in_three_fresh_kernels():
    outcomes = []
    for _ in range(3):
        run, bridge = run_in_fresh_kernel(TRAIN)
        assert run.status == "ok", run.traceback
        outcomes.append((bridge.global_value("losses"), bridge.global_value("weights")))
    first_losses, first_weights = outcomes[0]
    for losses, weights in outcomes[1:]:
        assert losses == first_losses
        assert all(np.array_equal(a, b) for a, b in zip(weights, first_weights))


def test_numpy_and_python_generators_are_seeded_by_the_seed():
    code = "import random, numpy\nvalues = [random.random(), float(numpy.random.rand())]"
    first = run_in_fresh_kernel(code, seed=1)[1].global_value("values")
    again = run_in_fresh_kernel(code, seed=1)[1].global_value("values")
    other = run_in_fresh_kernel(code, seed=2)[1].global_value("values")
    assert first == again and first != other


def test_a_cells_output_is_cut_at_the_limit_and_the_next_cell_starts_afresh():
    run, bridge = run_in_fresh_kernel("print('x' * 5000)", output_limit=1000)
    assert run.output_truncated and run.output_bytes < 2000
    again = bridge.kernel.execute("print('short')", 30)
    assert not again.output_truncated
