"""The checker side of the bridge: proxies that stand for objects living in the student's kernel.

Calling a proxy, reading its attributes or indexing it sends one request to the kernel; the answer
is parsed as wire data (codec.py) and becomes a plain value, a numpy array, or another proxy.
"""

from __future__ import annotations

import builtins
import itertools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy

from autograder.bridge import codec

AGENT_SOURCE = (Path(codec.__file__).read_text() + "\n" + (Path(__file__).parent / "agent.py").read_text())


class BridgeError(Exception):
    """The kernel did not answer a request in the bridge's format."""


class BridgeTimeout(BridgeError):
    """The student's code did not return within the time allowed for one call."""


class GraderOverloaded(BridgeTimeout):
    """The call did not finish because the kernel kept waiting for a core: the machine's fault, not the code's."""


class KernelDied(BridgeError):
    """The student's kernel exited during a request."""


class MissingName(BridgeError):
    """A test asked for a global that the student's notebook does not define."""

    def __init__(self, name: str):
        super().__init__(f"`{name}` is not defined in your notebook")
        self.name = name


class StudentCodeError(Exception):
    """The student's code raised. Subclasses also derive from the matching builtin exception."""

    remote_type = "Exception"
    remote_traceback = ""

    def __str__(self) -> str:
        return f"{self.remote_type}: {self.args[0] if self.args else ''}"


_REMOTE_CLASSES: dict[str, type] = {}


def remote_exception(info: Any) -> StudentCodeError:
    """Build an exception a test can catch as the builtin type the student's code raised."""
    if not isinstance(info, dict):
        return StudentCodeError("the kernel reported an error in an unknown form")
    builtin_name = str(info.get("builtin", "Exception"))
    base = getattr(builtins, builtin_name, None)
    if not (isinstance(base, type) and issubclass(base, Exception)) or base is AssertionError:
        base = Exception
    cls = _REMOTE_CLASSES.get(base.__name__)
    if cls is None:
        try:
            cls = type(base.__name__, (StudentCodeError, base), {})
        except TypeError:
            cls = StudentCodeError
        _REMOTE_CLASSES[base.__name__] = cls
    error = cls(str(info.get("message", ""))[:2000])
    error.remote_type = str(info.get("type", base.__name__))[:200]
    error.remote_traceback = str(info.get("traceback", ""))[:4000]
    return error


class Proxy:
    """An object in the student's kernel. Only its handle id lives here."""

    __slots__ = ("_bridge", "_handle", "_type_name")

    def __init__(self, bridge: Bridge, handle: int, type_name: str):
        object.__setattr__(self, "_bridge", bridge)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_type_name", type_name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._bridge.request("call", target=self._handle, args=list(args), kwargs=kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._bridge.request("getattr", target=self._handle, name=name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("objects of the student's kernel are read-only in tests")

    def __getitem__(self, key: Any) -> Any:
        return self._bridge.request("getitem", target=self._handle, key=key)

    def __len__(self) -> int:
        length = self._bridge.request("len", target=self._handle)
        if not isinstance(length, int) or isinstance(length, bool) or length < 0:
            raise TypeError("len() of the student's object is not a non-negative int")
        return length

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def __next__(self) -> Any:
        return self._bridge.request("next", target=self._handle)

    def __array__(self, dtype=None, copy=None):
        return numpy.asarray(self._bridge.request("value", target=self._handle), dtype=dtype)

    def __float__(self) -> float:
        return float(self._bridge.request("value", target=self._handle))

    def __int__(self) -> int:
        return int(self._bridge.request("value", target=self._handle))

    def __index__(self) -> int:
        return int(self._bridge.request("value", target=self._handle))

    def __repr__(self) -> str:
        return f"<student object of type {self._type_name}>"

    def _autograder_text(self, kind: str) -> str:
        """The object's own ``repr`` or ``str`` in the student's kernel (what a doctest prints)."""
        text = self._bridge.request(kind, target=self._handle)
        if not isinstance(text, str):
            raise TypeError(f"{kind}() of the student's object is not a str")
        return text

    @staticmethod
    def _autograder_call_many(proxy: Proxy, n: int, args: tuple, kwargs: dict) -> list:
        if not isinstance(n, int) or n < 0:
            raise ValueError("call_many needs a non-negative number of calls")
        return proxy._bridge.request("call_many", target=proxy._handle, n=n, args=list(args), kwargs=kwargs)


def type_name(value: Any) -> str:
    """The qualified type name of a value, for proxies the type in the student's kernel."""
    if isinstance(value, Proxy):
        return object.__getattribute__(value, "_type_name")
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


@dataclass
class BridgeStats:
    """Round trips to the kernel, the bytes they moved (request and answers), their wall-clock seconds and the
    kernel's own seconds in them (wall less waiting for a core)."""

    round_trips: int = 0
    bytes: int = 0
    seconds: float = 0.0
    own_seconds: float = 0.0

    def add(self, size: int, seconds: float, own_seconds: float) -> None:
        self.round_trips += 1
        self.bytes += size
        self.seconds += seconds
        self.own_seconds += own_seconds

    def since(self, earlier: BridgeStats) -> BridgeStats:
        return BridgeStats(self.round_trips - earlier.round_trips, self.bytes - earlier.bytes,
                           self.seconds - earlier.seconds, self.own_seconds - earlier.own_seconds)


