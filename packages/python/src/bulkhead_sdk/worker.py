"""The Python worker: runs one plugin and speaks docs/protocol.md on fd 3.

``python -m bulkhead_sdk.worker ENTRY`` where ENTRY is ``path/to/plugin.py[:Name]`` or
``package.module[:Name]``. The main thread only reads frames and dispatches them; every plugin hook
runs on a pool thread (async hooks on one event-loop thread), so a plugin that blocks never stops
cancel, pull, ping or stats from being answered. Frames are written whole under one lock.
"""

from __future__ import annotations

import os
import sys
import time
from _thread import _local, allocate_lock, start_new_thread

from .calls import AsyncLoop, CallPool, Credit, StreamSender
from .context import Context, Logger
from .errors import BulkheadError, CancelledError, plugin_failure
from .handshake import initialize
from .plugin import Hooks, kind_of, takes_ctx
from .process import (
    CHANNEL_FD,
    EXIT_PROTOCOL,
    SHUTDOWN_DRAIN_S,
    STARTED,
    host_gone,
    is_cancel,
    protocol_violation,
    rss_bytes,
    stopped,
    watch_parent,
)
from .wire import (
    DEFAULT_HANDOFF_BYTES,
    DEFAULT_MAX_FRAME_BYTES,
    Codec,
    FrameReader,
    FrameWriter,
    ProtocolError,
    env_int,
)

