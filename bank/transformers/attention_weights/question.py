import math
import random

SENTENCES = [["the", "claim", "was", "paid"], ["a", "storm", "hit", "town"], ["our", "model", "learns", "fast"]]


def _attention(params, scale=True, mask=True):
    d = len(params["query"])
    scores = [sum(a * b for a, b in zip(params["query"], key)) / (math.sqrt(d) if scale else 1.0)
              for key in params["keys"]]
    hidden = [mask and token == "[PAD]" for token in params["tokens"]]
    weights = [0.0 if off else math.exp(s) for s, off in zip(scores, hidden)]
    weights = [w / sum(weights) for w in weights]
    output = [sum(w * value[i] for w, value in zip(weights, params["values"])) for i in range(len(params["values"][0]))]
    return weights, output


def generate(seed):
    rng = random.Random(seed)
    d = rng.choice([2, 3, 4])
    words = rng.choice(SENTENCES)
    real = rng.choice([2, 3, 3, 4])
    pads = 4 - real if real < 4 else 0
    tokens = words[:real] + ["[PAD]"] * pads
    while True:
        params = {"query": [rng.randint(-1, 2) for _ in range(d)],
                  "keys": [[rng.randint(-2, 2) for _ in range(d)] for _ in tokens],
                  "values": [[rng.randint(-3, 3) for _ in range(2)] for _ in tokens],
                  "tokens": tokens, "token": words[rng.randrange(real)], "padded": pads > 0}
        right = _attention(params)[0]
        others = [_attention(params, scale=False)[0]] + ([_attention(params, mask=False)[0]] if pads else [])
        if all(max(abs(a - b) for a, b in zip(right, other)) > 0.02 for other in others):
            return params


def _answer(weights, output):
    return (f"attention_weights = {[round(w, 4) for w in weights]}\n"
            f"attention_output = {[round(x, 4) for x in output]}")


def solution(params):
    return _answer(*_attention(params))


def mistakes(params):
    wrong = {"not scaled by sqrt(d_k)": _answer(*_attention(params, scale=False))}
    if params["padded"]:
        wrong["padding not masked"] = _answer(*_attention(params, mask=False))
    return wrong
