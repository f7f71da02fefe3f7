from otter.test_files import test_case

name = "fix_causal_mask"


def _reference(q, k, v, np):
    scores = q @ k.T / np.sqrt(k.shape[-1])
    scores = np.where(np.triu(np.ones((len(q), len(k)), dtype=bool), k=1), -np.inf, scores)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (weights / weights.sum(axis=-1, keepdims=True)) @ v


@test_case(points=1, hidden=True)
def test_output_shape(causal_attention, params, np):
    rng = np.random.default_rng(params["test_seed"])
    q, k, v = (rng.normal(size=(5, params["depth"])) for _ in range(3))
    out = np.asarray(causal_attention(q, k, v))
    assert out.shape == (5, params["depth"]), (
        f"causal_attention on a sequence of 5 should return shape (5, {params['depth']}), not {out.shape}")


@test_case(points=3, hidden=True)
def test_matches_causal_attention(causal_attention, params, np):
    rng = np.random.default_rng(params["test_seed"] + 1)
    for length in (1, 4, 9):
        q, k, v = (rng.normal(size=(length, params["depth"])) for _ in range(3))
        out = np.asarray(causal_attention(q, k, v), dtype=float)
        expected = _reference(q, k, v, np)
        assert out.shape == expected.shape and np.allclose(out, expected, atol=1e-6), (
            f"for a sequence of {length}, the output differs from causal scaled dot-product attention "
            f"(largest difference {np.abs(out - expected).max() if out.shape == expected.shape else 'shape'}); "
            "check the mask (which positions may a query see?), the fill value and the softmax's axis")
        first = np.asarray(causal_attention(q[:1], k[:1], v[:1]), dtype=float)
        assert np.allclose(first, v[:1], atol=1e-6), (
            "the first position can only attend to itself, so its output should equal v[0]")
