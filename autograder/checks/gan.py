"""Checks for the gan_debug assignment: GAN training steps and the ring of Gaussians (Questions 1-3; the digits
of Question 4 are in gan_digits.py).

Unlike the other check modules, the helpers at the top of this file call the student's functions (on
checker proxies or, under plain Otter, on the real objects): a GAN can only be judged by training one.
Everything they compute from the results happens here, in the trusted process.

The thresholds come from ``tools/calibrate_gan.py`` (pass rates per backend and seed in
``rubrics/gan_debug.calibration.json``); ``rubrics/gan_debug.yml`` says how they were chosen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from autograder.checks.base import CheckFailed, fmt
from autograder.checks.copies import (
                                       Dependence,
                                       dependence_problem,
                                       model_dependence,
                                       weights,
)
from autograder.testing import memo, record_artifact

# The ring of the notebook: 8 Gaussians of standard deviation 0.05 on a circle of radius 2.
RING_MODES, RING_RADIUS, RING_STD = 8, 2.0, 0.05
MODE_CENTRES = RING_RADIUS * np.stack([np.cos(2 * np.pi * np.arange(RING_MODES) / RING_MODES),
                                       np.sin(2 * np.pi * np.arange(RING_MODES) / RING_MODES)], axis=1)
LATENT_DIM = 8

# How the checker trains on the ring (Question 3): its own seeds, best of three runs.
RING_STEPS, RING_BATCH = 2000, 128
CHECKER_SEEDS = (11, 22, 33)
RING_SAMPLES = 2000
NEAR_RADIUS = 0.25            # 5 standard deviations of a mode; modes are 1.53 apart
MIN_NEAR_FRACTION = 0.5       # of the samples within NEAR_RADIUS of some mode
MIN_MODES_COVERED = 4         # of 8 ...
MODE_SHARE = 0.25             # ... each holding at least a quarter of its fair share (RING_SAMPLES / 8)
HOPELESS_NEAR_FRACTION = 0.02  # a run this far off is a bug, not bad luck: no further seeds are tried
TAIL = 0.2                    # the balance of the losses is judged on the last 20% of the steps
MIN_TAIL_LOSS, MAX_TAIL_LOSS = 0.05, 5.0
# Before the checker trains it, a fresh generator's samples lie near 0, nowhere near the ring (valid: 0% near a
# mode); a "generator" already on the ring did not learn it.
MAX_UNTRAINED_NEAR_FRACTION = 0.1
DEPENDENCE_SAMPLES = 256      # the latent vectors the dependence checks feed the generators



# -- driving the student's code --------------------------------------------------------------------------

def ring_batch(n: int, seed: int) -> np.ndarray:
    """n points of the ring, drawn here with the checker's own generator."""
    rng = np.random.default_rng(seed)
    return (MODE_CENTRES[rng.integers(0, RING_MODES, size=n)] + RING_STD * rng.normal(size=(n, 2))).astype("float32")


def fresh_gan(make_generator, make_discriminator, make_gan):
    """New ring-sized models made by the student's functions: (generator, discriminator, gan)."""
    generator = make_generator(LATENT_DIM)
    discriminator = make_discriminator()
    return generator, discriminator, make_gan(generator, discriminator)


def verdicts(discriminator, generator, real: np.ndarray, z: np.ndarray) -> tuple[float, float]:
    """The discriminator's mean output on real points and on the generator's fakes G(z)."""
    fake = np.asarray(generator.predict_on_batch(z), dtype="float32")
    on_real = np.asarray(discriminator.predict_on_batch(real), dtype=float)
    on_fake = np.asarray(discriminator.predict_on_batch(fake), dtype=float)
    if not (np.all(np.isfinite(on_real)) and np.all(np.isfinite(on_fake))):
        raise CheckFailed("the discriminator's outputs are not finite numbers (NaN or infinity)")
    return float(on_real.mean()), float(on_fake.mean())


