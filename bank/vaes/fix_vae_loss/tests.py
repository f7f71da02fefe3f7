from otter.test_files import test_case

name = "fix_vae_loss"


def _batch(rng, batch, features, latent):
    x = (rng.random((batch, features)) < 0.4).astype(float)
    return x, rng.uniform(0.05, 0.95, (batch, features)), rng.normal(size=(batch, latent)), rng.normal(
        scale=0.8, size=(batch, latent))


def _reference(x, x_decoded, mu, log_var, beta, np):
    bce = -(x * np.log(x_decoded + 1e-7) + (1 - x) * np.log(1 - x_decoded + 1e-7))
    kl = -0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var), axis=1)
    return float(np.mean(bce.sum(axis=1) + beta * kl))


def _check(vae_loss, sizes, params, seed, np):
    rng = np.random.default_rng(seed)
    for batch, features, latent in sizes:
        arrays = _batch(rng, batch, features, latent)
        loss = vae_loss(*(a.copy() for a in arrays))
        assert np.size(loss) == 1, (
            f"vae_loss should return one number (the batch mean), not an array of shape {np.shape(loss)}")
        assert np.isclose(float(loss), _reference(*arrays, params["beta"], np), rtol=1e-6), (
            f"for a batch of {batch} with {features} features and latent dimension {latent}, the loss is not "
            "right: check the sign and the variance in the KL term, the sums and the mean, and where beta goes")


@test_case(points=2, hidden=True)
def test_one_batch(vae_loss, params, np):
    _check(vae_loss, [(4, 10, 3)], params, params["test_seed"], np)


@test_case(points=2, hidden=True)
def test_other_sizes(vae_loss, params, np):
    _check(vae_loss, [(1, 6, 2), (7, 20, 5), (16, 3, 8)], params, params["test_seed"] + 1, np)
