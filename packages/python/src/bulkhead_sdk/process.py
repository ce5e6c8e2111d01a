"""The worker process's relation to its host: fd 3, exiting when the host goes, protocol violations."""

from __future__ import annotations

import os
import sys
import time

from .errors import BulkheadError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CHANNEL_FD = 3
EXIT_PROTOCOL = 70
SHUTDOWN_DRAIN_S = 1.0
LEADS_GROUP = os.environ.get("BULKHEAD_PROCESS_GROUP") == "1"
STARTED = time.monotonic()


def host_gone() -> None:
    """fd 3 ended or failed, or the parent changed: exit now, skipping plugin cleanup (section 1)."""
    if LEADS_GROUP and os.getpgrp() == os.getpid():
        try:
            os.killpg(os.getpid(), 9)  # the group, this process included
        except OSError:
            pass
    os._exit(0)


def protocol_violation(why: str) -> None:
    try:
        sys.stderr.write(f"bulkhead worker: protocol error: {why}\n")
        sys.stderr.flush()
    finally:
        if LEADS_GROUP and os.getpgrp() == os.getpid():
            try:
                os.killpg(os.getpid(), 9)
            except OSError:
                pass
        os._exit(EXIT_PROTOCOL)


def watch_parent() -> None:
    """Backstop: a changed parent pid means the host died without fd 3 ending for us."""
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            host_gone()


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
        return peak if sys.platform == "darwin" else peak * 1024


def is_cancel(e: BaseException) -> bool:
    return type(e).__name__ == "CancelledError"


def stopped(reason: str) -> BulkheadError:
    return BulkheadError(
        "ERR_WORKER_EXITED", reason, {"exitCode": None, "signal": None, "stderrTail": [], "stopped": True}
    )


def major(v: Any) -> int | None:
    if not isinstance(v, str):
        return None
    parts = v.split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0])