@dataclass
class RingRun:
    """One training run of the student's GAN on the ring, and what its samples look like."""

    seed: int
    d_loss: np.ndarray
    g_loss: np.ndarray
    near_fraction: float
    mode_counts: list[int]
    seeds_tried: list[int] = field(default_factory=list)
    problem: str = ""  # why the history could not be judged, if it could not
    samples: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    untrained_near_fraction: float = 0.0  # of the fresh generator's samples, before train_gan
    dependence: Dependence | None = None  # of the trained generator's samples on its input and weights
    shortcut: str = ""  # why the samples did not come from the trained generator, if they did not

    @property
    def modes_covered(self) -> int:
        return sum(count >= MODE_SHARE * RING_SAMPLES / RING_MODES for count in self.mode_counts)

    def tail(self, losses: np.ndarray) -> float:
        return float(np.mean(losses[-max(1, int(len(losses) * TAIL)):]))

    @property
    def balance_problem(self) -> str:
        return self.problem or balance_problem(self.tail(self.d_loss), self.tail(self.g_loss))

    @property
    def passes(self) -> bool:
        return not self.problem and not self.shortcut and ring_run_passes(
            self.near_fraction, self.modes_covered, self.tail(self.d_loss), self.tail(self.g_loss))

    def describe(self) -> str:
        tried = ", ".join(str(seed) for seed in self.seeds_tried)
        return f"(best of the runs with seeds {tried}: seed {self.seed})"


def balance_problem(d_tail: float, g_tail: float) -> str:
    """What the mean losses over the last TAIL of training say is wrong ('' when they are in balance)."""
    if d_tail < MIN_TAIL_LOSS:
        return (f"in the last {TAIL:.0%} of training the discriminator's loss averaged {fmt(d_tail)}, "
                f"close to 0: it tells real from fake perfectly every time, so the generator gets no useful "
                f"gradient (are the fakes labelled 0 and is the generator trained towards 'real'?)")
    if g_tail < MIN_TAIL_LOSS:
        return (f"in the last {TAIL:.0%} of training the generator's loss averaged {fmt(g_tail)}, close to 0: "
                f"it fools the discriminator every time, which happens when the discriminator does not learn "
                f"(are its weights changing in discriminator_step?)")
    if d_tail > MAX_TAIL_LOSS or g_tail > MAX_TAIL_LOSS:
        return (f"in the last {TAIL:.0%} of training the losses averaged {fmt(d_tail)} (discriminator) and "
                f"{fmt(g_tail)} (generator); a healthy GAN here stays below {fmt(MAX_TAIL_LOSS)}: check that "
                f"the discriminator's output and its loss agree (probabilities or logits)")
    return ""


def ring_run_passes(near_fraction: float, modes_covered: int, d_tail: float, g_tail: float) -> bool:
    """Whether one training run on the ring passes every Question 3 check (tools/calibrate_gan.py re-judges
    stored runs with it)."""
    return (not balance_problem(d_tail, g_tail) and near_fraction >= MIN_NEAR_FRACTION
            and modes_covered >= MIN_MODES_COVERED)


def ring_quality(samples: np.ndarray) -> tuple[float, list[int]]:
    """The fraction of samples within NEAR_RADIUS of a mode, and how many such samples each mode has."""
    points = np.asarray(samples, dtype=float).reshape(len(samples), -1)
    if points.shape[1] != 2:
        raise CheckFailed(f"the generator should make points of shape (n, 2), but made shape {np.shape(samples)}")
    if not np.all(np.isfinite(points)):
        return 0.0, [0] * RING_MODES
    distance = np.linalg.norm(points[:, None, :] - MODE_CENTRES[None], axis=-1)
    near = distance.min(axis=1) < NEAR_RADIUS
    counts = np.bincount(distance.argmin(axis=1)[near], minlength=RING_MODES)
    return float(near.mean()), [int(c) for c in counts]


