"""Quality of generated 8x8 digits: a small trusted classifier, its features, and the Fréchet distance.

The classifier (one ReLU layer of 64 units, then softmax over the 10 digits and an 11th class, "not a
digit") was trained on scikit-learn's ``load_digits`` and on synthetic junk by
``tools/train_digits_classifier.py``; its weights ship beside this file as ``digits_classifier.npz`` and run
in numpy, so grading needs no Keras. The junk class is there because a plain MLP is confident on anything:
noise and a broken GAN's all-ink images used to score higher than a good GAN's digits. The Fréchet distance
between its hidden activations on generated and on real test digits is the FID of this small world.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import linalg

from autograder.checks.base import CheckFailed, as_float_array, fmt

DIGITS_SPLIT_SEED = 0
DIGITS_TRAIN_SIZE = 1297
CLASSIFIER_PATH = Path(__file__).with_name("digits_classifier.npz")
NOT_A_DIGIT = 10  # the classifier's last class: the digits are 0 to 9

# Float rounding may push a sigmoid output a hair past 1; anything further is the wrong scale.
_RANGE_TOLERANCE = 1e-4


def digits_split() -> tuple[np.ndarray, np.ndarray]:
    """Indices into ``load_digits()`` of the training digits (1297) and the test digits (500)."""
    order = np.random.default_rng(DIGITS_SPLIT_SEED).permutation(1797)
    return order[:DIGITS_TRAIN_SIZE], order[DIGITS_TRAIN_SIZE:]


@functools.lru_cache(maxsize=1)
def all_real_digits() -> np.ndarray:
    """All 1,797 digits of ``load_digits`` as a read-only (1797, 64) array of floats in [0, 1] (it is cached)."""
    from sklearn.datasets import load_digits  # reads a csv shipped with scikit-learn; no model code

    digits = load_digits().data / 16.0
    digits.setflags(write=False)
    return digits


@functools.lru_cache(maxsize=1)
def real_test_digits() -> np.ndarray:
    """The 500 held-out digits as a read-only (500, 64) array of floats in [0, 1] (read-only: it is cached)."""
    _, test = digits_split()
    digits = all_real_digits()[test]
    digits.setflags(write=False)
    return digits


def as_digit_images(images) -> np.ndarray:
    """``images`` of shape (n, 64), (n, 8, 8) or (n, 8, 8, 1) with finite values in [0, 1], as (n, 64)."""
    array = as_float_array(images, "the images")
    shape = array.shape
    accepted = (array.ndim == 2 and shape[1:] == (64,)) or (array.ndim == 3 and shape[1:] == (8, 8)) or (
        array.ndim == 4 and shape[1:] == (8, 8, 1))
    if not accepted or shape[0] == 0:
        hint = " (one image? add the batch axis: images[None])" if shape in ((64,), (8, 8), (8, 8, 1)) else ""
        raise CheckFailed(f"expected a batch of 8x8 digit images of shape (n, 8, 8), (n, 8, 8, 1) or (n, 64) "
                          f"with n >= 1, but got an array of shape {shape}{hint}")
    if not np.isfinite(array).all():
        raise CheckFailed(f"the images contain nan or inf ({int((~np.isfinite(array)).sum())} of {array.size} "
                          "pixel values); the generator's output should be finite")
    low, high = array.min(), array.max()
    if low < -_RANGE_TOLERANCE or high > 1 + _RANGE_TOLERANCE:
        raise CheckFailed(f"pixel values should lie in [0, 1], but they range from {fmt(low)} to {fmt(high)} "
                          "(a generator ending in tanh gives [-1, 1]: rescale with (x + 1) / 2)")
    return array.reshape(shape[0], 64)


class DigitsClassifier:
    """The trusted classifier: 64 pixels -> 64 ReLU units -> 11 softmax probabilities (digits, not a digit)."""

    def __init__(self, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: np.ndarray):
        self.w1, self.b1, self.w2, self.b2 = (np.asarray(a, dtype=np.float64) for a in (w1, b1, w2, b2))

    @classmethod
    def from_file(cls, path: Path) -> DigitsClassifier:
        with np.load(path, allow_pickle=False) as weights:
            return cls(weights["w1"], weights["b1"], weights["w2"], weights["b2"])

    def features(self, images) -> np.ndarray:
        """Hidden ReLU activations, shape (n, 64)."""
        return np.maximum(as_digit_images(images) @ self.w1 + self.b1, 0.0)

    def probabilities(self, images) -> np.ndarray:
        """Softmax over the 10 digits and ``NOT_A_DIGIT``, shape (n, 11)."""
        logits = self.features(images) @ self.w2 + self.b2
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


@functools.lru_cache(maxsize=1)
def load_digits_classifier() -> DigitsClassifier:
    return DigitsClassifier.from_file(CLASSIFIER_PATH)


def frechet_distance(features_a, features_b) -> float:
    """Fréchet distance between Gaussians fitted (mean, covariance) to two sets of feature rows."""
    a, b = as_float_array(features_a, "the features"), as_float_array(features_b, "the features")
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
        raise CheckFailed(f"the Fréchet distance needs two sets of at least 2 feature rows of the same width, "
                          f"but got shapes {a.shape} and {b.shape}")
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    with warnings.catch_warnings():
        # A collapsed batch has a singular covariance; sqrtm warns but its square root is still usable.
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(cov_a @ cov_b)
        if not np.isfinite(covmean).all():
            offset = np.eye(len(cov_a)) * 1e-6
            covmean = linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
    covmean = np.real(covmean)
    distance = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(covmean)
    return max(float(distance), 0.0)


@dataclass
class DigitsQuality:
    classes_covered: int
    class_counts: list[int]
    mean_confidence: float
    junk_fraction: float
    frechet: float


def digits_quality(images, min_share: float = 0.25) -> DigitsQuality:
    """How generated digits look to the trusted classifier.

    A digit counts as covered when at least ``min_share`` of its fair share (n / 10) of the samples is
    classified as it; samples classified as not a digit count for no digit, and make up ``junk_fraction``.
    ``mean_confidence`` is the mean of each sample's highest digit probability, so junk lowers it.
    ``frechet`` compares the hidden features with those of the real test digits.
    """
    images = as_digit_images(images)
    if len(images) < 2:
        raise CheckFailed(f"expected at least 2 images to measure their quality, but got {len(images)}")
    classifier = load_digits_classifier()
    probabilities = classifier.probabilities(images)
    verdicts = probabilities.argmax(axis=1)
    counts = np.bincount(verdicts, minlength=NOT_A_DIGIT + 1)[:NOT_A_DIGIT]
    return DigitsQuality(
        classes_covered=int((counts >= min_share * len(images) / 10).sum()),
        class_counts=[int(c) for c in counts],
        mean_confidence=float(probabilities[:, :NOT_A_DIGIT].max(axis=1).mean()),
        junk_fraction=float((verdicts == NOT_A_DIGIT).mean()),
        frechet=frechet_distance(classifier.features(images), classifier.features(real_test_digits())),
    )
