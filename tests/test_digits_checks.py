"""The trusted digits classifier and the quality measures of generated digits built on it."""

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter
from sklearn.datasets import load_digits

from autograder.checks.base import CheckFailed
from autograder.checks.digits import (
    CLASSIFIER_PATH,
    NOT_A_DIGIT,
    digits_quality,
    digits_split,
    frechet_distance,
    load_digits_classifier,
    real_test_digits,
)

TRAINING_SCRIPT = Path(__file__).resolve().parent.parent / "tools" / "train_digits_classifier.py"


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_shipped_weights_are_small_arrays():
    assert CLASSIFIER_PATH.stat().st_size < 1_000_000
    with np.load(CLASSIFIER_PATH, allow_pickle=False) as weights:
        shapes = {name: weights[name].shape for name in weights.files}
        assert all(weights[name].dtype == np.float32 for name in ("w1", "b1", "w2", "b2"))
    assert shapes == {"w1": (64, 64), "b1": (64,), "w2": (64, 11), "b2": (11,), "test_accuracy": (),
                      "junk_detection": ()}


def test_real_test_digits_are_the_held_out_500_and_read_only(digits):
    real = real_test_digits()
    _, test = digits_split()
    np.testing.assert_array_equal(real, digits.data[test] / 16.0)
    assert real.shape == (500, 64) and 0 <= real.min() and real.max() <= 1
    with pytest.raises(ValueError):
        real[0, 0] = 1.0


def test_classifier_is_accurate_on_the_test_digits(digits):
    _, test = digits_split()
    probabilities = load_digits_classifier().probabilities(real_test_digits())
    assert probabilities.shape == (500, NOT_A_DIGIT + 1)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert (probabilities.argmax(axis=1) == digits.target[test]).mean() >= 0.95  # a junk verdict is an error


def test_real_digits_cover_every_class_and_sit_at_zero_distance():
    quality = digits_quality(real_test_digits())
    assert quality.classes_covered == 10 and len(quality.class_counts) == 10
    assert sum(quality.class_counts) >= 495 and quality.junk_fraction <= 0.01
    assert quality.mean_confidence >= 0.9
    assert quality.frechet < 1


def _all_ink_and_flat(n: int) -> np.ndarray:
    return np.linspace(0.5, 1.0, n)[:, None] * np.ones((n, 64))


@pytest.mark.parametrize("junk", [
    pytest.param(lambda: np.random.default_rng(0).random((500, 64)), id="uniform noise"),
    pytest.param(lambda: _all_ink_and_flat(100), id="all ink, flat grey to black"),
    pytest.param(lambda: (real_test_digits() + 1) / 2, id="digits in [0.5, 1], a sigmoid generator's range"),
])
def test_junk_gets_low_confidence_and_counts_for_no_digit(junk):
    images = junk()
    quality = digits_quality(images)
    assert quality.mean_confidence < 0.5
    assert quality.junk_fraction >= 0.9
    assert sum(quality.class_counts) == round((1 - quality.junk_fraction) * len(images))


def test_blurry_or_slightly_noisy_digits_still_count_as_digits():
    blurry = np.stack([gaussian_filter(image, 0.8) for image in real_test_digits().reshape(-1, 8, 8)])
    noisy = np.clip(real_test_digits() + np.random.default_rng(0).normal(0, 0.1, (500, 64)), 0, 1)
    for images in (blurry, noisy):
        quality = digits_quality(images)
        assert quality.mean_confidence >= 0.8 and quality.junk_fraction <= 0.1


def test_training_digits_are_close_but_not_identical(digits):
    train, _ = digits_split()
    assert 0.1 < digits_quality(digits.data[train] / 16.0).frechet < 1


def test_mode_collapse_covers_one_class(digits):
    fours = digits.data[digits.target == 4][:5] / 16.0
    quality = digits_quality(np.repeat(fours, 100, axis=0))
    assert quality.classes_covered == 1
    assert quality.class_counts[4] == 500
    assert quality.frechet > 5


def test_noise_is_far_from_digits():
    noise = np.random.default_rng(0).random((500, 64))
    assert digits_quality(noise).frechet > 20


def test_image_shapes_are_interchangeable():
    flat = real_test_digits()[:100]
    reference = digits_quality(flat)
    for shaped in (flat.reshape(100, 8, 8), flat.reshape(100, 8, 8, 1)):
        assert digits_quality(shaped) == reference


@pytest.mark.parametrize("shape", [(100, 28, 28), (100, 63), (64,), (100, 8, 8, 3), (0, 64)])
def test_wrong_shape_says_what_was_expected_and_found(shape):
    with pytest.raises(AssertionError, match=r"\(n, 8, 8\).*got an array of shape " + re.escape(str(shape))):
        digits_quality(np.zeros(shape))


def test_non_finite_and_out_of_range_pixels_are_rejected():
    images = real_test_digits()[:10].copy()
    images[3, 5] = np.nan
    with pytest.raises(CheckFailed, match="nan or inf"):
        digits_quality(images)
    with pytest.raises(CheckFailed, match=r"range from -1 to 1.*\(x \+ 1\) / 2"):
        digits_quality(real_test_digits()[:10] * 2 - 1)


def test_frechet_distance_of_shifted_gaussians_is_the_squared_shift():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(2000, 3))
    assert frechet_distance(features, features) == pytest.approx(0, abs=1e-9)
    assert frechet_distance(features, features + [2.0, 0, 0]) == pytest.approx(4.0)


def test_training_script_reproduces_the_shipped_weights(tmp_path):
    spec = importlib.util.spec_from_file_location("train_digits_classifier", TRAINING_SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.main(["--out", str(tmp_path / "digits_classifier.npz")])
    with np.load(CLASSIFIER_PATH) as shipped, np.load(tmp_path / "digits_classifier.npz") as retrained:
        assert shipped.files == retrained.files
        for name in shipped.files:
            np.testing.assert_array_equal(retrained[name], shipped[name], err_msg=name)
        assert retrained["test_accuracy"] >= 0.95 and retrained["junk_detection"] >= 0.9
