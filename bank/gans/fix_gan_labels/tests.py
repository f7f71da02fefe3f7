from otter.test_files import test_case

name = "fix_gan_labels"


def _bce(labels, probs, np):
    probs = np.clip(probs, 1e-7, 1 - 1e-7)
    return -np.mean(labels * np.log(probs) + (1 - labels) * np.log(1 - probs))


def _losses(gan_losses, params, seed, np):
    rng = np.random.default_rng(seed)
    for real_size, fake_size in ((1, 1), (8, 8), (16, 5)):
        d_real, d_fake = rng.uniform(0.02, 0.98, real_size), rng.uniform(0.02, 0.98, fake_size)
        result = gan_losses(d_real.copy(), d_fake.copy())
        assert isinstance(result, (tuple, list)) and len(result) == 2, "gan_losses should return (d_loss, g_loss)"
        expected_d = _bce(np.full_like(d_real, params["real_label"]), d_real, np) + _bce(np.zeros_like(d_fake),
                                                                                         d_fake, np)
        yield (real_size, fake_size), float(np.squeeze(result[0])), expected_d, float(np.squeeze(result[1])), _bce(
            np.ones_like(d_fake), d_fake, np)


@test_case(points=2, hidden=True)
def test_discriminator_loss(gan_losses, params, np):
    for sizes, d_loss, expected, _, _ in _losses(gan_losses, params, params["test_seed"], np):
        assert np.isclose(d_loss, expected, rtol=1e-6), (
            f"for batches of {sizes[0]} real and {sizes[1]} generated images, d_loss is not right: which target "
            "should the discriminator have for real images, and which for generated ones?")


@test_case(points=2, hidden=True)
def test_generator_loss(gan_losses, params, np):
    for sizes, _, _, g_loss, expected in _losses(gan_losses, params, params["test_seed"] + 1, np):
        assert np.isclose(g_loss, expected, rtol=1e-6), (
            f"for batches of {sizes[0]} real and {sizes[1]} generated images, g_loss is not right: on which "
            "outputs, and towards which target, is the generator trained?")