def train_on_ring(train_gan, make_generator, make_discriminator, sample_ring, seed: int,
                  steps: int = RING_STEPS) -> RingRun:
    """Fresh models trained by the student's train_gan with one checker seed, and the run's numbers."""
    generator, discriminator = make_generator(LATENT_DIM), make_discriminator()
    z = np.random.default_rng(seed + 1).normal(size=(RING_SAMPLES, LATENT_DIM)).astype("float32")
    untrained_near, _ = ring_quality(np.asarray(generator.predict_on_batch(z), dtype=float))
    initial = weights(generator)
    history = train_gan(generator, discriminator, sample_ring, steps, RING_BATCH, seed)
    problem = history_problem(history, steps)
    d_loss = np.asarray(history["d_loss"], dtype=float) if not problem else np.zeros(0)
    g_loss = np.asarray(history["g_loss"], dtype=float) if not problem else np.zeros(0)
    samples = np.asarray(generator.predict_on_batch(z), dtype=float)
    near, counts = ring_quality(samples)
    trained = weights(generator)
    dependence = model_dependence(generator, z[:DEPENDENCE_SAMPLES])
    shortcut = ring_shortcut(untrained_near, dependence, initial, trained)
    return RingRun(seed, d_loss, g_loss, near, counts, [seed], problem, samples.reshape(len(samples), -1),
                   untrained_near, dependence, shortcut)


def ring_shortcut(untrained_near: float, dependence: Dependence, initial: list[np.ndarray],
                  after: list[np.ndarray]) -> str:
    """Why the trained generator's samples are not the work of the checker's training ('' when they are)."""
    if untrained_near > MAX_UNTRAINED_NEAR_FRACTION:
        return (f"before the checker trained it, the fresh generator from make_generator already put "
                f"{untrained_near:.0%} of its samples near the ring's modes (an untrained network puts about 0% "
                f"there): the samples must come from the generator network, trained by train_gan, not be drawn "
                f"from the ring some other way")
    problem = dependence_problem(dependence, "the trained generator", "latent vectors")
    if problem:
        return problem
    if len(after) == len(initial) and all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(after, initial)):
        return ("the generator's weights did not change while train_gan trained it, yet its samples moved: they "
                "must come from the generator that train_gan trains")
    return ""


def best_ring_run(train_gan, make_generator, make_discriminator, sample_ring, steps: int = RING_STEPS,
                  runs: list | None = None) -> RingRun:
    """The best of up to three checker runs on the ring: the first that passes every Question 3 check.

    A run that is nowhere near the ring, or whose samples are a shortcut, ends the search: bugs do that, bad
    luck does not (tools/calibrate_gan.py). Every run made is appended to ``runs`` when given.
    """
    tried: list[RingRun] = []
    for seed in CHECKER_SEEDS:
        tried.append(train_on_ring(train_gan, make_generator, make_discriminator, sample_ring, seed, steps))
        if tried[-1].passes or tried[-1].shortcut or tried[-1].near_fraction < HOPELESS_NEAR_FRACTION:
            break  # a shortcut is the code's, not bad luck: another seed finds the same
    if runs is not None:
        runs.extend(tried)
    best = max(tried, key=lambda run: (run.passes, run.near_fraction, run.modes_covered))
    best.seeds_tried = [run.seed for run in tried]
    return best


def ring_training(train_gan, make_generator, make_discriminator, sample_ring) -> RingRun:
    """best_ring_run, once per submission: Question 3's tests share it (one training, not one per test)."""
    def search() -> RingRun:
        best = best_ring_run(train_gan, make_generator, make_discriminator, sample_ring)
        if len(best.d_loss):
            record_artifact("history.d_loss", best.d_loss)
            record_artifact("history.g_loss", best.g_loss)
        record_artifact("samples", best.samples)  # drawn as a scatter on the feedback page
        return best

    return memo("gan_debug.ring_training", search)


def history_problem(history, steps: int) -> str:
    """Why a train_gan result is not a pair of loss histories with one finite value per step ('' if it is)."""
    if not isinstance(history, dict) or not {"d_loss", "g_loss"} <= set(history):
        keys = sorted(map(str, history)) if isinstance(history, dict) else type(history).__name__
        return f'train_gan should return a dict with the keys "d_loss" and "g_loss", but it returned {keys}'
    for key in ("d_loss", "g_loss"):
        try:
            values = np.asarray(history[key], dtype=float)
        except (TypeError, ValueError):
            return f'history["{key}"] should be a list of numbers, one per step'
        if values.shape != (steps,):
            return f'history["{key}"] should hold one loss per step, {steps} values, but it has shape {values.shape}'
        if not np.all(np.isfinite(values)):
            first = int(np.flatnonzero(~np.isfinite(values))[0])
            return f'history["{key}"] is not finite from step {first} on (NaN or infinity): training diverged'
    return ""


