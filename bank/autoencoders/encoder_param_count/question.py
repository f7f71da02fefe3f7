import random


def generate(seed):
    rng = random.Random(seed)
    side = rng.choice([28, 32, 48, 64])
    depth = rng.choice([1, 2, 2, 3])
    widths = sorted(rng.sample([1024, 512, 400, 256, 128, 64], depth), reverse=True)
    return {"height": side, "width": side, "channels": rng.choice([1, 3]), "hidden": widths,
            "latent": rng.choice([2, 8, 16, 32])}


def _sizes(params):
    return [params["height"] * params["width"] * params["channels"], *params["hidden"], params["latent"]]


def _count(params, biases=True, last=True):
    sizes = _sizes(params) if last else _sizes(params)[:-1]
    return sum(n_in * n_out + (n_out if biases else 0) for n_in, n_out in zip(sizes, sizes[1:]))


def solution(params):
    return f"encoder_param_count = {_count(params)}"


def mistakes(params):
    return {"no biases": f"encoder_param_count = {_count(params, biases=False)}",
            "forgot the latent layer": f"encoder_param_count = {_count(params, last=False)}"}
