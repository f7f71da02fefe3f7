"""The wire format: every data type round-trips; nothing needs or accepts pickle."""

import base64
import io
import json
import math

import numpy as np
import pytest

from autograder.bridge import codec


def refuse(value):
    raise TypeError(f"no handle for {type(value).__name__}")


def roundtrip(value):
    text = codec.dumps({"v": codec.encode(value, refuse)})
    return codec.decode(codec.loads(text)["v"], lambda tagged: ("handle", tagged["id"]))


@pytest.mark.parametrize("value", [None, True, False, 0, -7, 2**80, 1.5, "text ü 漢字", "", b"\x00\xffbytes",
                                   [1, [2, 3]], (1, "a", (None,)), {"a": 1, 2: [3], (1, 2): "tuple key"}, []])
def test_plain_values_round_trip_with_their_types(value):
    back = roundtrip(value)
    assert back == value and type(back) is type(value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_round_trip(value):
    back = roundtrip(value)
    assert type(back) is float and (math.isnan(back) if math.isnan(value) else back == value)


@pytest.mark.parametrize("array", [np.arange(12, dtype=np.int64).reshape(3, 4), np.linspace(0, 1, 5, dtype=np.float32),
                                   np.array([True, False]), np.zeros((0, 3)), np.array(["ab", "c"]),
                                   np.array([1 + 2j]), np.ones((2, 2), dtype=[("x", "f4"), ("y", "i2")])])
def test_arrays_round_trip_exactly(array):
    back = roundtrip(array)
    assert isinstance(back, np.ndarray) and back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array)


def test_numpy_scalars_stay_numpy_scalars():
    for scalar in (np.float32(1.25), np.int16(-3), np.bool_(True)):
        back = roundtrip(scalar)
        assert type(back) is type(scalar) and back == scalar


def test_objects_without_a_data_form_become_handles():
    handles = []
    data = codec.encode([object(), np.array([object()], dtype=object)], lambda v: handles.append(v) or
                        {"t": "handle", "id": len(handles)})
    assert [item["t"] for item in data["v"]] == ["handle", "handle"] and len(handles) == 2


def test_a_generator_travels_by_state_and_continues_identically():
    rng = np.random.default_rng(5)
    rng.random(3)
    tokens = []
    data = codec.encode(rng, refuse, on_generator=lambda g: tokens.append(g) or 0)
    copy = codec.decode(json.loads(json.dumps(data)), refuse)
    assert np.array_equal(copy.random(4), rng.random(4))


def pickled_array_npy() -> str:
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize("data", [
    {"t": "ndarray", "npy": pickled_array_npy()},  # an object array needs pickle: refused
    {"t": "ndarray", "npy": "not base64!"},
    {"t": "pickle", "v": "gASV"},
    {"t": "float", "v": "1e3"},
    {"t": "dict", "v": [[{"t": "list", "v": []}, 1]]},  # unhashable key
    {"t": "npscalar", "npy": base64.b64encode(b"garbage").decode()},
    [1, 2],
    {"no": "tag"},
])
def test_malformed_or_pickle_needing_data_is_refused(data):
    with pytest.raises(codec.WireError):
        codec.decode(data, refuse)


def test_deep_nesting_is_refused():
    data = 1
    for _ in range(200):
        data = {"t": "list", "v": [data]}
    with pytest.raises(codec.WireError):
        codec.decode(data, refuse)


def test_messages_must_be_json_objects():
    for text in ("[]", "nope", "1"):
        with pytest.raises(codec.WireError):
            codec.loads(text)
