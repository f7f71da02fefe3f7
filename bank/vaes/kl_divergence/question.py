import math
import random


def generate(seed):
    rng = random.Random(seed)
    size = rng.choice([2, 3, 4])
    while True:  # until every mistake below is clearly off: mu not all near 0, sigma^2 not too close to sigma
        params = {"mu": [round(rng.uniform(-1.5, 1.5), 1) for _ in range(size)],
                  "log_var": [round(rng.uniform(-1.6, 0.8), 1) for _ in range(size)]}
        if min(abs(_kl(params) - _kl(params, mean=False)),
               abs(_kl(params) - _kl(params, variance=lambda v: math.exp(v / 2)))) > 0.1:
            return {**params, "item": rng.choice(["image", "policy record", "claim"])}


def _kl(params, variance=math.exp, mean=True, half=0.5):
    return half * sum((m * m if mean else 0.0) + variance(v) - v - 1 for m, v in zip(params["mu"], params["log_var"]))


def solution(params):
    return f"kl_divergence = {_kl(params)!r}"


def mistakes(params):
    return {"no factor 1/2": f"kl_divergence = {_kl(params, half=1.0)!r}",
            "forgot mu squared": f"kl_divergence = {_kl(params, mean=False)!r}",
            "sigma for sigma squared": f"kl_divergence = {_kl(params, variance=lambda v: math.exp(v / 2))!r}"}
