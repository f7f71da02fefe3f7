"""Question 4 of gan_debug: the notebook's digits generator, judged by the trusted classifier of digits.py.

Like gan.py, this drives the student's model (on checker proxies or, under plain Otter, on the real object);
everything computed from its samples happens here, in the trusted process. The thresholds and the pass rates
behind them: rubrics/gan_debug.yml and rubrics/gan_debug.calibration.json.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder.checks.base import CheckFailed, fmt
from autograder.checks.copies import (
    CopyVerdict,
    Dependence,
    copy_problem,
    copy_verdict,
    dependence_problem,
    model_dependence,
)
from autograder.checks.digits import DigitsQuality, all_real_digits, digits_quality
from autograder.checks.gan import DEPENDENCE_SAMPLES
from autograder.testing import memo, record_artifact

# What these checks import only when first used (``all_real_digits``), for ``checker.import_ahead`` to import first.
IMPORT_AHEAD = ("sklearn.datasets",)

# Question 4: the notebook's digits generator, judged by the classifier of autograder/checks/digits.py.
DIGITS_SAMPLES = 1000
DIGITS_LATENT_DIM = 16        # the notebook's
MAX_LATENT_DIM = 4096         # what the checker draws latent vectors for at most
MIN_DIGIT_CLASSES = 7
MIN_DIGIT_CONFIDENCE = 0.6
MAX_DIGIT_FRECHET = 15.0


def digits_pass(classes_covered: int, mean_confidence: float, frechet: float) -> bool:
    """Whether digit samples pass every Question 4 check."""
    return (classes_covered >= MIN_DIGIT_CLASSES and mean_confidence >= MIN_DIGIT_CONFIDENCE
            and frechet <= MAX_DIGIT_FRECHET)


def latent_size(generator) -> int:
    """The length of the latent vectors the generator takes: its input shape's last entry, 1 to MAX_LATENT_DIM."""
    try:
        latent_dim = int(generator.input_shape[-1])
    except (AttributeError, TypeError, ValueError, IndexError):
        raise CheckFailed("digits_generator should be a Keras model whose input is a batch of latent vectors") from None
    if not 1 <= latent_dim <= MAX_LATENT_DIM:  # the checker draws the vectors: a huge size is refused, not allocated
        raise CheckFailed(f"digits_generator takes latent vectors of {latent_dim} numbers; the notebook's take "
                          f"{DIGITS_LATENT_DIM} (at most {MAX_LATENT_DIM} are accepted)")
    return latent_dim


def digits_samples(generator, n: int, seed: int = 404) -> np.ndarray:
    """n samples of the student's digits generator as images (n, 64) with pixels in [0, 1]."""
    z = np.random.default_rng(seed).normal(size=(n, latent_size(generator))).astype("float32")
    pixels = np.asarray(generator.predict_on_batch(z), dtype=float)
    if pixels.size != n * 64 or pixels.shape[0] != n:
        raise CheckFailed(f"digits_generator should map {n} latent vectors to {n} images of 64 pixels, shape "
                          f"({n}, 64), but it returned shape {pixels.shape}")
    if not np.all(np.isfinite(pixels)):
        raise CheckFailed("digits_generator's pixels are not all finite numbers (NaN or infinity)")
    return np.clip((pixels.reshape(n, 64) + 1.0) / 2.0, 0.0, 1.0)


@dataclass(frozen=True)
class DigitsRun:
    """The classifier's view of the digits generator's samples, and whether they are the generator's own."""

    quality: DigitsQuality
    copies: CopyVerdict
    dependence: Dependence
    samples: np.ndarray  # the images judged, (DIGITS_SAMPLES, 64) in [0, 1]

    @property
    def shortcut(self) -> str:
        """Why the samples are not the generator's own work ('' when they are)."""
        return (copy_problem(self.copies, "samples", "scikit-learn's digits")
                or dependence_problem(self.dependence, "digits_generator", "latent vectors"))


def digits_run(digits_generator) -> DigitsRun:
    """1,000 samples of the digits generator judged by the classifier, for copies, and for where they come from."""
    images = digits_samples(digits_generator, DIGITS_SAMPLES)
    z = np.random.default_rng(405).normal(size=(DEPENDENCE_SAMPLES, latent_size(digits_generator)))
    return DigitsRun(digits_quality(images), copy_verdict(images, all_real_digits()),
                     model_dependence(digits_generator, z.astype("float32")), images)


def digits_verdict(digits_generator) -> DigitsRun:
    """digits_run, once per submission (Question 4's tests share it), with samples for the feedback page."""
    def judge() -> DigitsRun:
        run = digits_run(digits_generator)
        record_artifact("samples", run.samples[:32].reshape(-1, 8, 8))
        return run

    return memo("gan_debug.digits_verdict", judge)


def check_digits_made_by_generator(run: DigitsRun) -> None:
    if run.shortcut:
        raise CheckFailed(run.shortcut)


def check_digit_classes(run: DigitsRun) -> None:
    quality = run.quality
    if quality.classes_covered < MIN_DIGIT_CLASSES:
        raise CheckFailed(
            f"the classifier sees {quality.classes_covered} of the 10 digit classes among 1,000 samples (samples per "
            f"class: {quality.class_counts}); a working digits GAN covers at least {MIN_DIGIT_CLASSES}. Few classes "
            f"mean mode collapse: the generator draws a few digits whatever its input")
    check_digits_made_by_generator(run)


def check_digit_confidence(run: DigitsRun) -> None:
    quality = run.quality
    if quality.mean_confidence < MIN_DIGIT_CONFIDENCE:
        raise CheckFailed(
            f"the classifier's mean confidence that your samples are digits is {quality.mean_confidence:.0%} (it calls "
            f"{quality.junk_fraction:.0%} of them 'not a digit'); on a working GAN's samples it is at least "
            f"{MIN_DIGIT_CONFIDENCE:.0%}")
    check_digits_made_by_generator(run)


def check_digit_frechet(run: DigitsRun) -> None:
    quality = run.quality
    if quality.frechet > MAX_DIGIT_FRECHET:
        raise CheckFailed(
            f"the Fréchet distance between the classifier's features of your samples and of real test digits is "
            f"{fmt(quality.frechet)}; a working GAN reaches {fmt(MAX_DIGIT_FRECHET)} or less (noise scores about 135)")
    check_digits_made_by_generator(run)
