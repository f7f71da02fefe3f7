"""The kernel side of the bridge. This file is sent as source into the student's kernel.

It runs in the untrusted process, so nothing here is trusted: it only turns requests from the
checker into calls on the student's objects, and their results into wire data (see codec.py).
Whatever it answers, the checker parses as data and nothing else.

``encode``, ``decode``, ``dumps`` and ``loads`` come from codec.py, whose source is sent ahead of this one.
"""
# ruff: noqa: F821

import itertools
import traceback
import types

import numpy

MIME = "application/vnd.autograder.bridge+json"
_TENSOR_MODULES = {"tensorflow", "torch", "jax", "jaxlib", "keras"}
_handles = {}
_ids = itertools.count(1)
_publish = None


def _as_array(value):
    """Framework tensors (TensorFlow, torch, JAX, Keras variables) travel as numpy arrays."""
    if type(value).__module__.split(".")[0] not in _TENSOR_MODULES:
        return None
    if not (hasattr(value, "shape") and hasattr(value, "dtype")):
        return None
    try:
        if hasattr(value, "detach"):
            value = value.detach().cpu()
        array = numpy.asarray(value)
    except Exception:
        return None
    return None if array.dtype.hasobject else array


def _to_handle(value):
    array = _as_array(value)
    if array is not None:
        return encode(array, _to_handle)
    handle_id = next(_ids)
    _handles[handle_id] = value
    kind = type(value)
    return {"t": "handle", "id": handle_id, "type": f"{kind.__module__}.{kind.__qualname__}"}


def _from_handle(tagged):
    try:
        return _handles[tagged["id"]]
    except KeyError:
        raise LookupError(f"the grader asked for an object the kernel no longer has (handle {tagged['id']})") from None


def _user_namespace():
    return get_ipython().user_ns  # noqa: F821 - defined in every IPython kernel


def _as_data(value):
    array = _as_array(value)
    if array is None and hasattr(value, "__array__") and not isinstance(value, numpy.ndarray):
        array = numpy.asarray(value)
    if array is not None:
        if array.dtype.hasobject:
            raise TypeError(f"a {type(value).__name__} holding Python objects cannot be sent as data")
        return encode(array, _to_handle)

    def refuse(inner):
        raise TypeError(f"a {type(inner).__name__} cannot be sent as data")

    return encode(value, refuse)


def _run(request, generators):
    def arg(data):
        return decode(data, _from_handle, generators.__setitem__)

    op = request["op"]
    if op == "global":
        namespace = _user_namespace()
        name = request["name"]
        if name not in namespace:
            raise NameError(f"name {name!r} is not defined")
        value = namespace[name]
        if isinstance(value, types.ModuleType):  # the checker decides: its own module of that name, or this handle
            return {"module": str(getattr(value, "__name__", "")), "value": _to_handle(value)}
        return {"value": encode(value, _to_handle)}
    if op == "import":  # a module a tutor's doctest imports that the checker does not trust (a student's file)
        import importlib

        return {"value": _to_handle(importlib.import_module(str(request["name"])))}
    if op == "release":
        for handle_id in request["ids"]:
            _handles.pop(handle_id, None)
        return {"value": None}
    target = _handles[request["target"]] if op != "new" else None
    if op in ("call", "call_many"):
        args = [arg(item) for item in request["args"]]
        kwargs = {key: arg(item) for key, item in request["kwargs"].items()}
        if op == "call":
            return {"value": encode(target(*args, **kwargs), _to_handle)}
        return {"value": encode([target(*args, **kwargs) for _ in range(request["n"])], _to_handle)}
    if op == "getattr":
        return {"value": encode(getattr(target, request["name"]), _to_handle)}
    if op == "getitem":
        return {"value": encode(target[arg(request["key"])], _to_handle)}
    if op == "len":
        return {"value": len(target)}
    if op in ("repr", "str"):  # how the student's object prints, for doctests: a string and nothing else
        text = (repr if op == "repr" else str)(target)
        if type(text) is not str:
            raise TypeError(f"{op}() of the object did not return a str")
        return {"value": text[:100_000]}
    if op == "next":
        return {"value": encode(next(target), _to_handle)}
    if op == "value":
        return {"value": _as_data(target)}
    raise ValueError(f"unknown bridge operation {op!r}")


def _describe(error):
    builtin = next((kind.__name__ for kind in type(error).__mro__
                    if kind.__module__ == "builtins" and issubclass(kind, BaseException)),
                   "Exception")
    frames = traceback.format_exception(type(error), error, error.__traceback__, limit=-4)
    return {"type": type(error).__name__, "builtin": builtin, "message": str(error)[:2000],
            "traceback": "".join(frames)[-4000:]}


def dispatch(text):
    """Answer one request from the checker with one display message of our MIME type."""
    request_id = None
    generators = {}
    try:
        request = loads(text)
        request_id = request.get("id")
        response = {"id": request_id, "ok": True, **_run(request, generators)}
    except BaseException as error:  # noqa: BLE001 - everything the student's code raises is reported
        response = {"id": request_id, "ok": False, "error": _describe(error)}
    if generators:
        response["generators"] = {str(token): encode(gen, None, lambda g: 0)["state"]
                                  for token, gen in generators.items()}
    try:
        payload = dumps(response)
    except BaseException as error:  # noqa: BLE001
        payload = dumps({"id": request_id, "ok": False, "error": _describe(error)})
    _publish({MIME: payload})


def install(shell):
    """Keep our own reference to the display publisher, so answers go out as display messages."""
    global _publish
    publisher = shell.display_pub
    _publish = lambda data: publisher.publish(data=data, metadata={})  # noqa: E731
