"""How many draws temperature's chi-square tests need: the power against plausible bugs at each sample size.

Usage: python tools/temperature_power.py [--draws 20000 5000 ...]
For q3's `test_draws_follow_softmax_at_several_temperatures` (6 logits at temperatures 0.5, 1 and 2; the test fails
when any temperature's chi-square p-value is at most 1e-6) and q4's `test_transition_frequencies_match_softmax_rows`
(4 x 4 transition logits at temperature 0.6, each row's next tokens tested the same way), it prints, for each bug's
distribution, the chance that the test catches it (from the noncentral chi-square law of the statistic; the bug's
distributions are exact or from 4 million draws). A valid sampler fails with chance at most 3e-6 (q3) or 4e-6 (q4)
at any sample size, since the threshold does not change.
"""

from __future__ import annotations

import argparse
import functools

import numpy as np
from scipy.stats import chi2, ncx2

THRESHOLD = 1e-6
Q3_LOGITS = np.array([1.2, -0.4, 0.3, 2.0, -1.5, 0.8])
Q3_TEMPERATURES = (0.5, 1.0, 2.0)
Q4_MODEL = np.array([[1.0, -0.5, 0.2, 0.6], [-0.8, 0.4, 1.1, 0.0], [0.3, 0.9, -1.0, 0.5], [0.7, 0.1, 0.4, -0.6]])
Q4_TEMPERATURE = 0.6


def softmax(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


NOISES = {"uniform": lambda r, s: r.random(s), "exponential": lambda r, s: -np.log(r.random(s)),
          "gaussian": lambda r, s: r.normal(size=s)}


@functools.cache
def _by_noise(scores: tuple, kind: str, draws: int = 4_000_000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    winners = np.argmax(np.array(scores) + NOISES[kind](rng, (draws, len(scores))), axis=1)
    return np.bincount(winners, minlength=len(scores)) / draws


def by_noise(scores: np.ndarray, kind: str) -> np.ndarray:
    """The distribution of argmax(scores + noise) (a Gumbel-max trick done wrong), from 4 million draws."""
    return _by_noise(tuple(np.round(scores, 12)), kind)


def plausible_bugs(logits: np.ndarray, t: float) -> dict[str, np.ndarray]:
    """What a sampler with each bug draws from, at temperature ``t``."""
    cdf = np.cumsum(softmax(logits / t))
    shifted = np.diff(np.concatenate([[0.0], np.minimum(np.roll(cdf, -1), 1.0)]))  # searchsorted(...) - 1, clipped
    shifted = np.maximum(shifted, 0)
    return {
        "ignores the temperature": softmax(logits),
        "multiplies by the temperature": softmax(logits * t),
        "divides by the temperature squared": softmax(logits / t**2),
        "divides by the square root of the temperature": softmax(logits / np.sqrt(t)),
        "temperature on the probabilities, p / T renormalised": softmax(logits),
        "uniform noise instead of Gumbel": by_noise(logits / t, "uniform"),
        "-log(u) instead of -log(-log(u))": by_noise(logits / t, "exponential"),
        "Gaussian noise instead of Gumbel": by_noise(logits / t, "gaussian"),
        "inverse CDF off by one token": shifted / shifted.sum(),
        "uniform over the tokens": np.full(len(logits), 1 / len(logits)),
        "greedy below temperature 1": (np.eye(len(logits))[np.argmax(logits)] if t < 1 else softmax(logits / t)),
        "drops the last token": np.append(softmax(logits[:-1] / t), 0.0),
        "softmax over logits / (T + 1)": softmax(logits / (t + 1)),
        "adds 0.01 to every probability": (softmax(logits / t) + 0.01) / (1 + 0.01 * len(logits)),
    }


def catch_chance(expected: np.ndarray, actual: np.ndarray, n: int) -> float:
    """P(chi-square p-value <= THRESHOLD) when n draws follow ``actual`` and the test expects ``expected``."""
    df = len(expected) - 1
    critical = chi2.isf(THRESHOLD, df)
    if np.any((expected == 0) & (actual > 0)):
        return 1.0
    noncentrality = n * float(np.sum((actual - expected) ** 2 / expected))
    return float(ncx2.sf(critical, df, noncentrality)) if noncentrality > 0 else THRESHOLD


def q3_power(n: int) -> dict[str, float]:
    names = plausible_bugs(Q3_LOGITS, 1.0).keys()
    chances = {}
    for name in names:
        passes = 1.0
        for t in Q3_TEMPERATURES:
            passes *= 1.0 - catch_chance(softmax(Q3_LOGITS / t), plausible_bugs(Q3_LOGITS, t)[name], n)
        chances[name] = 1.0 - passes
    return chances


def q4_power(length: int) -> dict[str, float]:
    """Each row is visited about length x (its stationary share) times."""
    right = softmax(Q4_MODEL / Q4_TEMPERATURE)
    values, vectors = np.linalg.eig(right.T)
    stationary = np.real(vectors[:, np.argmax(np.real(values))])
    stationary /= stationary.sum()
    rows = {name: [] for name in plausible_bugs(Q4_MODEL[0], Q4_TEMPERATURE)}
    for row in range(4):
        for name, bad in plausible_bugs(Q4_MODEL[row], Q4_TEMPERATURE).items():
            rows[name].append(bad)
    rows["draws from the start token's row every time"] = [right[1]] * 4
    rows["draws from the column, not the row"] = list(softmax(Q4_MODEL.T / Q4_TEMPERATURE))
    chances = {}
    for name, bad in rows.items():
        passes = 1.0
        for row in range(4):
            visits = int(length * stationary[row])
            passes *= 1.0 - catch_chance(right[row], bad[row], visits)
        chances[name] = 1.0 - passes
    return chances


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, nargs="+", default=[20000, 10000, 5000, 4000, 3000, 2000])
    args = parser.parse_args()
    for title, power in (("q3: draws per temperature", q3_power), ("q4: generated tokens", q4_power)):
        table = {n: power(n) for n in args.draws}
        print(f"\n{title}: chance that the test catches the bug")
        print("| bug | " + " | ".join(str(n) for n in args.draws) + " |")
        print("|---|" + "---:|" * len(args.draws))
        for name in table[args.draws[0]]:
            print(f"| {name} | " + " | ".join(_chance(table[n][name]) for n in args.draws) + " |")


def _chance(value: float) -> str:
    """The chance, or for one near 1 the chance of missing the bug (1 - chance)."""
    if value > 0.999:
        return f"miss {1 - value:.0e}" if value < 1 - 1e-15 else "miss < 1e-15"
    return f"{value:.3f}"


if __name__ == "__main__":
    main()
