"""How the worker runs plugin code off its protocol loop: a pool of threads for hooks, one
event-loop thread for ``async def`` hooks, and the credit-bounded sender of a stream's items."""

from __future__ import annotations

import threading

from .context import Context
from .errors import CancelledError

# typing is not imported at run time (it costs a worker's cold start ~3 ms); annotations are
# postponed, so only type checkers read these names.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable


#: Threads the pool starts at most; calls beyond wait for one (the host sends at most the
#: manifest's concurrency at once, default 1).
MAX_THREADS = 64


class CallPool:
    """Threads that run hooks. A call never waits for a thread: when none is idle another starts,
    so a plugin that blocks one thread holds up nothing else. Idle threads are reused (starting a
    thread per call would cost more than a no-op call)."""

    def __init__(self) -> None:
        import queue

        self._tasks: Any = queue.SimpleQueue()
        self._threads = 0
        self._busy = 0
        self._queued = 0
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        with self._lock:
            self._queued += 1
            spawn = self._queued + self._busy > self._threads and self._threads < MAX_THREADS
            if spawn:
                self._threads += 1
        self._tasks.put((fn, args))
        if spawn:
            threading.Thread(target=self._run, name="bulkhead-call", daemon=True).start()

    def _run(self) -> None:
        get, lock = self._tasks.get, self._lock
        while True:
            fn, args = get()
            with lock:
                self._queued -= 1
                self._busy += 1
            try:
                fn(*args)
            except BaseException as e:  # a bug of the worker's own: keep the thread
                import sys

                sys.stderr.write(f"bulkhead worker: internal error: {e!r}\n")
            with lock:
                self._busy -= 1


class AsyncLoop:
    """One asyncio event loop on a thread of its own, started the first time an async hook runs."""

    def __init__(self) -> None:
        import asyncio

        self._asyncio = asyncio
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="bulkhead-asyncio", daemon=True).start()

    def run(self, awaitable: Any, ctx: Context | None = None) -> Any:
        """Awaits on the loop, blocking this thread; cancelling the call cancels the task."""
        import concurrent.futures

        async def wrapped() -> Any:
            return await awaitable

        future = self._asyncio.run_coroutine_threadsafe(wrapped(), self.loop)
        remove = ctx.on_cancel(future.cancel) if ctx is not None else (lambda: None)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise CancelledError(ctx.reason if ctx is not None else None) from None
        finally:
            remove()


class Credit:
    """How many items a stream may still send: ``credit`` of the request plus every ``$/pull``."""

    def __init__(self, initial: int) -> None:
        self.cond = threading.Condition()
        self.total = initial
        self.on_grant: Callable[[], None] | None = None

    def grant(self, n: int) -> None:
        with self.cond:
            self.total += n
            self.cond.notify_all()
        if self.on_grant is not None:
            self.on_grant()

    def wake(self) -> None:
        with self.cond:
            self.cond.notify_all()


class StreamSender:
    """Sends a stream's items as ``$/chunk`` frames within its credit, each as soon as the plugin
    yields it (progress-like items must not wait for the next one)."""

    def __init__(self, writer: Any, call_id: int, credit: Credit, ctx: Context) -> None:
        self.writer, self.call_id, self.credit, self.ctx = writer, call_id, credit, ctx
        self.cond = credit.cond
        self.sent = 0

    def wait_for_room(self) -> None:
        """Blocks until the host accepts another item (or the call is cancelled)."""
        with self.cond:
            while self.sent >= self.credit.total and not self.ctx.cancelled:
                self.cond.wait()
        self.ctx.raise_if_cancelled()

    def push(self, item: Any) -> None:
        """Raises ERR_SERIALIZE or ERR_FRAME_TOO_LARGE (failing the stream) if the item cannot travel."""
        self.writer.send({"method": "$/chunk", "params": {"id": self.call_id, "items": [item]}})
        self.sent += 1

    def finish(self) -> int:
        self.ctx.raise_if_cancelled()
        return self.sent
