from otter.test_files import test_case

name = "temperature_probabilities"


@test_case(points=3, hidden=True)
def test_temperature_probs(temperature_probs, params, np):
    from autograder.checks.answers import check_number
    words = params["words"]
    assert isinstance(temperature_probs, (list, tuple, np.ndarray)) and len(temperature_probs) == len(words), (
        f"temperature_probs should be a list of {len(words)} probabilities, in the order of the table")
    scaled = np.array(params["logits"]) / params["temperature"]
    expected = np.exp(scaled - scaled.max()) / np.exp(scaled - scaled.max()).sum()
    for index, (word, given, want) in enumerate(zip(words, temperature_probs, expected)):
        check_number(given, want, f"temperature_probs[{index}] (the probability of {word!r})", rel=1e-3, abs_tol=0.005)
