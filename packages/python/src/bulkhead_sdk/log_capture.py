"""The ``logging`` module's records as the plugin's structured log (``$/log``), tied to the call
that logged them. Installed only when the plugin imported ``logging``: importing it costs start-up."""

from __future__ import annotations

import logging
from typing import Any


class WorkerLogHandler(logging.Handler):
    def __init__(self, worker: Any) -> None:
        super().__init__(logging.DEBUG)
        self.worker = worker

    def emit(self, record: logging.LogRecord) -> None:
        try:
            n = record.levelno
            level = (
                "error"
                if n >= logging.ERROR
                else "warn"
                if n >= logging.WARNING
                else "info"
                if n >= logging.INFO
                else "debug"
            )
            params: dict[str, Any] = {"level": level, "message": record.getMessage()}
            if record.exc_info:
                params["message"] += "\n" + self.format(record).split("\n", 1)[-1]
            call_id = getattr(self.worker.local, "call_id", None)
            if call_id is not None:
                params["id"] = call_id
            if record.name != "root":
                params["data"] = {"logger": record.name}
            self.worker.notify("$/log", params)
        except Exception:
            self.handleError(record)


def capture_logging(worker: Any) -> None:
    root = logging.getLogger()
    root.addHandler(WorkerLogHandler(worker))
    if root.level in (logging.NOTSET, logging.WARNING):
        root.setLevel(logging.INFO)  # as the reference design's worker did (basicConfig(level=INFO))
