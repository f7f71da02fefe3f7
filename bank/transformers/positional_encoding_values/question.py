import math
import random

# wrong ways to compute PE, as arguments of _pe
MISTAKES = {"i instead of 2i in the exponent": {"pair": False}, "sin and cos swapped": {"swap": True},
            "angles taken as degrees": {"degrees": True}}


def _pe(pos, j, d_model, pair=True, swap=False, degrees=False):
    i = j // 2
    angle = pos / 10000 ** ((2 * i if pair else i) / d_model)
    angle = math.radians(angle) if degrees else angle
    return math.sin(angle) if (j % 2 == 0) != swap else math.cos(angle)


def _values(params, **mistake):
    return [_pe(params["pos"], j, params["d_model"], **mistake) for j in params["dims"]]


def generate(seed):
    rng = random.Random(seed)
    while True:  # until every mistake is clearly off
        d_model = rng.choice([16, 32, 64, 128])
        even = 2 * rng.randrange(1, d_model // 8)
        params = {"d_model": d_model, "pos": rng.randint(2, 60),
                  "dims": rng.sample([even, 2 * rng.randrange(1, d_model // 8) + 1], 2)}
        right = _values(params)
        if all(max(abs(a - b) for a, b in zip(right, _values(params, **how))) > 0.02 for how in MISTAKES.values()):
            return params


def solution(params):
    return f"pe_values = {_values(params)}"


def mistakes(params):
    return {label: f"pe_values = {_values(params, **how)}" for label, how in MISTAKES.items()}