class Bridge:
    """Sends requests to the kernel's agent and turns the answers into values and proxies."""

    def __init__(self, kernel, call_timeout: float = 60.0):
        self.kernel = kernel
        self.call_timeout = call_timeout
        self.time_left = None  # the notebook's own time left (a function, set by the grader), None: no cap
        self.overloaded = False  # a call ended because the machine was too busy (see GraderOverloaded)
        self.stats = BridgeStats()  # every request so far, for the submission's profile

    def install_code(self) -> str:
        """Code that installs the agent in a fresh kernel (run before any student cell)."""
        return (
            "def _autograder_install():\n"
            "    import sys, types\n"
            "    module = types.ModuleType('_autograder_agent')\n"
            f"    exec(compile({AGENT_SOURCE!r}, '<autograder-agent>', 'exec'), module.__dict__)\n"
            "    module.install(get_ipython())\n"
            "    sys.modules['_autograder_agent'] = module\n"
            "_autograder_install()\n"
            "del _autograder_install\n"
        )

    def global_value(self, name: str, modules: Mapping[str, ModuleType] | None = None) -> Any:
        """The student's global ``name``: plain data or a proxy; for a module, ``modules[its name]`` when its
        name is exactly a key of ``modules`` (the checker's own, already imported modules), else a proxy.

        The kernel only says which module it holds; nothing here imports anything the kernel names.
        """
        answer = self._exchange({"op": "global", "name": name}, generators={})
        module_name = answer.get("module")
        if modules and isinstance(module_name, str) and module_name in modules:
            return modules[module_name]
        return self._decode(answer.get("value"))

    def request(self, op: str, **fields: Any) -> Any:
        generators: dict[int, numpy.random.Generator] = {}
        tokens = itertools.count()

        def on_generator(generator: numpy.random.Generator) -> int:
            token = next(tokens)
            generators[token] = generator
            return token

        message: dict[str, Any] = {"op": op}
        for key, value in fields.items():
            if key == "args":
                message["args"] = [self._encode(item, on_generator) for item in value]
            elif key == "kwargs":
                message["kwargs"] = {str(name): self._encode(item, on_generator) for name, item in value.items()}
            elif key == "key":
                message["key"] = self._encode(value, on_generator)
            else:
                message[key] = value
        answer = self._exchange(message, generators)
        return self._decode(answer.get("value"))

    # -- internals --------------------------------------------------------------------------
    def _encode(self, value: Any, on_generator) -> Any:
        def to_handle(item: Any) -> dict:
            if isinstance(item, Proxy):
                if object.__getattribute__(item, "_bridge") is not self:
                    raise BridgeError("a proxy of another kernel cannot be sent to this one")
                return {"t": "handle", "id": object.__getattribute__(item, "_handle")}
            raise TypeError(f"a {type(item).__name__} cannot be sent to the student's kernel")

        return codec.encode(value, to_handle, on_generator)

    def _decode(self, data: Any) -> Any:
        def from_handle(tagged: dict) -> Proxy:
            return Proxy(self, tagged["id"], str(tagged.get("type", "object"))[:200])

        try:
            return codec.decode(data, from_handle)
        except codec.WireError as error:
            raise BridgeError(f"the kernel answered with malformed data ({error})") from None

    def _timeout(self) -> float:
        if self.time_left is None:
            return self.call_timeout
        return max(0.0, min(self.call_timeout, self.time_left()))

    def _exchange(self, message: dict, generators: dict) -> dict:
        message["id"] = uuid.uuid4().hex
        code = f"__import__('_autograder_agent').dispatch({codec.dumps(message)!r})"
        timeout = self._timeout()
        run = self.kernel.execute(code, timeout=timeout, store_history=False, bridge_answers=True)
        self.stats.add(len(code) + sum(len(payload) for payload in run.bridge_payloads), run.seconds,
                       run.own_seconds)
        if run.status == "timeout":
            raise BridgeTimeout(f"your code did not finish within {timeout:.0f} s")
        if run.status == "overloaded":
            self.overloaded = True
            raise GraderOverloaded(f"the grader's machine was too busy to finish this call ({run.seconds:.0f} s); "
                                   "it will be graded again")
        if run.status == "died" or not run.kernel_alive:
            raise KernelDied("the notebook's kernel stopped while a test was running")
        if run.bridge_overflow:
            raise BridgeError(f"the answer was larger than the grader accepts ({run.bridge_overflow:,} bytes); "
                              "does your code return or display very large objects?")
        answers = []
        for payload in run.bridge_payloads:
            try:
                answer = codec.loads(payload)
            except codec.WireError:
                continue
            if answer.get("id") == message["id"]:
                answers.append(answer)
        if not answers:
            detail = f" ({run.error_name}: {run.error_value})" if run.status == "error" else ""
            raise BridgeError(f"the notebook's kernel did not answer the grader{detail}; "
                              "does the notebook change the kernel's display system or sys.modules?")
        answer = answers[-1]
        for token, state in (answer.get("generators") or {}).items():
            generator = generators.get(int(token)) if str(token).isdigit() else None
            if generator is not None:
                try:
                    generator.bit_generator.state = state
                except (TypeError, ValueError, KeyError):
                    raise BridgeError("the kernel sent back an invalid random generator state") from None
        if not answer.get("ok"):
            error = answer.get("error")
            if isinstance(error, dict) and error.get("builtin") == "NameError" and message["op"] == "global":
                raise MissingName(message["name"])
            raise remote_exception(error)
        return answer
