"""The data-only bridge between the trusted checker and the student's kernel (see codec.py)."""

from autograder.bridge.proxy import Bridge, BridgeError, BridgeTimeout, KernelDied, MissingName, Proxy, StudentCodeError

__all__ = ["Bridge", "BridgeError", "BridgeTimeout", "KernelDied", "MissingName", "Proxy", "StudentCodeError"]
