"""The GAN checks of gan_debug (autograder/checks/gan.py) and the per-question memo they rely on."""

import numpy as np
import pytest

from autograder.checks import CheckFailed, gan, gan_digits
from autograder.checks.digits import DigitsQuality
from autograder.testing import collecting_artifacts, memo, stop_collecting


def ring_points(n, modes=range(8), seed=0):
    rng = np.random.default_rng(seed)
    which = rng.choice(list(modes), size=n)
    return gan.MODE_CENTRES[which] + gan.RING_STD * rng.normal(size=(n, 2))


def test_ring_quality_sees_near_points_and_covered_modes():
    near, counts = gan.ring_quality(ring_points(2000))
    assert near > 0.99 and sum(c >= 62 for c in counts) == 8
    near, counts = gan.ring_quality(ring_points(2000, modes=[3]))
    assert near > 0.99 and sum(c >= 62 for c in counts) == 1
    # a sigmoid output lives in (0, 1)^2: no mode is reachable
    near, counts = gan.ring_quality(np.random.default_rng(1).uniform(0, 1, size=(2000, 2)))
    assert near == 0.0 and counts == [0] * 8
    assert gan.ring_quality(np.full((10, 2), np.nan)) == (0.0, [0] * 8)
    with pytest.raises(CheckFailed, match=r"shape \(n, 2\)"):
        gan.ring_quality(np.zeros((10, 3)))


def run(near=0.8, counts=(250,) * 8, d=0.6, g=0.9, seed=11):
    return gan.RingRun(seed, np.full(100, d), np.full(100, g), near, list(counts), [seed])


def test_a_healthy_run_passes_and_each_failure_names_its_symptom():
    assert run().passes
    assert "discriminator's loss averaged" in run(d=1e-4).balance_problem
    assert "fools the discriminator every time" in run(g=1e-4).balance_problem
    assert "logits" in run(d=8.0, g=16.0).balance_problem
    with pytest.raises(CheckFailed, match="only 10% of 2,000 samples"):
        gan.check_near_modes(run(near=0.1))
    with pytest.raises(CheckFailed, match="covers 2 of the ring's 8 modes"):
        gan.check_mode_coverage(run(counts=(1000, 1000, 0, 0, 0, 0, 0, 0)))
    gan.check_balance(run())


def test_histories_must_hold_one_finite_loss_per_step():
    gan.check_histories({"d_loss": [0.5] * 5, "g_loss": [1.0] * 5}, 5)
    with pytest.raises(CheckFailed, match='keys "d_loss" and "g_loss"'):
        gan.check_histories({"loss": []}, 5)
    with pytest.raises(CheckFailed, match="5 values, but it has shape"):
        gan.check_histories({"d_loss": [0.5] * 4, "g_loss": [1.0] * 5}, 5)
    with pytest.raises(CheckFailed, match="not finite from step 2"):
        gan.check_histories({"d_loss": [0.5, 0.5, float("nan"), 1, 1], "g_loss": [1.0] * 5}, 5)


def test_weight_checks_name_the_step_and_the_symptom():
    before = [np.zeros((2, 2)), np.zeros(2)]
    moved = [np.ones((2, 2)), np.zeros(2)]
    with pytest.raises(CheckFailed, match="the discriminator's weights did not change during discriminator_step"):
        gan.check_weights_moved(before, before, "the discriminator's", "discriminator_step", True)
    with pytest.raises(CheckFailed, match="the discriminator's weights changed during generator_step"):
        gan.check_weights_moved(before, moved, "the discriminator's", "generator_step", False)
    gan.check_weights_moved(before, moved, "the generator's", "generator_step", True)


def test_verdict_checks_say_which_way_the_output_should_move():
    gan.check_verdicts_move((0.5, 0.5), (0.9, 0.3), "rise", "fall", "50 calls of discriminator_step")
    with pytest.raises(CheckFailed, match="on the generator's fakes went from 0.5 to 0.8; it should have fallen"):
        gan.check_verdicts_move((0.5, 0.5), (0.9, 0.8), "rise", "fall", "50 calls of discriminator_step")
    gan.check_verdicts_move((0.5, 0.5), (0.1, 0.6), None, "rise", "20 calls of generator_step")


