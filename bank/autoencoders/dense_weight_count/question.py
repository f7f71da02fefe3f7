import random


def generate(seed):
    rng = random.Random(seed)
    side = rng.choice([28, 32, 40, 64, 80])
    return {"height": side, "width": side, "channels": rng.choice([1, 1, 3]),
            "units": rng.choice([64, 100, 128, 256, 400, 512])}


def _inputs(params):
    return params["height"] * params["width"] * params["channels"]


def solution(params):
    return f"dense_weight_count = {_inputs(params) * params['units'] + params['units']}"


def mistakes(params):
    return {"no biases": f"dense_weight_count = {_inputs(params) * params['units']}",
            "one channel": f"dense_weight_count = {params['height'] * params['width'] * params['units'] + 1}"}
