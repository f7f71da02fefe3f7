from otter.test_files import test_case

name = "attention_weights"


def _expected(params, np):
    q, keys, values = np.array(params["query"]), np.array(params["keys"]), np.array(params["values"])
    scores = keys @ q / np.sqrt(len(q))
    scores = np.where(np.array(params["tokens"]) == "[PAD]", -np.inf, scores)
    weights = np.exp(scores - scores.max())
    weights = weights / weights.sum()
    return weights, weights @ values


@test_case(points=2, hidden=True)
def test_attention_weights(attention_weights, params, np):
    from autograder.checks.answers import check_numbers
    check_numbers(attention_weights, _expected(params, np)[0], "attention_weights", rel=1e-3, abs_tol=0.005)


@test_case(points=1, hidden=True)
def test_attention_output(attention_output, params, np):
    from autograder.checks.answers import check_numbers
    check_numbers(attention_output, _expected(params, np)[1], "attention_output", rel=1e-3, abs_tol=0.005)
