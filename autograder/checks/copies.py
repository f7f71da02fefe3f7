"""Copies and shortcuts: outputs that are training images, and "models" whose outputs do not come from a model.

A sample-quality check only looks at outputs, so it cannot tell a trained generator from a copy of the data,
nor a decoder from a lookup table. Two kinds of checks close that gap:

* **copies** (pure, on arrays): how far each output lies from its nearest training image. A trained model's
  reconstructions and samples are blurred or new; a copy is (nearly) at distance 0.
* **dependence** (drives the student's model, on checker proxies or, under plain Otter, on the real objects):
  the outputs must be a deterministic function of the model's input and of its weights. The weights are
  replaced by random ones of the same shapes, the outputs must change, and they must come back exactly when the
  weights are restored. A lookup table, a numpy sampler hidden behind ``predict_on_batch`` or a generator that
  ignores its noise fails one of these.

The bounds, and the numbers of the corpus they were chosen from, are in the rubric of each assignment
(rubrics/autoencoder.yml, rubrics/gan_debug.yml), measured by tools/calibrate_copies.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder.checks.base import CheckFailed, fmt

# An output this close to a training image (mean squared difference per pixel, pixels in [0, 1]) is a copy of
# it: a quarter of a grey level of the 8x8 digits (1/16) squared is 2.4e-4; the lowest distance of any valid
# corpus output is about 50 times larger (tools/calibrate_copies.py).
COPY_DISTANCE = 2.5e-4
# More than this fraction of copies among the outputs fails: a trained model makes none, or a handful.
MAX_COPY_FRACTION = 0.05
# Random weights must move the outputs by at least this fraction of their spread over the batch (valid: ~1).
MIN_WEIGHT_EFFECT = 0.05
# Two identical calls may differ by float noise only: this fraction of the outputs' spread.
REPEAT_TOLERANCE = 1e-4
# The outputs must spread over the batch by at least this fraction of their magnitude (a model ignoring its
# input has spread 0).
MIN_INPUT_SPREAD = 1e-3


# -- copies ----------------------------------------------------------------------------------------------

def nearest_distances(outputs, training, chunk: int = 512) -> np.ndarray:
    """For each output, the mean squared difference per pixel to its nearest training image."""
    a = np.asarray(outputs, dtype=np.float64).reshape(len(outputs), -1)
    b = np.asarray(training, dtype=np.float64).reshape(len(training), -1)
    if a.shape[1] != b.shape[1]:
        raise CheckFailed(f"the outputs have {a.shape[1]} values each, but the training images {b.shape[1]}")
    if not np.all(np.isfinite(a)):
        raise CheckFailed("the outputs are not all finite numbers (NaN or infinity)")
    b_norms = np.einsum("ij,ij->i", b, b)
    nearest = np.empty(len(a))
    for start in range(0, len(a), chunk):
        part = a[start:start + chunk]
        squared = np.einsum("ij,ij->i", part, part)[:, None] + b_norms[None, :] - 2.0 * part @ b.T
        nearest[start:start + chunk] = np.maximum(squared.min(axis=1), 0.0) / a.shape[1]
    return nearest


@dataclass(frozen=True)
class CopyVerdict:
    """What the copy check saw: how many outputs are (near-)copies of training images, and how close they are."""

    outputs: int
    copies: int
    median_distance: float
    lowest_distance: float

    @property
    def fraction(self) -> float:
        return self.copies / self.outputs if self.outputs else 0.0

    @property
    def passes(self) -> bool:
        return self.fraction <= MAX_COPY_FRACTION


def copy_verdict(outputs, training) -> CopyVerdict:
    distances = nearest_distances(outputs, training)
    return CopyVerdict(len(distances), int(np.sum(distances < COPY_DISTANCE)), float(np.median(distances)),
                       float(distances.min()))


def copy_problem(verdict: CopyVerdict, what: str, training: str) -> str:
    """Why ``what`` counts as copies of ``training`` ('' when it does not)."""
    if verdict.passes:
        return ""
    return (f"{verdict.copies} of {verdict.outputs} {what} ({verdict.fraction:.0%}) are copies of {training}: each "
            f"lies within {fmt(COPY_DISTANCE)} (mean squared difference per pixel) of one of them, where a trained "
            f"model's own images lie much farther away. Copies earn no quality points: the model must make its "
            f"own images, not return stored ones")


def check_not_copies(outputs, training, what: str, training_name: str) -> None:
    """Fails when more than MAX_COPY_FRACTION of ``outputs`` are (near-)exact copies of ``training`` images."""
    problem = copy_problem(copy_verdict(outputs, training), what, training_name)
    if problem:
        raise CheckFailed(problem)


# -- dependence on the input and on the weights ----------------------------------------------------------

def weights(model) -> list[np.ndarray]:
    """A Keras model's weights (``get_weights()``) as arrays of floats."""
    try:
        values = model.get_weights()
    except AttributeError:
        raise CheckFailed("the model should be a Keras model with get_weights(), but it has none") from None
    try:
        return [np.array(value, dtype=float) for value in values]
    except (TypeError, ValueError):
        raise CheckFailed("the model's get_weights() should return a list of arrays of numbers") from None


