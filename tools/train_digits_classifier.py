"""Train the trusted digits classifier whose weights ship as autograder/checks/digits_classifier.npz.

Hidden tests of the GAN assignment measure generated 8x8 digits with it (autograder/checks/digits.py):
which digits they look like, how confidently, and the Fréchet distance of its hidden features to the real
test digits. It is scikit-learn's MLPClassifier (64 ReLU units, alpha 1e-3, random_state 0) trained on
``load_digits().data / 16`` over the training split of ``digits_split()``, plus as many synthetic images that
are not digits, labelled ``NOT_A_DIGIT`` (an 11th class). Without them an MLP is confident on anything:
uniform noise got a mean confidence of 0.82 and a broken GAN's all-ink images 0.9+, above a good GAN's
samples. The junk is what broken generators draw (noise, flat or washed-out images, blobs, digits with
the wrong polarity or layout); blends of digits and slightly noisy digits are deliberately absent, so
that a decent but blurry GAN still draws digits. For the same reason every training digit also appears
once jittered (moved by a pixel, blurred, or a little noisy): without that, the junk class swallowed
digits moved by one pixel and a third of a good GAN's samples.

The 500 test digits measure digit accuracy (a junk verdict on a digit counts as an error); junk drawn
with another seed from the test digits measures junk detection. Training is deterministic, so rerunning
rewrites the same arrays:

    .venv/bin/python tools/train_digits_classifier.py            # writes the shipped .npz
    .venv/bin/python tools/train_digits_classifier.py --out /tmp/digits_classifier.npz

The .npz holds arrays only (w1, b1, w2, b2 as float32, test_accuracy and junk_detection), loaded without
pickle.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.checks.digits import CLASSIFIER_PATH, NOT_A_DIGIT, digits_split  # noqa: E402

TRAIN_SEED, HELD_OUT_JUNK_SEED = 0, 1


def jittered_digits(rng: np.random.Generator, digits: np.ndarray) -> np.ndarray:
    """Each digit once more, with what a decent generator gets slightly wrong: moved by up to a pixel,
    blurred (sigma 0.3 to 1), both, or with a little clipped Gaussian noise (sigma up to 0.25)."""
    jittered = digits.reshape(-1, 8, 8).copy()
    for i, image in enumerate(jittered):
        how = rng.integers(4)
        if how in (0, 3):
            image = np.roll(image, tuple(rng.integers(-1, 2, size=2)), axis=(0, 1))
        if how in (1, 3):
            image = gaussian_filter(image, rng.uniform(0.3, 1.0))
        if how == 2:
            image = np.clip(image + rng.normal(0, rng.uniform(0.02, 0.25), image.shape), 0.0, 1.0)
        jittered[i] = image
    return jittered.reshape(-1, 64)


def uniform_noise(rng: np.random.Generator, digits: np.ndarray, n: int) -> np.ndarray:
    return rng.random((n, 64))


def gaussian_noise(rng: np.random.Generator, digits: np.ndarray, n: int) -> np.ndarray:
    means, stds = rng.random((n, 1)), rng.uniform(0.1, 0.5, (n, 1))
    return np.clip(rng.normal(means, stds, (n, 64)), 0.0, 1.0)


def constant_images(rng: np.random.Generator, digits: np.ndarray, n: int) -> np.ndarray:
    return np.repeat(rng.random((n, 1)), 64, axis=1)


def upper_half_range(rng: np.random.Generator, digits: np.ndarray, n: int) -> np.ndarray:
    """What a generator ending in sigmoid gives once mapped from [-1, 1] to [0, 1]: pixels in [0.5, 1].

    Half are noise of random contrast, half real digits squeezed into that range: even a generator that
    learned the digits draws them grey on grey there.
    """
    noise = rng.random((n, 64)) ** rng.uniform(0.3, 3.0, (n, 1))
    squeezed_digits = digits[rng.integers(len(digits), size=n)]
    base = np.where(rng.random((n, 1)) < 0.5, noise, squeezed_digits)
    return 0.5 + 0.5 * base


def blobs(rng: np.random.Generator, digits: np.ndarray, n: int) -> np.ndarray:
    """One to three round Gaussian blobs of ink."""
    rows, cols = np.divmod(np.arange(64), 8)
    images = np.zeros((n, 64))
    for image in images:
        for _ in range(rng.integers(1, 4)):
            centre, width, ink = rng.uniform(0, 7, 2), rng.uniform(0.7, 2.5), rng.uniform(0.5, 1.0)
            image += ink * np.exp(-((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2) / (2 * width ** 2))
    return np.clip(images, 0.0, 1.0)


def permuted_digits(rng: np.random.Generator, digits: np.ndarray, n: int) -> np.ndarray:
    """Real digits with their pixels in random order: the right amount of ink, no shape."""
    chosen = digits[rng.integers(len(digits), size=n)]
    return np.take_along_axis(chosen, rng.permuted(np.tile(np.arange(64), (n, 1)), axis=1), axis=1)


def inverted_digits(rng: np.random.Generator, digits: np.ndarray, n: int) -> np.ndarray:
    return 1.0 - digits[rng.integers(len(digits), size=n)]


def shifted_digits(rng: np.random.Generator, digits: np.ndarray, n: int) -> np.ndarray:
    """Real digits rolled 3 or 4 pixels either way along one axis (and up to 2 along the other), so that
    they wrap around the edges."""
    chosen = digits[rng.integers(len(digits), size=n)].reshape(n, 8, 8)
    shifted = np.empty_like(chosen)
    for i, image in enumerate(chosen):
        shift = rng.integers(-2, 3, size=2)  # a small shift along the other axis, or none
        shift[rng.integers(2)] = rng.choice([-4, -3, 3, 4])
        shifted[i] = np.roll(image, tuple(shift), axis=(0, 1))
    return shifted.reshape(n, 64)


JUNK_KINDS = (uniform_noise, gaussian_noise, constant_images, upper_half_range, blobs, permuted_digits,
              inverted_digits, shifted_digits)


def junk_images(rng: np.random.Generator, digits: np.ndarray, n: int) -> np.ndarray:
    """n images that are not digits, about n / len(JUNK_KINDS) of each kind; the kinds made from real
    digits draw them from ``digits`` (m, 64)."""
    sizes = np.full(len(JUNK_KINDS), n // len(JUNK_KINDS))
    sizes[: n % len(JUNK_KINDS)] += 1
    return np.concatenate([kind(rng, digits, size) for kind, size in zip(JUNK_KINDS, sizes)])


def train_digits_classifier(out: Path = CLASSIFIER_PATH) -> tuple[float, float]:
    """Train, write the weights to ``out``, and return the accuracy on the 500 test digits and the fraction
    of held-out junk recognised as junk."""
    digits = load_digits()
    pixels, labels = digits.data / 16.0, digits.target
    train, test = digits_split()
    rng = np.random.default_rng(TRAIN_SEED)
    junk = junk_images(rng, pixels[train], len(train))
    inputs = np.concatenate([pixels[train], jittered_digits(rng, pixels[train]), junk])
    targets = np.concatenate([labels[train], labels[train], np.full(len(junk), NOT_A_DIGIT)])
    held_out_junk = junk_images(np.random.default_rng(HELD_OUT_JUNK_SEED), pixels[test], len(test))
    model = MLPClassifier(hidden_layer_sizes=(64,), alpha=1e-3, max_iter=2000, random_state=0)
    # One BLAS thread, so that the bits do not depend on the core count; a problem this small gains nothing from more.
    with threadpool_limits(limits=1):
        model.fit(inputs, targets)
    accuracy = model.score(pixels[test], labels[test])
    junk_detection = float((model.predict(held_out_junk) == NOT_A_DIGIT).mean())
    (w1, w2), (b1, b2) = model.coefs_, model.intercepts_
    np.savez(out, w1=w1.astype(np.float32), b1=b1.astype(np.float32), w2=w2.astype(np.float32),
             b2=b2.astype(np.float32), test_accuracy=np.array(accuracy), junk_detection=np.array(junk_detection))
    return accuracy, junk_detection


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=CLASSIFIER_PATH, help="where to write the .npz")
    args = parser.parse_args(argv)
    accuracy, junk_detection = train_digits_classifier(args.out)
    print(f"test digits classified correctly {accuracy:.3f}, held-out junk recognised {junk_detection:.3f}; "
          f"weights written to {args.out}")


if __name__ == "__main__":
    main()
