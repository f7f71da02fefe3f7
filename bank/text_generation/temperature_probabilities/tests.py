from otter.test_files import test_case

name = "temperature_probabilities"


@test_case(points=3, hidden=True)
def test_temperature_probs(temperature_probs, params, np):
    from autograder.checks.answers import check_numbers
    scaled = np.array(params["logits"]) / params["temperature"]
    expected = np.exp(scaled - scaled.max()) / np.exp(scaled - scaled.max()).sum()
    check_numbers(temperature_probs, expected, "temperature_probs (in the order of the table)", rel=1e-3,
                  abs_tol=0.005)
