"""The GAN checks of gan_debug (autograder/checks/gan.py) and the per-question memo they rely on."""

import numpy as np
import pytest

from autograder.checks import CheckFailed, gan
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
    """Stands in for a trained Keras generator: predict_on_batch draws from a fixed point set."""

    def __init__(self, points):
        self.points = points

    def predict_on_batch(self, z):
        return self.points[: len(z)]


def fake_training(outcomes):
    """A train_gan whose generator ends up as outcomes[i] on its i-th call; records the seeds it was given."""
    calls = []
    generators = []

    def make_generator(latent_dim):
        generators.append(FakeGenerator(outcomes[len(generators)]))
        return generators[-1]

    def train_gan(generator, discriminator, sample_real, steps, batch_size, seed):
        calls.append(seed)
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


def test_digit_samples_are_checked_for_shape_and_mapped_to_unit_pixels():
    class Generator:
        input_shape = (None, 4)

        def __init__(self, shape, value=0.0):
            self.shape, self.value = shape, value

        def predict_on_batch(self, z):
            return np.full((len(z),) + self.shape, self.value)

    images = gan.digits_samples(Generator((64,), value=-1.0), 5)
    assert images.shape == (5, 64) and np.all(images == 0.0)  # -1 is blank paper
    assert gan.digits_samples(Generator((8, 8, 1), value=1.0), 3).max() == 1.0
    with pytest.raises(CheckFailed, match=r"shape \(5, 64\), but it returned shape \(5, 2\)"):
        gan.digits_samples(Generator((2,)), 5)
    with pytest.raises(CheckFailed, match="not all finite"):
        gan.digits_samples(Generator((64,), value=np.nan), 5)


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
