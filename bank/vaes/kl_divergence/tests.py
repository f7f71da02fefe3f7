from otter.test_files import test_case

name = "kl_divergence"


@test_case(points=3, hidden=True)
def test_kl_divergence(kl_divergence, params, np):
    from autograder.checks.answers import check_number
    mu, log_var = np.array(params["mu"]), np.array(params["log_var"])
    expected = -0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var))
    check_number(kl_divergence, expected, "kl_divergence (summed over the latent dimensions)", rel=1e-3,
                 abs_tol=0.005)