# -- checks ----------------------------------------------------------------------------------------------

def check_weights_moved(before, after, whose: str, during: str, should_move: bool) -> None:
    """Whether a model's weights changed during a step, as the step's contract says they must (not)."""
    if len(before) != len(after) or any(a.shape != b.shape for a, b in zip(before, after)):
        raise CheckFailed(f"{whose} weights changed shape during {during}; a training step only updates values")
    change = max((float(np.max(np.abs(a - b))) for a, b in zip(before, after) if a.size), default=0.0)
    if should_move and change == 0.0:
        hint = ("it must be trainable when its own step runs: in Keras 3 `trainable` is read at every "
                "train_on_batch call, so `discriminator.trainable = False` anywhere before it freezes it"
                if "discriminator" in whose else
                "the step must train the generator through the combined model, and a gradient must reach it (a "
                "discriminator that outputs logits into a loss expecting probabilities clips them: no gradient)")
        raise CheckFailed(f"{whose} weights did not change during {during}; {hint}")
    if not should_move and change > 0.0:
        hint = ("the generator only makes the fakes in this step (predict, not train)" if "generator" in whose else
                "freeze it (`trainable = False`) before the combined model trains, or the dealer learns to be fooled")
        raise CheckFailed(f"{whose} weights changed during {during} (by up to {fmt(change)}), but they must not: "
                          f"{hint}")


def check_verdicts_move(before, after, real_should: str | None, fake_should: str, during: str) -> None:
    """The discriminator's mean outputs (on real points, on fakes) moved as training should move them."""
    for name, old, new, should in zip(("real points", "the generator's fakes"), before, after,
                                      (real_should, fake_should)):
        if should is None or (new > old) == (should == "rise"):
            continue
        wanted = "risen (more real)" if should == "rise" else "fallen (less real)"
        raise CheckFailed(
            f"after {during} the discriminator's mean output on {name} went from {fmt(old)} to {fmt(new)}; it "
            f"should have {wanted}. Check the labels: real points 1 and fakes 0 in the discriminator's step, "
            f"fakes labelled 1 ('real') in the generator's step")


def check_histories(history, steps: int) -> None:
    problem = history_problem(history, steps)
    if problem:
        raise CheckFailed(problem)


def check_balance(run: RingRun) -> None:
    problem = run.balance_problem
    if problem:
        raise CheckFailed(f"{problem} {run.describe()}")


def check_near_modes(run: RingRun) -> None:
    if run.near_fraction < MIN_NEAR_FRACTION:
        raise CheckFailed(
            f"only {run.near_fraction:.0%} of 2,000 samples of the trained generator lie within {NEAR_RADIUS} of one "
            f"of the ring's 8 modes; a working GAN puts at least {MIN_NEAR_FRACTION:.0%} there {run.describe()}. "
            f"Can the generator's output reach values like -2 and 2? Does the discriminator learn?")
    check_made_by_training(run)


def check_mode_coverage(run: RingRun) -> None:
    if run.modes_covered < MIN_MODES_COVERED:
        raise CheckFailed(
            f"the trained generator covers {run.modes_covered} of the ring's 8 modes (samples near each mode: "
            f"{run.mode_counts}); a working GAN covers at least {MIN_MODES_COVERED}, each with at least "
            f"{int(MODE_SHARE * RING_SAMPLES / RING_MODES)} of 2,000 samples {run.describe()}")
    check_made_by_training(run)


def check_made_by_training(run: RingRun) -> None:
    """Good samples earn the quality points only when the checker's training of the generator made them."""
    if run.shortcut:
        raise CheckFailed(f"{run.shortcut} {run.describe()}")
