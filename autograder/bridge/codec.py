"""The data-only wire format between the student's kernel and the trusted checker.

Every value crosses as JSON text. Non-JSON values are tagged objects:

    {"t": "tuple", "v": [...]}              a tuple
    {"t": "list", "v": [...]}               a list
    {"t": "dict", "v": [[key, value], ...]}  a dict (keys may be any encodable value)
    {"t": "ndarray", "npy": BASE64}         a numpy array saved with allow_pickle=False
    {"t": "npscalar", "npy": BASE64}        a numpy scalar, as a 0-d array
    {"t": "bytes", "b64": BASE64}
    {"t": "float", "v": "nan" | "inf" | "-inf"}
    {"t": "generator", "state": {...}, "token": K}   a PCG64 numpy Generator, by state
    {"t": "handle", "id": N, "type": "module.Qualname", "repr": "..."}   anything else

Nothing is ever pickled: arrays are read back with ``numpy.load(..., allow_pickle=False)``, which
refuses object arrays. This module is also sent as source into the student's kernel, so it
imports nothing but the standard library and numpy, and must stay self-contained.
"""

import base64
import io
import json
import math

import numpy

MAX_DEPTH = 64
_SCALARS = (bool, int, str, type(None))


class WireError(Exception):
    """A message that does not follow the wire format."""


def _npy_bytes(array):
    buffer = io.BytesIO()
    numpy.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _npy_array(text):
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
        return numpy.load(io.BytesIO(raw), allow_pickle=False)
    except (ValueError, OSError, TypeError) as error:
        raise WireError(f"bad array on the wire: {error}") from None


def _is_pcg64_generator(value):
    return isinstance(value, numpy.random.Generator) and isinstance(value.bit_generator, numpy.random.PCG64)


def encode(value, to_handle, on_generator=None, depth=0):
    """Turn ``value`` into JSON-able data; ``to_handle(value)`` encodes whatever has no data form.

    ``on_generator(generator)`` returns the token under which a generator travels; without it a
    generator travels as a handle like any other object.
    """
    if depth > MAX_DEPTH:
        raise WireError(f"value nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, float) and type(value) is float:
        return value if math.isfinite(value) else {"t": "float", "v": repr(value)}
    if type(value) in _SCALARS:
        return value
    if type(value) in (list, tuple):
        items = [encode(item, to_handle, on_generator, depth + 1) for item in value]
        return {"t": type(value).__name__, "v": items}
    if type(value) is dict:
        pairs = [[encode(k, to_handle, on_generator, depth + 1), encode(v, to_handle, on_generator, depth + 1)]
                 for k, v in value.items()]
        return {"t": "dict", "v": pairs}
    if type(value) is bytes:
        return {"t": "bytes", "b64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, numpy.ndarray) and type(value) is numpy.ndarray and not value.dtype.hasobject:
        return {"t": "ndarray", "npy": _npy_bytes(value)}
    if isinstance(value, numpy.generic) and not isinstance(value, numpy.object_):
        return {"t": "npscalar", "npy": _npy_bytes(numpy.asarray(value))}
    if on_generator is not None and _is_pcg64_generator(value):
        return {"t": "generator", "state": _plain_state(value.bit_generator.state),
                "token": on_generator(value)}
    return to_handle(value)


def _plain_state(state):
    """A PCG64 state dict holds only str and int, but check: it is about to become JSON."""
    return json.loads(json.dumps(state))


def decode(data, from_handle, on_generator=None, depth=0):
    """Inverse of ``encode``; ``from_handle(tagged)`` turns a handle into the caller's object."""
    if depth > MAX_DEPTH:
        raise WireError(f"value nested deeper than {MAX_DEPTH} levels")
    if isinstance(data, (bool, int, float, str)) or data is None:
        return data
    if isinstance(data, list):
        raise WireError("untagged list on the wire")
    if not isinstance(data, dict) or not isinstance(data.get("t"), str):
        raise WireError(f"unknown value on the wire: {type(data).__name__}")
    tag = data["t"]
    if tag in ("list", "tuple"):
        items = [decode(item, from_handle, on_generator, depth + 1) for item in _field(data, "v", list)]
        return items if tag == "list" else tuple(items)
    if tag == "dict":
        result = {}
        for pair in _field(data, "v", list):
            if not isinstance(pair, list) or len(pair) != 2:
                raise WireError("dict entries must be [key, value] pairs")
            key = decode(pair[0], from_handle, on_generator, depth + 1)
            try:
                result[key] = decode(pair[1], from_handle, on_generator, depth + 1)
            except TypeError:
                raise WireError("dict key is not hashable") from None
        return result
    if tag == "float":
        text = _field(data, "v", str)
        if text not in ("nan", "inf", "-inf"):
            raise WireError(f"bad float {text!r}")
        return float(text)
    if tag == "bytes":
        try:
            return base64.b64decode(_field(data, "b64", str).encode("ascii"), validate=True)
        except ValueError:
            raise WireError("bad bytes on the wire") from None
    if tag == "ndarray":
        return _npy_array(_field(data, "npy", str))
    if tag == "npscalar":
        array = _npy_array(_field(data, "npy", str))
        if array.ndim != 0:
            raise WireError("numpy scalar with a shape")
        return array[()]
    if tag == "generator":
        generator = numpy.random.Generator(numpy.random.PCG64())
        try:
            generator.bit_generator.state = _field(data, "state", dict)
        except (ValueError, TypeError, KeyError) as error:
            raise WireError(f"bad generator state: {error}") from None
        if on_generator is not None:
            on_generator(_field(data, "token", int), generator)
        return generator
    if tag == "handle":
        _field(data, "id", int)
        return from_handle(data)
    raise WireError(f"unknown tag {tag!r}")


def _field(data, name, kind):
    value = data.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise WireError(f"field {name!r} of a {data.get('t')!r} value must be {kind.__name__}")
    return value


def dumps(message):
    return json.dumps(message, allow_nan=False, separators=(",", ":"))


def loads(text):
    try:
        message = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise WireError(f"message is not JSON: {error}") from None
    if not isinstance(message, dict):
        raise WireError("message is not a JSON object")
    return message
