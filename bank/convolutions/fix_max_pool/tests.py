from otter.test_files import test_case

name = "fix_max_pool"


def _reference(x, pool, np):
    h, w = x.shape[0] // pool, x.shape[1] // pool
    out = np.empty((h, w, x.shape[2]))
    for i in range(h):
        for j in range(w):
            out[i, j] = x[i * pool:(i + 1) * pool, j * pool:(j + 1) * pool].max(axis=(0, 1))
    return out


def _run(max_pool2d, shapes, pool, seed, np):
    rng = np.random.default_rng(seed)
    for shape in shapes:
        x = rng.normal(size=shape)
        try:
            out = np.asarray(max_pool2d(x.copy(), pool), dtype=float)
        except Exception as error:  # noqa: BLE001 - a crash on some sizes is what a student should hear about
            raise AssertionError(f"max_pool2d raised {type(error).__name__} for an image of shape {shape} "
                                 f"with pool_size={pool}") from None
        expected = _reference(x, pool, np)
        assert out.shape == expected.shape, (
            f"for an image of shape {shape} and pool_size={pool}, max_pool2d returned shape {out.shape}; "
            "check the prompt for the expected shape")
        assert np.allclose(out, expected), (
            f"for an image of shape {shape} and pool_size={pool}, the values are not the block maxima; check how "
            "the image is cut into blocks and over which axes the maximum is taken")


@test_case(points=1, hidden=True)
def test_divisible_sizes(max_pool2d, params, np):
    _run(max_pool2d, [(4, 4, 1), (8, 6, 3)], 2, params["test_seed"], np)


@test_case(points=2, hidden=True)
def test_any_size(max_pool2d, params, np):
    _run(max_pool2d, [(7, 9, 2), (10, 5, 4)], 2, params["test_seed"] + 1, np)
    _run(max_pool2d, [(9, 9, 1), (11, 7, 3), (3, 3, 2)], 3, params["test_seed"] + 2, np)