class FakeGenerator:
    """Stands in for a Keras generator: untrained, it maps z near 0; train_gan "trains" it (one weight) to make
    the given points. Its samples depend on z and on its weights, as a trained network's do."""

    def __init__(self, points):
        self.points, self.scale = np.asarray(points, dtype=float), np.array([0.01])

    def get_weights(self):
        return [self.scale.copy()]

    def set_weights(self, values):
        self.scale = np.array(values[0], dtype=float)

    def predict_on_batch(self, z):
        z = np.asarray(z, dtype=float)
        return self.scale[0] * self.points[: len(z)] + 1e-3 * z[:, :2]


def fake_training(outcomes, trains=True):
    """A train_gan whose generator ends up as outcomes[i] on its i-th call; records the seeds it was given."""
    calls = []
    generators = []

    def make_generator(latent_dim):
        generators.append(FakeGenerator(outcomes[len(generators)]))
        return generators[-1]

    def train_gan(generator, discriminator, sample_real, steps, batch_size, seed):
        calls.append(seed)
        if trains:
            generator.scale = np.array([1.0])
        return {"d_loss": [0.6] * steps, "g_loss": [0.9] * steps}

    return train_gan, make_generator, lambda: None, calls


def test_best_of_three_stops_at_the_first_passing_run():
    good, collapsed = ring_points(2000), ring_points(2000, modes=[0])
    train_gan, make_generator, make_discriminator, calls = fake_training([collapsed, good, good])
    best = gan.best_ring_run(train_gan, make_generator, make_discriminator, None, steps=10)
    assert best.passes and best.seed == 22 and calls == [11, 22] and best.seeds_tried == [11, 22]


def test_best_of_three_gives_up_on_a_hopeless_run_and_reports_the_best():
    far = np.full((2000, 2), 0.5)  # a sigmoid-output generator: nowhere near the ring
    train_gan, make_generator, make_discriminator, calls = fake_training([far, far, far])
    best = gan.best_ring_run(train_gan, make_generator, make_discriminator, None, steps=10)
    assert not best.passes and calls == [11]
    collapsed = ring_points(2000, modes=[0])
    train_gan, make_generator, make_discriminator, calls = fake_training([collapsed, collapsed, collapsed])
    best = gan.best_ring_run(train_gan, make_generator, make_discriminator, None, steps=10)
    assert not best.passes and calls == [11, 22, 33] and "seeds 11, 22, 33" in best.describe()


class RingSampler(FakeGenerator):
    """A "generator" whose samples come from the ring whatever its weights: drawn with numpy on every call."""

    def predict_on_batch(self, z):
        return ring_points(len(z), seed=int(np.random.default_rng().integers(1 << 30)))


def test_ring_samples_that_training_did_not_make_lose_the_quality_points_only():
    train_gan, _, make_discriminator, calls = fake_training([None] * 3)
    best = gan.best_ring_run(train_gan, lambda latent_dim: RingSampler(None), make_discriminator, None, steps=10)
    assert not best.passes and calls == [11]  # a shortcut is the code's: no other seed is tried
    assert best.untrained_near_fraction > 0.9 and "before the checker trained it" in best.shortcut
    for check in (gan.check_near_modes, gan.check_mode_coverage):
        with pytest.raises(CheckFailed, match="already put 100% of its samples near the ring's modes"):
            check(best)
    gan.check_balance(best)  # the losses were not faked: that point stays

    # samples on the ring that do not depend on the generator's weights
    class WeightlessAfterTraining(FakeGenerator):
        def predict_on_batch(self, z):
            return self.points[: len(z)] * (0.01 if self.scale[0] == 0.01 else 1.0) + 1e-3 * np.asarray(z)[:, :2]

    good = ring_points(2000)
    train_gan, _, make_discriminator, _ = fake_training([good])
    best = gan.best_ring_run(train_gan, lambda latent_dim: WeightlessAfterTraining(good), make_discriminator,
                             None, steps=10)
    assert "do not come from its weights" in best.shortcut and not best.passes

    # samples that moved onto the ring while train_gan left the generator's weights as they were
    class Switched(FakeGenerator):
        switched_on = False

        def predict_on_batch(self, z):  # its weight starts at 0.01; the switch, not the weight, moves it
            factor = 100.0 if self.switched_on else 1.0
            return factor * self.scale[0] * self.points[: len(z)] + 1e-3 * np.asarray(z)[:, :2]

    def switch_on(generator, *args):
        generator.switched_on = True
        return {"d_loss": [0.6] * 10, "g_loss": [0.9] * 10}

    best = gan.best_ring_run(switch_on, lambda latent_dim: Switched(good), make_discriminator, None, steps=10)
    assert "weights did not change while train_gan trained it" in best.shortcut and not best.passes


