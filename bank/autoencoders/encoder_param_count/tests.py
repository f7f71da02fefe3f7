from otter.test_files import test_case

name = "encoder_param_count"


@test_case(points=3, hidden=True)
def test_encoder_param_count(encoder_param_count, params):
    from autograder.checks.answers import check_number
    sizes = [params["height"] * params["width"] * params["channels"], *params["hidden"], params["latent"]]
    expected = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes, sizes[1:]))
    check_number(encoder_param_count, expected, "encoder_param_count "
                 "(count every Dense layer's weights and biases, the latent layer included)", rel=0)