# typing is not imported at run time (it costs a worker's cold start ~3 ms); annotations are
# postponed, so only type checkers read these names.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Worker:
    def __init__(self, entry: str, fd: int = CHANNEL_FD) -> None:
        max_frame = env_int("BULKHEAD_MAX_FRAME_BYTES", DEFAULT_MAX_FRAME_BYTES)
        self.codec = Codec(None, DEFAULT_HANDOFF_BYTES)
        self.reader = FrameReader(fd, max_frame, self.codec, host_gone)
        self.writer = FrameWriter(fd, max_frame, self.codec, host_gone)
        self.entry = entry
        self.hooks: Hooks | None = None
        self.load_error: BulkheadError | None = None
        self.config: dict[str, Any] = {}
        self.config_value: Any = None
        self.initialized = False
        self.shutting_down = False
        self.calls: dict[int, Context] = {}
        self.credits: dict[int, Credit] = {}
        self.lock = allocate_lock()
        self.pool = CallPool()
        self._loop: AsyncLoop | None = None
        self.local = _local()  # threading.local, without importing threading
        self._logging_hooked = False
        self._watching = False
        self.served = 0  # calls answered; see _import_threading
        self.threading_pending = True
        self.log = Logger(self.notify)

    # ── sending ────────────────────────────────────────────────────────────────────────────────

    def notify(self, method: str, params: dict[str, Any]) -> None:
        try:
            self.writer.send({"method": method, "params": params})
        except BulkheadError as e:
            if method == "$/log" and "data" in params:  # data that cannot travel goes as text
                self.notify(method, {**params, "data": repr(params["data"])})
            else:
                sys.stderr.write(f"bulkhead worker: dropped {method}: {e.message}\n")

    def answer(self, request_id: int, result: Any) -> None:
        try:
            self.writer.send({"id": request_id, "result": result})
        except BulkheadError as e:  # the result cannot travel: the call fails with why instead
            self.fail(request_id, e)

    def fail(self, request_id: int, error: BulkheadError) -> None:
        self.watch_parent()  # (a failed handshake too)
        try:
            self.writer.send({"id": request_id, "error": error.to_wire()})
        except BulkheadError as e:
            self.writer.send({"id": request_id, "error": {"code": e.code, "message": e.message}})

    # ── the loop ───────────────────────────────────────────────────────────────────────────────

    def load(self) -> None:
        from .loader import load_plugin

        try:
            self.hooks = load_plugin(self.entry)
        except BulkheadError as e:
            self.load_error = e
        except BaseException as e:
            self.load_error = BulkheadError("ERR_PLUGIN_LOAD", f"{self.entry}: {e}", plugin_failure(e).data)

    def run(self) -> None:
        reader = self.reader
        read = reader.read
        while True:
            if self.threading_pending and reader.start == reader.end and self.served and not self.calls:
                self._import_threading()
            try:
                message = read()
            except ProtocolError as e:
                protocol_violation(str(e))
                return
            method = message.get("method")
            if method is None:
                continue  # a response: the host sends none in 1.0
            params = message.get("params")
            if type(params) is not dict:
                params = {}
            if "id" in message:
                self.on_request(message["id"], method, params)
            else:
                self.on_notification(method, params)

    def _import_threading(self) -> None:
        """``threading`` is not imported at start (~7 ms of a cold start); it is imported here, on
        the main thread, the first time the worker is idle after answering a call, so that
        ``threading.main_thread()`` is this thread even when a plugin imports threading later from
        a call (Python before 3.13 takes whichever thread first imports it for the main thread)."""
        self.threading_pending = False
        if "threading" not in sys.modules:
            import threading  # noqa: F401

    def watch_parent(self) -> None:
        """Starts the backstop that ends the worker when its parent changes (process.watch_parent).
        Started with the handshake, not at start: a thread started while the main thread is busy
        costs a forced GIL switch (a context switch each way) in the middle of the cold start."""
        if not self._watching:
            self._watching = True
            start_new_thread(watch_parent, ())

    def on_request(self, request_id: int, method: str, params: dict[str, Any]) -> None:
        if method == "execute" and self.initialized and not self.shutting_down:
            self.start_execute(request_id, params)  # the hot path first
            return
        if method == "initialize":
            self.initialize(request_id, params)
            return
        if not self.initialized and method != "shutdown":
            self.fail(request_id, BulkheadError("ERR_PROTOCOL", f'"{method}" before "initialize"'))
            return
        if self.shutting_down:
            self.fail(request_id, stopped("the worker is shutting down"))
            return
        handler = {
            "execute": self.start_execute,
            "stream": self.start_stream,
            "configure": self.configure,
            "stats": self.stats,
            "ping": lambda i, p: self.answer(i, {}),
            "shutdown": self.shutdown,
        }.get(method)
        if handler is None:
            self.fail(request_id, BulkheadError("ERR_METHOD_NOT_FOUND", f'the worker has no method "{method}"'))
            return
        handler(request_id, params)

    def on_notification(self, method: str, params: dict[str, Any]) -> None:
        if method == "$/cancel":
            ctx = self.calls.get(params.get("id"))  # type: ignore[arg-type]
            if ctx is not None:
                reason = params.get("reason")
                ctx.cancel(reason if isinstance(reason, str) else None)
        elif method == "$/pull":
            credit = self.credits.get(params.get("id"))  # type: ignore[arg-type]
            n = params.get("n")
            if credit is not None and type(n) is int and n > 0:
                credit.grant(n)
        # anything else: ignored (a newer minor's notification)

    # ── requests ───────────────────────────────────────────────────────────────────────────────

    def initialize(self, request_id: int, params: dict[str, Any]) -> None:
        initialize(self, request_id, params)

    def begin(self, request_id: int) -> Context:
        ctx = Context(self.notify, request_id, self.config_value)
        on_cancel = self.hooks.on_cancel if self.hooks else None
        if on_cancel is not None:
            ctx.on_cancel(on_cancel)
        self.calls[request_id] = ctx
        return ctx

    def start_execute(self, request_id: int, params: dict[str, Any]) -> None:
        hooks = self.hooks
        assert hooks is not None
        if hooks.execute is None:
            self.fail(request_id, BulkheadError("ERR_NOT_SUPPORTED", f"{hooks.name} has no execute"))
            return
        ctx = self.begin(request_id)
        self.pool.submit(self.run_execute, request_id, ctx, hooks.execute, params.get("input"))

    def run_execute(self, request_id: int, ctx: Context, fn: Any, data: Any) -> None:
        self.local.call_id = request_id
        try:
            result = self.call_hook(fn, (data, ctx) if takes_ctx(fn) else (data,), ctx)
            if ctx.cancelled:
                raise CancelledError(ctx.reason)
            self.answer(request_id, result)
        except BaseException as e:
            self.fail(request_id, self.call_error(e, ctx))
        finally:
            self.calls.pop(request_id, None)
            self.local.call_id = None
            self.served += 1

    def start_stream(self, request_id: int, params: dict[str, Any]) -> None:
        hooks = self.hooks
        assert hooks is not None
        credit = params.get("credit")
        if type(credit) is not int or credit < 0:
            self.fail(request_id, BulkheadError("ERR_PROTOCOL", '"stream" needs a non-negative "credit"'))
            return
        if hooks.stream is None:
            self.fail(request_id, BulkheadError("ERR_NOT_SUPPORTED", f"{hooks.name} has no stream"))
            return
        ctx = self.begin(request_id)
        state = Credit(credit)
        ctx.on_cancel(state.wake)
        self.credits[request_id] = state
        self.pool.submit(self.run_stream, request_id, ctx, state, hooks.stream, params.get("input"))

    def run_stream(self, request_id: int, ctx: Context, credit: Credit, fn: Any, data: Any) -> None:
        self.local.call_id = request_id
        sender = StreamSender(self.writer, request_id, credit, ctx)
        try:
            items = fn(data, ctx) if takes_ctx(fn) else fn(data)
            if hasattr(items, "__await__"):
                items = self.loop.run(items, ctx)
            if hasattr(items, "__anext__"):
                loop = self.loop
                while True:
                    sender.wait_for_room()
                    try:
                        item = loop.run(items.__anext__(), ctx)
                    except StopAsyncIteration:
                        break
                    sender.push(item)
            else:
                for item in items:
                    sender.wait_for_room()
                    sender.push(item)
            total = sender.finish()
            self.answer(request_id, {"chunks": total})
        except BaseException as e:
            self.fail(request_id, self.call_error(e, ctx))
        finally:
            self.calls.pop(request_id, None)
            self.credits.pop(request_id, None)
            self.local.call_id = None
            self.served += 1

    def configure(self, request_id: int, params: dict[str, Any]) -> None:
        hooks = self.hooks
        assert hooks is not None
        if hooks.configure is None:
            self.fail(request_id, BulkheadError("ERR_NOT_SUPPORTED", f"{hooks.name} cannot change its config live"))
            return
        try:
            config, value = hooks.spec.validate(params.get("config"))
        except BulkheadError as e:
            self.fail(request_id, e)  # the old config stays
            return

        def run() -> None:
            try:
                self.call_hook(hooks.configure, (value,))  # type: ignore[arg-type]
            except BaseException as e:
                self.fail(request_id, plugin_failure(e))
                return
            self.config, self.config_value = config, value
            self.answer(request_id, {"config": config})

        self.pool.submit(run)

    def stats(self, request_id: int, params: dict[str, Any]) -> None:
        times = os.times()
        self.answer(
            request_id,
            {
                "pid": os.getpid(),
                "rssBytes": rss_bytes(),
                "heapUsedBytes": 0,  # Python has no cheap equivalent of V8's heapUsed
                "cpuUserMicros": round(times.user * 1e6),
                "cpuSystemMicros": round(times.system * 1e6),
                "uptimeMs": round((time.monotonic() - STARTED) * 1000),
                "inFlight": len(self.calls),
            },
        )

    def shutdown(self, request_id: int, params: dict[str, Any]) -> None:
        """Aborts running calls, runs cleanup, answers, exits 0. Off the reader thread, so that
        end-of-file on fd 3 still ends the worker at once while calls wind down."""
        self.shutting_down = True

        def run() -> None:
            for ctx in list(self.calls.values()):
                ctx.cancel("the worker is shutting down")
            deadline = time.monotonic() + SHUTDOWN_DRAIN_S
            while self.calls and time.monotonic() < deadline:
                time.sleep(0.01)
            if self.hooks is not None and self.hooks.cleanup is not None and self.initialized:
                try:
                    self.call_hook(self.hooks.cleanup, ())
                except BaseException as e:
                    sys.stderr.write(f"bulkhead worker: cleanup failed: {e!r}\n")
            self.answer(request_id, {})
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)

        start_new_thread(run, ())

    # ── running hooks ──────────────────────────────────────────────────────────────────────────

    @property
    def loop(self) -> AsyncLoop:
        with self.lock:
            if self._loop is None:
                self._loop = AsyncLoop()
            return self._loop

    def call_hook(self, fn: Any, args: tuple[Any, ...], ctx: Context | None = None) -> Any:
        """Runs a sync hook here, an async one on the event-loop thread; a coroutine returned by a
        sync function is awaited the same way."""
        if kind_of(fn) == "async":
            return self.loop.run(fn(*args), ctx)
        result = fn(*args)
        if hasattr(result, "__await__") and not hasattr(result, "__anext__"):
            return self.loop.run(result, ctx)
        return result

    def call_error(self, e: BaseException, ctx: Context) -> BulkheadError:
        if self.shutting_down and ctx.cancelled:
            return stopped("the worker is shutting down")
        if isinstance(e, CancelledError) or (ctx.cancelled and is_cancel(e)):
            return CancelledError(ctx.reason)
        if ctx.cancelled and not isinstance(e, BulkheadError):
            return CancelledError(ctx.reason)
        return plugin_failure(e)

    def _hook_logging(self) -> None:
        if not self._logging_hooked and "logging" in sys.modules:
            from .log_capture import capture_logging

            capture_logging(self)
            self._logging_hooked = True


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 1:
        sys.stderr.write("usage: python -m bulkhead_sdk.worker ENTRY  (path/to/plugin.py[:Name] or module[:Name])\n")
        sys.exit(2)
    # stdout and stderr are pipes, so Python would block-buffer them: flush per line so logs are live.
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sys.stderr.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    try:
        os.fstat(CHANNEL_FD)
    except OSError:
        sys.stderr.write("bulkhead worker: fd 3 is not open; start me through Bulkhead's host\n")
        sys.exit(EXIT_PROTOCOL)
    os.set_blocking(CHANNEL_FD, True)
    # fd 3 must not leak into what the plugin starts: a grandchild holding it would keep the
    # channel open after this worker died.
    os.set_inheritable(CHANNEL_FD, False)
    worker = Worker(args[0])
    worker.load()
    worker.run()


if __name__ == "__main__":
    main()
