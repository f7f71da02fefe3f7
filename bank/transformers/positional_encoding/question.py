import random


def generate(seed):
    rng = random.Random(seed)
    return {"max_wavelength": rng.choice([10000, 10000, 1000, 5000]), "length": rng.choice([50, 128, 256, 512]),
            "d_model": rng.choice([16, 64, 128, 256])}


def _code(params, exponent="2 * (dims // 2)", layout="interleaved"):
    if layout == "interleaved":
        body = "    return np.where(dims % 2 == 0, np.sin(angles), np.cos(angles))"
    else:  # the first half sines, the second half cosines
        body = "    return np.concatenate([np.sin(angles[:, ::2]), np.cos(angles[:, ::2])], axis=1)"
    return f'''
def positional_encoding(length, d_model):
    positions = np.arange(length)[:, None]
    dims = np.arange(d_model)[None, :]
    angles = positions / {params["max_wavelength"]} ** ({exponent} / d_model)
{body}
'''


def solution(params):
    return _code(params)


def mistakes(params):
    return {"j instead of 2i in the exponent": _code(params, exponent="dims"),
            "sines then cosines": _code(params, layout="halves"),
            "the textbook wavelength": _code({"max_wavelength": 10000 if params["max_wavelength"] != 10000 else 100})}
