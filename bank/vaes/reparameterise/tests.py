from otter.test_files import test_case

name = "reparameterise"


def _check(reparameterise, shape, rng, np):
    mu, eps = rng.normal(size=shape), rng.normal(size=shape)
    log_var = rng.uniform(-2.0, 1.0, size=shape)
    z = np.asarray(reparameterise(mu.copy(), log_var.copy(), eps.copy()), dtype=float)
    assert z.shape == shape, f"for inputs of shape {shape}, reparameterise returned shape {z.shape}"
    assert np.allclose(z, mu + np.exp(0.5 * log_var) * eps, atol=1e-8), (
        f"for inputs of shape {shape}, z is not mu + sigma * eps: check how you get sigma from log_var, "
        "and that you use the eps you are given")


@test_case(points=1, hidden=True)
def test_zero_noise_gives_the_mean(reparameterise, params, np):
    mu = np.random.default_rng(params["test_seed"]).normal(size=(3, params["latent"]))
    z = np.asarray(reparameterise(mu.copy(), np.zeros_like(mu), np.zeros_like(mu)), dtype=float)
    assert z.shape == mu.shape and np.allclose(z, mu), "with eps = 0, reparameterise should return mu itself"


@test_case(points=2, hidden=True)
def test_matches_the_trick(reparameterise, params, np):
    rng = np.random.default_rng(params["test_seed"] + 1)
    for shape in ((1, 2), (5, 3), (params["batch"], params["latent"])):
        _check(reparameterise, shape, rng, np)
