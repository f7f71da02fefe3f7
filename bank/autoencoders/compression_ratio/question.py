import random


def generate(seed):
    rng = random.Random(seed)
    side = rng.choice([28, 32, 64, 96])
    channels = rng.choice([1, 3])
    if rng.random() < 0.5:
        latent = rng.choice([10, 16, 20, 24, 32, 48, 100])
        text, shape_text, size = f"`layers.Dense({latent})`", f"a vector of {latent} numbers", latent
    else:
        small = side // rng.choice([4, 8])
        filters = rng.choice([f for f in (4, 8, 16) if small * small * f * 2 <= side * side])
        text = f"a `Conv2D({filters}, 3, padding=\"same\")` layer on a {small} x {small} feature map"
        shape_text, size = f"a tensor of shape `({small}, {small}, {filters})`", small * small * filters
    return {"height": side, "width": side, "channels": channels, "bottleneck_text": text,
            "bottleneck_shape_text": shape_text, "latent_size": size}


def _ratio(params, channels=True):
    inputs = params["height"] * params["width"] * (params["channels"] if channels else 1)
    return inputs / params["latent_size"]


def solution(params):
    return f"compression_ratio = {_ratio(params)!r}"


def mistakes(params):
    wrong = {"inverted": f"compression_ratio = {1 / _ratio(params)!r}"}
    if params["channels"] > 1:
        wrong["ignored the colour channels"] = f"compression_ratio = {_ratio(params, channels=False)!r}"
    return wrong
