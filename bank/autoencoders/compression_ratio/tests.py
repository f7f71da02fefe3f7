from otter.test_files import test_case

name = "compression_ratio"


@test_case(points=1, hidden=True)
def test_compression_ratio(compression_ratio, params):
    from autograder.checks.answers import check_number
    expected = params["height"] * params["width"] * params["channels"] / params["latent_size"]
    check_number(compression_ratio, expected, "compression_ratio (input values per latent value)", rel=1e-3)
