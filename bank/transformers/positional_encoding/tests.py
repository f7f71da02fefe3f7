from otter.test_files import test_case

name = "positional_encoding"


def _reference(length, d_model, base, np):
    pe = np.zeros((length, d_model))
    for pos in range(length):
        for j in range(d_model):
            angle = pos / base ** (2 * (j // 2) / d_model)
            pe[pos, j] = np.sin(angle) if j % 2 == 0 else np.cos(angle)
    return pe


def _check(positional_encoding, length, d_model, params, np):
    pe = np.asarray(positional_encoding(length, d_model), dtype=float)
    assert pe.shape == (length, d_model), (
        f"positional_encoding({length}, {d_model}) should have shape ({length}, {d_model}), not {pe.shape}")
    assert np.allclose(pe, _reference(length, d_model, params["max_wavelength"], np), atol=1e-6), (
        f"positional_encoding({length}, {d_model}) has wrong values: check which dimensions get sin and cos, "
        "the exponent, and the wavelength")


@test_case(points=1, hidden=True)
def test_small(positional_encoding, params, np):
    _check(positional_encoding, 4, 4, params, np)


@test_case(points=2, hidden=True)
def test_other_sizes(positional_encoding, params, np):
    for length, d_model in ((10, 8), (33, 16), (20, params["d_model"])):
        _check(positional_encoding, length, d_model, params, np)
