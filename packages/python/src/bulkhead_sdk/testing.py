"""Run a plugin in-process in a unit test, without a host or a worker process.

    from bulkhead_sdk.testing import run_plugin

    def test_shout():
        with run_plugin(Demo, config={"suffix": "?"}) as p:
            assert p.execute({"op": "shout", "text": "a"}) == "A?"
            assert p.progress[-1] == (1.0, "done")

The config is validated by the plugin's schema as the worker would (ERR_CONFIG_INVALID with every
failing field); inputs and results go through the wire encoding (so a result the host could not
receive fails here too, with ERR_SERIALIZE); progress and log entries are recorded; a call can be
cancelled from another thread, as the host would.
"""

from __future__ import annotations

import threading
from typing import Any, Iterator

from .calls import AsyncLoop
from .codec import Codec
from .context import Context
from .errors import BulkheadError, CancelledError, plugin_failure
from .plugin import Hooks, adapt, kind_of, takes_ctx


class Call:
    """One call started with :meth:`PluginHarness.start`: ``cancel()`` it, wait for its ``result()``."""

    def __init__(self, harness: PluginHarness, input: Any) -> None:  # noqa: A002
        self.ctx = harness._context()
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(harness, input), daemon=True)
        self._thread.start()

    def _run(self, harness: PluginHarness, data: Any) -> None:
        try:
            self._result = harness._execute(data, self.ctx)
        except BaseException as e:
            self._error = e

    def cancel(self, reason: str | None = None) -> None:
        self.ctx.cancel(reason)

    def result(self, timeout: float | None = None) -> Any:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError("the call is still running")
        if self._error is not None:
            raise self._error
        return self._result


class PluginHarness:
    def __init__(self, plugin: Any, config: dict[str, Any] | None = None) -> None:
        self.hooks: Hooks = adapt(plugin)
        self.config, self._value = self.hooks.spec.validate(config)
        self.progress: list[tuple[float | None, str | None]] = []
        self.logs: list[dict[str, Any]] = []
        self._codec = Codec(None, 0)
        self._loop: AsyncLoop | None = None
        self._ids = 0

    @property
    def instance(self) -> Any:
        """The plugin object (for a class, the instance the hooks run on)."""
        return self.hooks.instance

    def __enter__(self) -> PluginHarness:
        if self.hooks.instance is not None and getattr(self.hooks.instance, "log", None) is None:
            from .context import Logger

            self.hooks.instance.log = Logger(self._record)
        if self.hooks.initialize is not None:
            self._run(self.hooks.initialize, (self._value,))
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.hooks.cleanup is not None:
            self._run(self.hooks.cleanup, ())

    def configure(self, config: dict[str, Any]) -> dict[str, Any]:
        if self.hooks.configure is None:
            raise BulkheadError("ERR_NOT_SUPPORTED", f"{self.hooks.name} cannot change its config live")
        wire, value = self.hooks.spec.validate(config)
        self._run(self.hooks.configure, (value,))
        self.config, self._value = wire, value
        return wire

    def execute(self, input: Any = None) -> Any:  # noqa: A002
        """Runs ``execute`` as the worker would; raises what the host would receive."""
        return self._execute(input, self._context())

    def start(self, input: Any = None) -> Call:  # noqa: A002
        """Starts ``execute`` on a thread of its own, to cancel it while it runs."""
        return Call(self, input)

    def stream(self, input: Any = None) -> Iterator[Any]:  # noqa: A002
        """The items of ``stream``, each through the wire encoding."""
        if self.hooks.stream is None:
            raise BulkheadError("ERR_NOT_SUPPORTED", f"{self.hooks.name} has no stream")
        ctx = self._context()
        fn = self.hooks.stream
        items = fn(self._wire(input, "params.input"), ctx) if takes_ctx(fn) else fn(self._wire(input, "params.input"))
        if hasattr(items, "__anext__"):
            while True:
                try:
                    item = self._async().run(items.__anext__(), ctx)
                except StopAsyncIteration:
                    return
                yield self._wire(item, "params.items[0]")
        for item in items:
            yield self._wire(item, "params.items[0]")

    # ── internals ──────────────────────────────────────────────────────────────────────────────

    def _record(self, method: str, params: dict[str, Any]) -> None:
        if method == "$/progress":
            self.progress.append((params.get("fraction"), params.get("message")))
        elif method == "$/log":
            self.logs.append(params)

    def _context(self) -> Context:
        self._ids += 1
        ctx = Context(self._record, self._ids, self._value)
        if self.hooks.on_cancel is not None:
            ctx.on_cancel(self.hooks.on_cancel)
        return ctx

    def _execute(self, data: Any, ctx: Context) -> Any:
        fn = self.hooks.execute
        if fn is None:
            raise BulkheadError("ERR_NOT_SUPPORTED", f"{self.hooks.name} has no execute")
        data = self._wire(data, "params.input")
        try:
            result = self._run(fn, (data, ctx) if takes_ctx(fn) else (data,), ctx)
        except CancelledError:
            raise
        except BaseException as e:
            if ctx.cancelled:
                raise CancelledError(ctx.reason) from e
            raise plugin_failure(e) from e
        if ctx.cancelled:
            raise CancelledError(ctx.reason)
        return self._wire(result, "result")

    def _wire(self, value: Any, path: str) -> Any:
        attachments: list[Any] = []
        encoded = self._codec.encode(value, path, attachments)
        return self._codec.decode(encoded, [bytes(a) for a in attachments])

    def _async(self) -> AsyncLoop:
        if self._loop is None:
            self._loop = AsyncLoop()
        return self._loop

    def _run(self, fn: Any, args: tuple[Any, ...], ctx: Context | None = None) -> Any:
        if kind_of(fn) == "async":
            return self._async().run(fn(*args), ctx)
        result = fn(*args)
        if hasattr(result, "__await__"):
            return self._async().run(result, ctx)
        return result


def run_plugin(plugin: Any, config: dict[str, Any] | None = None) -> PluginHarness:
    """A harness for ``plugin`` (a class, an instance, a define_plugin result): use it as a context
    manager, which runs ``initialize`` on entry and ``cleanup`` on exit."""
    return PluginHarness(plugin, config)
