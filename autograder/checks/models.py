"""Model structure: shapes, parameter budgets, layer kinds, final activation.

``model_summary`` reads a Keras model (a real one, or a proxy of one in the student's kernel) through its
public API into plain data; the checks take that data.
"""

from __future__ import annotations

from autograder.checks.base import CheckFailed


def model_summary(model) -> dict:
    """{"params": int, "layers": [{"kind": class name, "activation": str | None, "units": int | None}]}.

    Nested models (an autoencoder made of an encoder and a decoder) are flattened.
    """
    layers = []

    def visit(layer) -> None:
        inner = _call(layer, "layers")
        if isinstance(inner, list) and inner:
            for child in inner:
                visit(child)
            return
        config = _call(layer, "get_config") or {}
        kind = _class_name(layer)
        activation = config.get("activation") if isinstance(config, dict) else None
        if isinstance(activation, dict):  # Keras serialises some activations as configs
            activation = activation.get("config", {}).get("name") or activation.get("class_name")
        layers.append({"kind": kind, "activation": activation,
                       "units": config.get("units") if isinstance(config, dict) else None})

    visit(model)
    return {"params": int(model.count_params()), "layers": layers}


def _call(obj, name):
    try:
        value = getattr(obj, name)
        return value() if callable(value) and name.startswith("get_") else value
    except Exception:  # a subclassed model may not implement get_config; treat as unknown
        return None


def _class_name(obj) -> str:
    from autograder.bridge.proxy import Proxy, type_name

    if isinstance(obj, Proxy):
        return type_name(obj).rsplit(".", 1)[-1]
    return type(obj).__name__


def check_shape(shape, expected, what: str) -> None:
    """``expected`` may hold None for any size (the batch dimension, say)."""
    shape = tuple(shape)
    if len(shape) != len(expected) or any(e is not None and s != e for s, e in zip(shape, expected)):
        wanted = "(" + ", ".join("any" if e is None else str(e) for e in expected) + ")"
        raise CheckFailed(f"{what} has shape {shape}, but it should be {wanted}")


def check_parameter_budget(params: int, maximum: int, what: str = "the model") -> None:
    if params > maximum:
        raise CheckFailed(f"{what} has {params:,} weights; stay within {maximum:,} (a smaller network does this "
                          "task well)")


def check_layer_kinds(summary: dict, required_any: set[str] = frozenset(), forbidden: set[str] = frozenset(),
                      what: str = "the model") -> None:
    kinds = [layer["kind"] for layer in summary["layers"]]
    if required_any and not set(kinds) & set(required_any):
        raise CheckFailed(f"{what} has layers {kinds}; it needs at least one of {sorted(required_any)}")
    bad = sorted(set(kinds) & set(forbidden))
    if bad:
        raise CheckFailed(f"{what} uses {bad}, which this question does not allow")


def check_final_activation(summary: dict, allowed: set[str], what: str = "the model") -> None:
    activations = [layer["activation"] for layer in summary["layers"] if layer["activation"] is not None]
    last = activations[-1] if activations else None
    if last not in allowed:
        raise CheckFailed(f"the last activation of {what} is {last!r}; use {' or '.join(sorted(allowed))}")
