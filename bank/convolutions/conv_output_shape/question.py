import random


def _conv(n, kernel, stride, padding):
    return -(-n // stride) if padding == "same" else (n - kernel) // stride + 1


def _shape(params, padding=None, channels=None, pool=True):
    padding = padding or params["padding"]
    sizes = [_conv(params[axis], params["kernel"], params["stride"], padding) for axis in ("height", "width")]
    if pool:
        sizes = [n // params["pool"] for n in sizes]
    return (*sizes, channels or params["filters"])


def generate(seed):
    rng = random.Random(seed)
    height = rng.choice([28, 32, 45, 64, 100])
    return {"height": height, "width": rng.choice([height, height, 50, 75]), "channels": rng.choice([1, 3]),
            "filters": rng.choice([8, 16, 32, 64]), "kernel": rng.choice([3, 5, 7]), "stride": rng.choice([1, 2]),
            "padding": rng.choice(["same", "valid"]), "pool": rng.choice([2, 3])}


def solution(params):
    return f"conv_output_shape = {_shape(params)}"


def mistakes(params):
    other = "valid" if params["padding"] == "same" else "same"
    wrong = {"the other padding": _shape(params, padding=other),
             "kept the input channels": _shape(params, channels=params["channels"]),
             "forgot the pooling": _shape(params, pool=False)}
    return {label: f"conv_output_shape = {shape}" for label, shape in wrong.items() if shape != _shape(params)}
