"""How the worker runs plugin code off its protocol loop: a pool of threads for hooks, one
event-loop thread for ``async def`` hooks, and the credit-bounded sender of a stream's items."""

from __future__ import annotations

from _thread import allocate_lock, start_new_thread
from time import sleep

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
#: A call that finds every pool thread busy waits for one to finish; while calls wait, a watcher
#: looks every STALL_S seconds and starts another thread when no call finished in that time (the
#: busy ones are blocked). Progress, not a call's age, decides: on a loaded machine a quick call can
#: wait longer than this for the GIL or a core without being blocked.
STALL_S = 0.020


class CallPool:
    """Threads that run hooks. A plugin that blocks holds up nothing else: calls that find every
    thread busy wait, and when none finishes for STALL_S another thread starts (then one more each
    STALL_S while that lasts); cancel, ping and stats never wait for the pool (the main thread answers
    them). Quick calls that arrive together (pipelined) queue for the running threads rather than
    each starting a thread of its own: threads beyond the cores only fight for the GIL. A task goes
    straight to an idle thread, which sleeps on a lock of its own. Only ``_thread`` locks: no
    ``queue`` or ``threading`` import at start."""

    def __init__(self) -> None:
        self._lock = allocate_lock()
        self._pending: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        self._idle: list[_Slot] = []
        self._threads = 0
        self._done = 0  # calls finished, ever: the watcher's measure of progress
        self._watching = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        with self._lock:
            if self._idle:
                slot = self._idle.pop()
                slot.task = (fn, args)
                slot.wake.release()
                return
            if self._threads:
                self._pending.append((fn, args))
                if not self._watching:
                    self._watching = True
                    start_new_thread(self._watch, ())
                return
            self._threads += 1
        start_new_thread(self._run, (fn, args))

    def _watch(self) -> None:
        """While calls wait: a thread more each STALL_S in which no call finished."""
        with self._lock:
            seen = self._done
        while True:
            sleep(STALL_S)
            with self._lock:
                if not self._pending:
                    self._watching = False
                    return
                if self._done != seen or self._threads >= MAX_THREADS:
                    seen = self._done
                    continue
                fn, args = self._pending.pop(0)
                self._threads += 1
            start_new_thread(self._run, (fn, args))

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        slot = _Slot()
        lock, pending, idle = self._lock, self._pending, self._idle
        while True:
            try:
                fn(*args)
            except BaseException as e:  # a bug of the worker's own: keep the thread
                import sys

                sys.stderr.write(f"bulkhead worker: internal error: {e!r}\n")
            fn = args = None  # type: ignore[assignment]  # drop references while idle
            with lock:
                self._done += 1
                if pending:
                    fn, args = pending.pop(0)
                    continue
                idle.append(slot)
            slot.wake.acquire()  # released by submit, with slot.task set
            fn, args = slot.task  # type: ignore[misc]
            slot.task = None


class _Slot:
    """An idle pool thread: it sleeps on ``wake`` (held) until ``submit`` gives it ``task``."""

    __slots__ = ("wake", "task")

    def __init__(self) -> None:
        self.wake = allocate_lock()
        self.wake.acquire()
        self.task: tuple[Callable[..., Any], tuple[Any, ...]] | None = None


class AsyncLoop:
    """One asyncio event loop on a thread of its own, started the first time an async hook runs."""

    def __init__(self) -> None:
        import asyncio
        import threading

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
        import threading  # streams only: the worker does not import it at start (~7 ms)

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
