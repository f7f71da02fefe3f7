"""The checks library: pure functions, each failure message saying what was expected and what was found."""

import numpy as np
import pytest

from autograder.checks import (
    Band,
    CheckFailed,
    check_auc_at_least,
    check_decreases,
    check_distribution,
    check_epochs,
    check_final_activation,
    check_finite,
    check_in_band,
    check_layer_kinds,
    check_no_late_divergence,
    check_parameter_budget,
    check_shape,
    check_value_range,
    chi_square_pvalue,
    mean_squared_error,
    model_summary,
    roc_auc,
)


def fails(check, *args, match: str, **kwargs):
    with pytest.raises(CheckFailed, match=match):
        check(*args, **kwargs)


def test_history_checks_pass_a_healthy_curve_and_name_each_problem():
    healthy = [0.5, 0.3, 0.2, 0.15, 0.12, 0.11, 0.105, 0.1, 0.1, 0.099]
    check_finite(healthy)
    check_epochs(healthy, 10)
    check_decreases(healthy, 0.5)
    check_no_late_divergence(healthy)
    fails(check_finite, [0.5, float("nan")], match="became nan at epoch 2")
    fails(check_epochs, [0.5], 10, match="trained for 1 epoch")
    fails(check_decreases, [0.5, 0.45], 0.5, match="went from 0.5 .* to 0.45")
    fails(check_no_late_divergence, [0.5, 0.2, 0.11, 0.12, 0.14, 0.16, 0.18, 0.19],
          match=r"rose from 0.11 to 0.19 over the last 5 epochs")
    assert issubclass(CheckFailed, AssertionError)


def test_roc_auc_matches_its_definition_with_ties():
    assert roc_auc([0, 1], [2, 3]) == 1.0
    assert roc_auc([2, 3], [0, 1]) == 0.0
    assert roc_auc([1, 1], [1, 1]) == 0.5
    rng = np.random.default_rng(0)
    normal, anomalous = rng.normal(size=300), rng.normal(1, size=200)
    pairs = (anomalous[:, None] > normal[None, :]).mean()
    assert roc_auc(normal, anomalous) == pytest.approx(pairs)
    fails(check_auc_at_least, 0.6, 0.9, "noise images", match="ROC AUC 0.6, but at least 0.9")


def test_metric_and_range_checks():
    assert mean_squared_error(np.ones((2, 2)), np.zeros((2, 2))) == 1.0
    fails(mean_squared_error, np.ones((2, 2)), np.ones(3), match="shape")
    check_in_band(0.02, Band(0, 0.03), "the test reconstruction error")
    fails(check_in_band, 0.05, Band(float("-inf"), 0.03), "the test reconstruction error",
          match="was 0.05; it should be at most 0.03")
    check_value_range([0, 0.5, 1], 0, 1, "the outputs")
    fails(check_value_range, [-0.2, 1.3], 0, 1, "the decoder's outputs", match=r"range from -0.2 to 1.3")


def test_sampling_checks_accept_the_right_distribution_and_reject_a_wrong_one():
    rng = np.random.default_rng(1)
    probabilities = np.array([0.5, 0.3, 0.2, 0.0])
    draws = rng.choice(4, size=20000, p=probabilities)
    assert chi_square_pvalue(draws, probabilities) > 1e-3
    check_distribution(draws, probabilities, "the draws")
    fails(check_distribution, rng.choice(4, size=20000, p=[0.4, 0.4, 0.2, 0.0]), probabilities, "the draws",
          match="do not follow")
    assert chi_square_pvalue(np.array([3, 0]), probabilities) == 0.0  # an impossible draw


def test_structure_checks_on_a_plain_summary():
    summary = {"params": 5000, "layers": [{"kind": "Dense", "activation": "relu", "units": 64},
                                          {"kind": "Dense", "activation": "sigmoid", "units": 64},
                                          {"kind": "Reshape", "activation": None, "units": None}]}
    check_shape((None, 16), (None, 16), "the encoder's output")
    fails(check_shape, (None, 64), (None, 16), "the encoder's output", match=r"\(any, 16\)")
    check_parameter_budget(summary["params"], 10_000)
    fails(check_parameter_budget, 50_000, 10_000, match="50,000 weights")
    check_layer_kinds(summary, required_any={"Dense", "Conv2D"})
    fails(check_layer_kinds, summary, forbidden={"Dense"}, match="does not allow")
    check_final_activation(summary, {"sigmoid"})
    fails(check_final_activation, summary, {"linear"}, match="is 'sigmoid'")


def test_model_summary_reads_a_real_keras_model():
    keras = pytest.importorskip("keras")
    encoder = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(16, "relu")])
    decoder = keras.Sequential([keras.Input((16,)), keras.layers.Dense(64, "sigmoid"), keras.layers.Reshape((8, 8, 1))])
    autoencoder = keras.Sequential([encoder, decoder])
    summary = model_summary(autoencoder)
    assert summary["params"] == (64 * 16 + 16) + (16 * 64 + 64)
    assert [layer["kind"] for layer in summary["layers"]] == ["Flatten", "Dense", "Dense", "Reshape"]
    check_final_activation(summary, {"sigmoid"})
