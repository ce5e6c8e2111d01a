"""What plugin code gets for one call: cancellation, progress, logs (the Node SDK's PluginContext)."""

from __future__ import annotations

import threading

from .errors import CancelledError

# typing is not imported at run time (it costs a worker's cold start ~3 ms); annotations are
# postponed, so only type checkers read these names.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    Send = Callable[[str, dict[str, Any]], None]


_LEVELS = ("debug", "info", "warn", "error")
# One lock for every context's cancel state: taken only on cancel, wait and on_cancel, never per call.
_LOCK = threading.Lock()


class Logger:
    """Structured log entries (``$/log``), tied to the call when there is one.

    Plain ``print`` and the ``logging`` module reach the plugin's log too; this adds ``data``."""

    __slots__ = ("_send", "_call_id")

    def __init__(self, send: Send, call_id: int | None = None) -> None:
        self._send = send
        self._call_id = call_id

    def log(self, level: str, message: str, data: Any = None) -> None:
        if level == "warning":
            level = "warn"
        if level not in _LEVELS:
            raise ValueError(f"level must be one of {', '.join(_LEVELS)}, not {level!r}")
        params: dict[str, Any] = {"level": level, "message": str(message)}
        if self._call_id is not None:
            params["id"] = self._call_id
        if data is not None:
            params["data"] = data
        self._send("$/log", params)

    def debug(self, message: str, data: Any = None) -> None:
        self.log("debug", message, data)

    def info(self, message: str, data: Any = None) -> None:
        self.log("info", message, data)

    def warn(self, message: str, data: Any = None) -> None:
        self.log("warn", message, data)

    warning = warn

    def error(self, message: str, data: Any = None) -> None:
        self.log("error", message, data)

    def __call__(self, level: str, message: str, data: Any = None) -> None:
        self.log(level, message, data)


class Context:
    """Given to every ``execute`` and ``stream`` call.

    * ``ctx.cancelled`` / ``ctx.raise_if_cancelled()`` / ``ctx.on_cancel(fn)``: the host cancelled the
      call (or the stream's reader stopped). Cooperative: check it in loops, or wait with
      ``ctx.wait(seconds)``, which returns early (True) on cancel.
    * ``ctx.progress(fraction, message)``: pushed to the host at once; ``fraction`` in 0..1 or None.
    * ``ctx.log.info(message, data)``: a structured log entry of this call.
    * ``ctx.config``: the plugin's current config; ``ctx.call_id``: unique within the worker.
    """

    def __init__(self, send: Send, call_id: int, config: Any = None) -> None:
        self._send = send
        self.call_id = call_id
        self.config = config
        self._log: Logger | None = None
        # Made on first use: an Event and a list per call cost more than a no-op call.
        self._event: threading.Event | None = None
        self._callbacks: list[Callable[[], Any]] | None = None
        self._cancelled = False
        self.reason: str | None = None

    @property
    def log(self) -> Logger:
        if self._log is None:
            self._log = Logger(self._send, self.call_id)
        return self._log

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def raise_if_cancelled(self) -> None:
        """Raises :class:`CancelledError` (ERR_CANCELLED) once the call is cancelled."""
        if self._cancelled:
            raise CancelledError(self.reason)

    def wait(self, timeout: float | None = None) -> bool:
        """Sleeps up to ``timeout`` seconds, waking at once on cancel. True if cancelled."""
        with _LOCK:
            if self._event is None:
                self._event = threading.Event()
                if self._cancelled:
                    self._event.set()
        return self._event.wait(timeout)

    def on_cancel(self, callback: Callable[[], Any]) -> Callable[[], None]:
        """Calls ``callback()`` (on a thread of its own) when the call is cancelled, at once if it
        already is. Returns a function that removes it."""
        with _LOCK:
            if not self._cancelled:
                if self._callbacks is None:
                    self._callbacks = []
                self._callbacks.append(callback)
                return lambda: self._remove(callback)
        _run_callback(callback)
        return lambda: None

    def _remove(self, callback: Callable[[], Any]) -> None:
        with _LOCK:
            if self._callbacks and callback in self._callbacks:
                self._callbacks.remove(callback)

    def progress(self, fraction: float | None = None, message: str | None = None) -> None:
        params: dict[str, Any] = {"id": self.call_id}
        if fraction is not None:
            params["fraction"] = min(1.0, max(0.0, float(fraction)))
        if message is not None:
            params["message"] = str(message)
        self._send("$/progress", params)

    def cancel(self, reason: str | None = None) -> None:
        """Marks the call cancelled and runs its callbacks (the worker calls this on ``$/cancel``)."""
        with _LOCK:
            if self._cancelled:
                return
            self.reason = reason
            self._cancelled = True
            if self._event is not None:
                self._event.set()
            callbacks, self._callbacks = self._callbacks or [], None
        for cb in callbacks:
            _run_callback(cb)


def _run_callback(callback: Callable[[], Any]) -> None:
    """Off the protocol loop: a slow callback must not hold up frames."""

    def run() -> None:
        try:
            result = callback()
            if hasattr(result, "__await__"):
                import asyncio

                asyncio.run(result)  # type: ignore[arg-type]
        except Exception as e:  # a failing callback must not take the worker down
            import sys

            sys.stderr.write(f"bulkhead: a cancel callback failed: {e!r}\n")

    threading.Thread(target=run, name="on-cancel", daemon=True).start()
