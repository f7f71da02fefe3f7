from otter.test_files import test_case

name = "greedy_vs_beam"


def _best(params):
    words, first, second = params["words"], params["first"], params["second"]
    greedy_first = max(range(len(words)), key=lambda i: first[i])
    greedy = [words[greedy_first], words[max(range(len(words)), key=lambda j: second[greedy_first][j])]]
    kept = sorted(range(len(words)), key=lambda i: first[i], reverse=True)[:params["beam_width"]]
    probability, a, b = max((first[a] * second[a][b], a, b) for a in kept for b in range(len(words)))
    return greedy, [words[a], words[b]], probability


def _words(value, what):
    assert isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(w, str) for w in value), (
        f"{what} should be a list of two strings (words of the table)")
    return [w.strip().lower() for w in value]


@test_case(points=1, hidden=True)
def test_greedy_tokens(greedy_tokens, params):
    assert _words(greedy_tokens, "greedy_tokens") == _best(params)[0], (
        "greedy_tokens is not the greedy sequence: at each step greedy decoding takes the single most probable "
        "word given the words chosen so far")


@test_case(points=2, hidden=True)
def test_beam_tokens(beam_tokens, params):
    assert _words(beam_tokens, "beam_tokens") == _best(params)[1], (
        f"beam_tokens is not what beam search with width {params['beam_width']} returns: keep the "
        f"{params['beam_width']} most probable first words, extend each, and compare the products of probabilities")


@test_case(points=1, hidden=True)
def test_beam_probability(beam_probability, params):
    from autograder.checks.answers import check_number
    check_number(beam_probability, _best(params)[2], "beam_probability (P(first) x P(second | first))", rel=1e-3)
