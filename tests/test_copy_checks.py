"""Copies and shortcuts (autograder/checks/copies.py): outputs that are data-set images, and "models" whose
outputs do not come from their input and their weights. A hostile student's tricks each meet a check."""

import numpy as np
import pytest

from autograder.checks import CheckFailed, check_made_by_model, check_not_copies
from autograder.checks.copies import COPY_DISTANCE, copy_verdict, model_dependence, nearest_distances

RNG = np.random.default_rng(0)
TRAINING = RNG.uniform(0.0, 1.0, size=(400, 64))


def test_nearest_distances_are_the_mean_squared_difference_to_the_closest_image():
    outputs = RNG.uniform(0.0, 1.0, size=(30, 8, 8))
    brute = np.array([np.min(np.mean((TRAINING - o.ravel()) ** 2, axis=1)) for o in outputs])
    assert np.allclose(nearest_distances(outputs, TRAINING, chunk=7), brute)
    exact = nearest_distances(TRAINING[:5], TRAINING)
    assert np.all(exact >= 0.0) and np.all(exact < 1e-12)  # never negative from rounding
    with pytest.raises(CheckFailed, match="64 values each, but the training images 32"):
        nearest_distances(TRAINING[:3], TRAINING[:, :32])
    with pytest.raises(CheckFailed, match="not all finite"):
        nearest_distances(np.full((2, 64), np.nan), TRAINING)


def test_copies_fail_and_say_how_many_while_a_models_own_outputs_pass():
    copies = TRAINING[RNG.integers(0, 400, size=100)]
    with pytest.raises(CheckFailed, match=r"100 of 100 samples \(100%\) are copies of the digits"):
        check_not_copies(copies, TRAINING, "samples", "the digits")
    # a copy with a little noise (a tenth of a grey level) is still a copy
    with pytest.raises(CheckFailed, match="are copies"):
        check_not_copies(np.clip(copies + 0.006 * RNG.normal(size=copies.shape), 0, 1), TRAINING, "samples", "x")
    # blurred outputs, as a trained model makes them, are its own
    blurred = 0.8 * copies + 0.2 * TRAINING.mean(axis=0)
    assert copy_verdict(blurred, TRAINING).copies == 0
    check_not_copies(blurred, TRAINING, "samples", "the digits")
    # a handful of copies among many own outputs is allowed; a tenth is not
    few = np.concatenate([blurred[:97], copies[:3]])
    check_not_copies(few, TRAINING, "samples", "the digits")
    with pytest.raises(CheckFailed, match="10 of 100"):
        check_not_copies(np.concatenate([blurred[:90], copies[:10]]), TRAINING, "samples", "the digits")
    assert COPY_DISTANCE < 0.01  # far below what a trained model reaches (rubrics/autoencoder.yml)


class Linear:
    """A small model with weights, standing in for a Keras model (or a proxy of one)."""

    def __init__(self, inputs=4, outputs=3, seed=1):
        rng = np.random.default_rng(seed)
        self.w, self.b = rng.normal(size=(inputs, outputs)), rng.normal(size=outputs)

    def get_weights(self):
        return [self.w.copy(), self.b.copy()]

    def set_weights(self, values):
        self.w, self.b = (np.array(v, dtype=float) for v in values)

    def predict_on_batch(self, z):
        return np.tanh(np.asarray(z) @ self.w + self.b)


Z = np.random.default_rng(3).normal(size=(64, 4)).astype("float32")


def test_a_model_computing_from_its_input_and_weights_passes_and_keeps_its_weights():
    model = Linear()
    before = model.get_weights()
    check_made_by_model(model, Z, "the generator", "latent vectors")
    assert all(np.array_equal(a, b.astype("float32")) for a, b in zip(model.get_weights(), before))
    dependence = model_dependence(model, Z)
    assert dependence.weight_effect > 0.5 and dependence.repeat_gap == 0 and dependence.restore_gap < 1e-6


class NumpySampler(Linear):
    """Hides a numpy sampler behind predict_on_batch: a new draw on each call, whatever the input."""

    def __init__(self):
        super().__init__()
        self.rng = np.random.default_rng(0)

    def predict_on_batch(self, z):
        return self.rng.normal(size=(len(z), 3))


class IgnoresInput(Linear):
    def predict_on_batch(self, z):
        return np.tile(np.tanh(self.b), (len(z), 1))


class NoWeights(Linear):
    def get_weights(self):
        return []


class Lookup(Linear):
    """Its weights only choose among stored outputs, and barely: a lookup table with a fig leaf of weights."""

    def __init__(self):
        super().__init__()
        self.table = np.random.default_rng(5).uniform(size=(50, 3))

    def predict_on_batch(self, z):
        return self.table[np.abs(np.asarray(z) * 1000).astype(int).sum(axis=1) % 50] + 1e-6 * self.b


class IgnoresSetWeights(Linear):
    def set_weights(self, values):
        pass


@pytest.mark.parametrize("model, words", [
    (NumpySampler(), "different outputs for the same latent vectors on two calls"),
    (IgnoresInput(), "same output whatever its latent vectors"),
    (NoWeights(), "has no weights"),
    (Lookup(), "do not come from its weights"),
    (IgnoresSetWeights(), "do not come from its weights"),
])
def test_each_shortcut_fails_with_its_own_reason(model, words):
    with pytest.raises(CheckFailed, match=words):
        check_made_by_model(model, Z, "the generator", "latent vectors")


def test_weights_are_restored_even_when_the_model_fails_on_random_weights():
    class BreaksOnRandomWeights(Linear):
        def predict_on_batch(self, z):
            if not np.allclose(self.w, saved[0]):
                raise RuntimeError("weights out of range")
            return super().predict_on_batch(z)

    model = BreaksOnRandomWeights()
    saved = model.get_weights()
    with pytest.raises(RuntimeError, match="out of range"):
        model_dependence(model, Z)
    assert all(np.allclose(a, b) for a, b in zip(model.get_weights(), saved))


def test_a_model_without_get_weights_is_not_a_model():
    class Function:
        def predict_on_batch(self, z):
            return np.tanh(z)

    with pytest.raises(CheckFailed, match="should be a Keras model with get_weights"):
        check_made_by_model(Function(), Z, "decoder", "codes")


def test_weights_that_are_not_numbers_fail_with_a_message_not_a_traceback():
    class Strings(Linear):
        def get_weights(self):
            return ["not", "numbers"]

    with pytest.raises(CheckFailed, match="should return a list of arrays of numbers"):
        check_made_by_model(Strings(), Z, "decoder", "codes")
