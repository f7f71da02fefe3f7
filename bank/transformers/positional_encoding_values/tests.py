from otter.test_files import test_case

name = "positional_encoding_values"


@test_case(points=2, hidden=True)
def test_pe_values(pe_values, params, np):
    from autograder.checks.answers import check_number
    assert isinstance(pe_values, (list, tuple, np.ndarray)) and len(pe_values) == 2, (
        "pe_values should be a list of two floats")
    for position, (value, j) in enumerate(zip(pe_values, params["dims"])):
        angle = params["pos"] / 10000 ** (2 * (j // 2) / params["d_model"])
        check_number(value, np.sin(angle) if j % 2 == 0 else np.cos(angle),
                     f"pe_values[{position}], PE({params['pos']}, {j}),", rel=1e-3, abs_tol=0.005)
