import random


def generate(seed):
    rng = random.Random(seed)
    layers = []
    for filters in sorted(rng.sample([8, 16, 32, 64, 128], 2), reverse=True) + [rng.choice([1, 3])]:
        stride = rng.choice([1, 2, 2])
        layers.append({"filters": filters, "kernel": rng.choice([k for k in (3, 4, 5) if k >= stride]),
                       "stride": stride, "padding": rng.choice(["same", "valid"])})
    if all(layer["padding"] == "same" for layer in layers):
        layers[rng.randrange(3)]["padding"] = "valid"
    return {"latent": rng.choice([2, 16, 32, 64]), "side": rng.choice([3, 4, 5, 7]), "depth": rng.choice([32, 64]),
            "layers": layers}


def _size(params, rule):
    n = params["side"]
    for layer in params["layers"]:
        n = rule(n, layer["kernel"], layer["stride"], layer["padding"])
    return (n, n, params["layers"][-1]["filters"])


def _transpose(n, kernel, stride, padding):
    return n * stride + (max(kernel - stride, 0) if padding == "valid" else 0)


def solution(params):
    return f"decoder_output_shape = {_size(params, _transpose)}"


def mistakes(params):
    def as_conv(n, kernel, stride, padding):  # the size of an ordinary convolution, shrinking instead of growing
        return -(-n // stride) if padding == "same" else (n - kernel) // stride + 1

    return {"every layer as padding same": f"decoder_output_shape = {_size(params, lambda n, k, s, p: n * s)}",
            "the Conv2D formula": f"decoder_output_shape = {_size(params, as_conv)}"}
