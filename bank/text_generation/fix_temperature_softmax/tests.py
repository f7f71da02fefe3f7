from otter.test_files import test_case

name = "fix_temperature_softmax"


def _reference(logits, temperature, np):
    scaled = logits / temperature
    weights = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    return weights / weights.sum(axis=-1, keepdims=True)


def _compare(temperature_softmax, logits, temperature, np):
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        probs = np.asarray(temperature_softmax(logits.copy(), temperature), dtype=float)
    assert probs.shape == logits.shape, (
        f"for logits of shape {logits.shape}, temperature_softmax returned shape {probs.shape}")
    assert np.all(np.isfinite(probs)), (
        f"for logits of shape {logits.shape} (largest logit {logits.max():.0f}) at T = {temperature}, the result "
        "has nan or inf values: make the softmax numerically stable")
    assert np.allclose(probs, _reference(logits, temperature, np), atol=1e-8), (
        f"for logits of shape {logits.shape} at T = {temperature}, the probabilities are not softmax(row / T) "
        "for every row")


@test_case(points=1, hidden=True)
def test_single_row(temperature_softmax, params, np):
    rng = np.random.default_rng(params["test_seed"])
    for temperature in (0.5, 1.0, 2.0):
        _compare(temperature_softmax, rng.normal(size=(1, 6)), temperature, np)


@test_case(points=2, hidden=True)
def test_batches_and_large_logits(temperature_softmax, params, np):
    rng = np.random.default_rng(params["test_seed"] + 1)
    for shape, temperature, offset in (((3, 5), 0.7, 0.0), ((4, 10), 1.5, 0.0), ((2, 8), 0.5, 800.0)):
        _compare(temperature_softmax, rng.normal(size=shape) * 3.0 + offset, temperature, np)
