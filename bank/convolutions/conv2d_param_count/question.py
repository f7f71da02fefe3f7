import random


def generate(seed):
    rng = random.Random(seed)
    filters1 = rng.choice([16, 32, 48, 64])
    return {"side": rng.choice([28, 32, 64]), "channels": rng.choice([1, 3]), "filters1": filters1,
            "kernel1": rng.choice([3, 5]), "stride1": rng.choice([1, 2]),
            "filters2": rng.choice([f for f in (32, 64, 96, 128) if f != filters1]), "kernel2": rng.choice([3, 4, 5])}


def _count(params, in_channels, biases=True):
    kernel, filters = params["kernel2"], params["filters2"]
    return kernel * kernel * in_channels * filters + (filters if biases else 0)


def solution(params):
    return f"conv2d_param_count = {_count(params, params['filters1'])}"


def mistakes(params):
    return {"no biases": f"conv2d_param_count = {_count(params, params['filters1'], biases=False)}",
            "the image's channels as input channels": f"conv2d_param_count = {_count(params, params['channels'])}"}
