"""Errors with the stable codes of Bulkhead's one registry (docs/errors.md).

The Node SDK (packages/sdk/src/errors.ts) holds the same codes; a test keeps the two in step.
An error a plugin raises crosses the wire as ``{"code", "message", "data"?}``.
"""

from __future__ import annotations

# typing is not imported at run time (it costs a worker's cold start ~3 ms); annotations are
# postponed, so only type checkers read these names.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


#: Every stable code, as in packages/sdk/src/errors.ts. Match on these, never on messages.
ERROR_CODES: frozenset[str] = frozenset(
    {
        "ERR_PLUGIN_FAILED",
        "ERR_PLUGIN_MODULE_NOT_FOUND",
        "ERR_PLUGIN_LOAD",
        "ERR_PLUGIN_INVALID",
        "ERR_CONFIG_INVALID",
        "ERR_NOT_SUPPORTED",
        "ERR_CANCELLED",
        "ERR_TIMEOUT",
        "ERR_SERIALIZE",
        "ERR_FRAME_TOO_LARGE",
        "ERR_PROTOCOL",
        "ERR_PROTOCOL_VERSION",
        "ERR_HANDSHAKE_TIMEOUT",
        "ERR_WORKER_EXITED",
        "ERR_SPAWN",
        "ERR_NODE_UNSUPPORTED",
        "ERR_METHOD_NOT_FOUND",
        "ERR_INVALID_ARGUMENT",
        "ERR_INTERNAL",
        "ERR_MANIFEST_INVALID",
        "ERR_UNKNOWN_PLUGIN",
        "ERR_PLUGIN_NAME_MISMATCH",
        "ERR_PLUGIN_DISABLED",
        "ERR_PLUGIN_CIRCUIT_OPEN",
        "ERR_INSUFFICIENT_RESOURCES",
        "ERR_MANAGER_CLOSED",
        "ERR_QUEUE_CLOSED",
        "ERR_JOB_NOT_FOUND",
        "ERR_JOB_ID_AMBIGUOUS",
        "ERR_INPUT_INVALID",
        "ERR_JOB_INTERRUPTED",
        "ERR_STORE_UNAVAILABLE",
        "ERR_REDIS_UNAVAILABLE",
        "ERR_HOST_GONE",
        "ERR_INSTALL_FAILED",
        "ERR_PLUGINS_FILE_INVALID",
        "ERR_HOST_CONFIG_INVALID",
        "ERR_USAGE",
        "ERR_CONFIG_KEY_NOT_FOUND",
        "ERR_HOST_SETTING_NOT_FOUND",
        "ERR_UNINSTALL_REFUSED",
        "ERR_FILE_ACCESS",
        "ERR_SCAFFOLD_FAILED",
        "ERR_UNAUTHORIZED",
        "ERR_ROUTE_NOT_FOUND",
        "ERR_INVALID_JSON",
        "ERR_BODY_TOO_LARGE",
        "ERR_INSECURE_BIND",
        "ERR_SLOW_CLIENT",
        "ERR_DISK_FULL",
        "ERR_WORKER_OOM",
        "ERR_WORKER_UNRESPONSIVE",
        "ERR_LOCKED",
    }
)


class BulkheadError(Exception):
    """The base of every error Bulkhead raises: a stable ``code``, a message and JSON ``data``.

    A plugin may raise one itself (``raise BulkheadError("ERR_INPUT_INVALID", "…", {...})``) to
    answer with that code; anything else it raises travels as ``ERR_PLUGIN_FAILED``.
    """

    def __init__(self, code: str, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            wire["data"] = self.data
        return wire

    def __repr__(self) -> str:
        return f"BulkheadError({self.code!r}, {self.message!r})"


class CancelledError(BulkheadError):
    """Raised by ``ctx.raise_if_cancelled()`` once the host cancelled the call (``ERR_CANCELLED``)."""

    def __init__(self, reason: str | None = None) -> None:
        data: dict[str, Any] = {"forced": False}
        if reason:
            data["reason"] = reason
        super().__init__("ERR_CANCELLED", f"call cancelled: {reason}" if reason else "call cancelled", data)
        self.reason = reason


class PluginError(Exception):
    """An error of the plugin's own, with a plugin-defined ``code`` (``data.pluginCode`` on the host)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


def is_bulkhead_error(e: object, code: str | None = None) -> bool:
    """True if ``e`` is a BulkheadError, optionally with the given code."""
    return isinstance(e, BulkheadError) and (code is None or e.code == code)


def plugin_failure(exc: BaseException) -> BulkheadError:
    """Anything plugin code raised, as the wire's ERR_PLUGIN_FAILED with {name, stack, pluginCode?}."""
    if isinstance(exc, BulkheadError):
        return exc
    import traceback  # only on failure: it is a slow import to pay at every start

    data: dict[str, Any] = {
        "name": type(exc).__name__,
        "stack": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    }
    code = getattr(exc, "code", None)
    if isinstance(code, str):
        data["pluginCode"] = code
    return BulkheadError("ERR_PLUGIN_FAILED", str(exc) or type(exc).__name__, data)
