from otter.test_files import test_case

name = "positional_encoding_values"


@test_case(points=2, hidden=True)
def test_pe_values(pe_values, params, np):
    from autograder.checks.answers import check_numbers
    angles = [params["pos"] / 10000 ** (2 * (j // 2) / params["d_model"]) for j in params["dims"]]
    expected = [np.sin(a) if j % 2 == 0 else np.cos(a) for a, j in zip(angles, params["dims"])]
    check_numbers(pe_values, expected, f"pe_values (PE({params['pos']}, j) for j in {params['dims']})", rel=1e-3,
                  abs_tol=0.005)
