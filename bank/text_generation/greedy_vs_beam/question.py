import random

PROMPTS = {
    "The adjuster": ["called", "visited", "closed", "denied"],
    "Our model": ["predicts", "learns", "fails", "samples"],
    "The storm": ["damaged", "flooded", "hit", "missed"],
}


def _distribution(rng, size):
    """Distinct probabilities in steps of 0.05, summing to 1."""
    while True:
        cuts = sorted(rng.sample(range(1, 20), size - 1))
        probs = [(b - a) / 20 for a, b in zip([0, *cuts], [*cuts, 20])]
        if len(set(probs)) == size:
            return probs


def _decode(first, second, width):
    greedy_first = max(range(len(first)), key=first.__getitem__)
    greedy = (greedy_first, max(range(len(first)), key=second[greedy_first].__getitem__))
    kept = sorted(range(len(first)), key=first.__getitem__, reverse=True)[:width]
    candidates = [(first[a] * second[a][b], a, b) for a in kept for b in range(len(first))]
    return greedy, max(candidates), candidates


def generate(seed):
    rng = random.Random(seed)
    prompt = rng.choice(sorted(PROMPTS))
    words = PROMPTS[prompt][:rng.choice([3, 4])]
    want_different = rng.random() < 0.6
    while True:
        first = _distribution(rng, len(words))
        second = [_distribution(rng, len(words)) for _ in words]
        greedy, (best, a, b), candidates = _decode(first, second, 2)
        scores = sorted(round(p, 6) for p, _, _ in candidates)
        if scores[-1] - scores[-2] > 0.004 and ((a, b) != greedy) == want_different:
            break
    return {"prompt": prompt, "words": words, "first": first, "second": second, "beam_width": 2}


def _result(params):
    greedy, (best, a, b), _ = _decode(params["first"], params["second"], params["beam_width"])
    words = params["words"]
    return [words[i] for i in greedy], [words[a], words[b]], best


def _answer(greedy, beam, probability):
    return f"greedy_tokens = {greedy}\nbeam_tokens = {beam}\nbeam_probability = {round(probability, 6)}"


def solution(params):
    return _answer(*_result(params))


def mistakes(params):
    greedy, beam, probability = _result(params)
    first, second, words = params["first"], params["second"], params["words"]
    greedy_probability = first[words.index(greedy[0])] * second[words.index(greedy[0])][words.index(greedy[1])]
    wrong = {"the sum instead of the product": _answer(greedy, beam, first[words.index(beam[0])]
                                                       + second[words.index(beam[0])][words.index(beam[1])]),
             "the first word's probability only": _answer(greedy, beam, first[words.index(beam[0])])}
    if beam != greedy:
        wrong["beam search taken to be greedy"] = _answer(greedy, greedy, greedy_probability)
        wrong["greedy taken to be beam search"] = _answer(beam, beam, probability)
    return wrong