@dataclass(frozen=True)
class Dependence:
    """How a model's outputs on a fixed batch depend on its input and its weights (all as fractions)."""

    weight_arrays: int
    repeat_gap: float       # two identical calls: their largest difference, over the outputs' spread
    input_spread: float     # the outputs' spread over the batch, over their magnitude
    weight_effect: float    # random weights: the mean change of the outputs, over their spread
    restore_gap: float      # weights restored: the largest difference from the first outputs, over their spread


def model_dependence(model, inputs: np.ndarray, seed: int = 7) -> Dependence:
    """Run ``model.predict_on_batch`` on ``inputs`` twice, with random weights, and with its weights restored.

    The weights are restored before this returns, whatever happens.
    """
    def outputs() -> np.ndarray:
        values = np.asarray(model.predict_on_batch(inputs), dtype=float).reshape(len(inputs), -1)
        if not np.all(np.isfinite(values)):
            raise CheckFailed("the model's outputs are not all finite numbers (NaN or infinity)")
        return values

    first, second = outputs(), outputs()
    if first.shape != second.shape:
        raise CheckFailed(f"two identical calls of the model returned shapes {first.shape} and {second.shape}")
    spread = float(np.mean(np.std(first, axis=0)))
    magnitude = float(np.mean(np.abs(first)))
    scale = max(spread, 1e-12)
    original = weights(model)
    weight_effect = 0.0
    restore_gap = 0.0
    if original:
        rng = np.random.default_rng(seed)
        # re-initialised: zero-mean noise on each array's own scale (its root mean square, at least 0.05)
        randomised = [max(float(np.sqrt(np.mean(w ** 2))) if w.size else 0.0, 0.05) * rng.normal(size=w.shape)
                      for w in original]
        try:
            model.set_weights([r.astype("float32") for r in randomised])
            changed = outputs()
        finally:
            model.set_weights([w.astype("float32") for w in original])
        restored = outputs()
        weight_effect = float(np.mean(np.abs(changed - first))) / scale if changed.shape == first.shape else 1.0
        restore_gap = float(np.max(np.abs(restored - first))) / scale if restored.shape == first.shape else 1.0
    return Dependence(len(original), float(np.max(np.abs(second - first))) / scale,
                      spread / max(magnitude, 1e-12), weight_effect, restore_gap)


def dependence_problem(dependence: Dependence, what: str, inputs: str) -> str:
    """Why ``what`` is not a model whose outputs come from its ``inputs`` and its weights ('' when it is)."""
    if dependence.repeat_gap > REPEAT_TOLERANCE:
        return (f"{what} gave different outputs for the same {inputs} on two calls: its outputs must be computed "
                f"by the model from its input, not drawn at random on each call (with numpy, say)")
    if dependence.input_spread < MIN_INPUT_SPREAD:
        return f"{what} gives the same output whatever its {inputs}: the output must be computed from them"
    if dependence.weight_arrays == 0:
        return f"{what} has no weights: it must be a model that was trained, not a fixed function"
    if dependence.weight_effect < MIN_WEIGHT_EFFECT or dependence.restore_gap > REPEAT_TOLERANCE:
        return (f"{what}'s outputs do not come from its weights: with its weights replaced by random ones its "
                f"outputs changed by {dependence.weight_effect:.2%} of their spread (a trained model's change "
                f"completely), and with its weights restored they "
                f"{'came back' if dependence.restore_gap <= REPEAT_TOLERANCE else 'did not come back'}. Make "
                f"the outputs with the trained layers, not with a lookup table or stored images")
    return ""


def check_made_by_model(model, inputs: np.ndarray, what: str, inputs_name: str) -> None:
    """Fails unless ``model``'s outputs on ``inputs`` are a deterministic function of its input and its weights."""
    problem = dependence_problem(model_dependence(model, inputs), what, inputs_name)
    if problem:
        raise CheckFailed(problem)