def test_a_real_training_of_the_fake_generator_passes_every_shortcut_check():
    train_gan, make_generator, make_discriminator, _ = fake_training([ring_points(2000)])
    best = gan.best_ring_run(train_gan, make_generator, make_discriminator, None, steps=10)
    assert best.passes and best.shortcut == "" and best.untrained_near_fraction == 0.0
    gan.check_near_modes(best)
    gan.check_mode_coverage(best)


class DigitsGenerator:
    """A tiny digits "generator": 64 pixels made from 16 latent numbers by a weight matrix."""

    input_shape = (None, 16)

    def __init__(self, copies=False):
        self.w = np.random.default_rng(0).normal(size=(16, 64)) * 0.3
        self.copies = copies

    def get_weights(self):
        return [self.w.copy()]

    def set_weights(self, values):
        self.w = np.array(values[0], dtype=float)

    def predict_on_batch(self, z):
        if self.copies:  # the weights choose a real digit: every sample is a copy
            from autograder.checks.digits import all_real_digits

            chosen = np.argmax(np.asarray(z) @ self.w, axis=1) * 20
            return all_real_digits()[chosen] * 2.0 - 1.0
        return np.tanh(np.asarray(z) @ self.w)


def test_digit_samples_copied_from_the_data_set_lose_question_4():
    own = gan_digits.digits_run(DigitsGenerator())
    assert own.shortcut == "" and own.copies.copies == 0
    copied = gan_digits.digits_run(DigitsGenerator(copies=True))
    assert copied.copies.fraction == 1.0 and copied.dependence.weight_effect > 0.05
    for check in (gan_digits.check_digit_classes, gan_digits.check_digit_confidence, gan_digits.check_digit_frechet):
        run = gan_digits.DigitsRun(DigitsQuality(10, [100] * 10, 0.95, 0.0, 5.0), copied.copies, copied.dependence,
                                   copied.samples)
        with pytest.raises(CheckFailed, match="1000 of 1000 samples .100%. are copies of scikit-learn's digits"):
            check(run)


def test_digit_samples_are_checked_for_shape_and_mapped_to_unit_pixels():
    class Generator:
        input_shape = (None, 4)

        def __init__(self, shape, value=0.0):
            self.shape, self.value = shape, value

        def predict_on_batch(self, z):
            return np.full((len(z),) + self.shape, self.value)

    images = gan_digits.digits_samples(Generator((64,), value=-1.0), 5)
    assert images.shape == (5, 64) and np.all(images == 0.0)  # -1 is blank paper
    assert gan_digits.digits_samples(Generator((8, 8, 1), value=1.0), 3).max() == 1.0
    with pytest.raises(CheckFailed, match=r"shape \(5, 64\), but it returned shape \(5, 2\)"):
        gan_digits.digits_samples(Generator((2,)), 5)
    with pytest.raises(CheckFailed, match="not all finite"):
        gan_digits.digits_samples(Generator((64,), value=np.nan), 5)


def test_memo_shares_one_result_within_a_question_and_computes_outside():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert memo("k", compute) == 1 and memo("k", compute) == 2  # no question running: no sharing
    _, token = collecting_artifacts()
    try:
        assert memo("k", compute) == 3 and memo("k", compute) == 3
    finally:
        stop_collecting(token)
    _, token = collecting_artifacts()  # the next question (or submission) starts afresh
    try:
        assert memo("k", compute) == 4
    finally:
        stop_collecting(token)


def test_memo_shares_a_failure_too():
    calls = []

    def broken():
        calls.append(1)
        raise CheckFailed("training diverged")

    _, token = collecting_artifacts()
    try:
        for _ in range(2):
            with pytest.raises(CheckFailed, match="training diverged"):
                memo("k", broken)
    finally:
        stop_collecting(token)
    assert len(calls) == 1


def test_a_generator_claiming_a_huge_latent_size_is_refused_before_anything_is_allocated():
    class Huge:
        input_shape = (None, 10**9)

    with pytest.raises(CheckFailed, match="latent vectors of 1000000000 numbers; the notebook's take 16"):
        gan_digits.digits_samples(Huge(), 1000)
