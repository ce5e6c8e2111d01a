"""A standard-library client for a Bulkhead server (``bulkhead serve``).

Values cross as JSON; bytes travel as ``{"$bytes": "<base64>"}`` and come back as ``bytes``
(docs/control.md, "Values"). Live events come from one Server-Sent Events stream, read here with
``urllib`` and resumed with ``Last-Event-ID`` when the connection drops.
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, Iterator, Optional

__all__ = ["Client", "BulkheadError", "TERMINAL"]

TERMINAL = ("completed", "failed", "cancelled")


class BulkheadError(Exception):
    """An error answer of the server: ``code`` is the stable ERR_* code, ``data`` its details."""

    def __init__(self, code: str, message: str, data: Any = None, status: Optional[int] = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data
        self.status = status


def to_wire(value: Any) -> Any:
    """``value`` made JSON-safe: bytes become ``{"$bytes": base64}``."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        out = {k: to_wire(v) for k, v in value.items()}
        return {"$object": out} if ("$bytes" in value or "$object" in value) else out
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    return value


def from_wire(value: Any) -> Any:
    """The inverse of :func:`to_wire`: ``{"$bytes": …}`` becomes ``bytes`` (typed arrays too)."""
    if isinstance(value, list):
        return [from_wire(v) for v in value]
    if isinstance(value, dict):
        if "$bytes" in value and isinstance(value["$bytes"], str) and len(value) <= 2:
            return base64.b64decode(value["$bytes"])
        if "$object" in value and len(value) == 1 and isinstance(value["$object"], dict):
            return {k: from_wire(v) for k, v in value["$object"].items()}
        return {k: from_wire(v) for k, v in value.items()}
    return value


class Client:
    """A client of one server. ``url`` may carry the token (``?token=…``), as ``bulkhead serve`` prints it."""

    def __init__(self, url: str, token: Optional[str] = None, timeout: float = 60.0):
        parts = urllib.parse.urlsplit(url)
        query = urllib.parse.parse_qs(parts.query)
        self.token = token or (query.get("token") or [None])[0] or os.environ.get("BULKHEAD_TOKEN")
        self.url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
        self.timeout = timeout

    # ─── jobs ───
    def submit(
        self,
        plugin: str,
        input: Any = None,
        *,
        priority: Optional[float] = None,
        timeout_ms: Optional[int] = None,
        max_attempts: Optional[int] = None,
        idempotency_key: Optional[str] = None,
        resources: Optional[Dict[str, float]] = None,
    ) -> str:
        """Queues a job and returns its id. The input is checked against the plugin's input schema."""
        options = {
            k: v
            for k, v in {
                "priority": priority,
                "timeout": timeout_ms,
                "maxAttempts": max_attempts,
                "idempotencyKey": idempotency_key,
                "resources": resources,
            }.items()
            if v is not None
        }
        body: Dict[str, Any] = {"plugin": plugin, "input": to_wire({} if input is None else input)}
        if options:
            body["options"] = options
        return self._json("POST", "/api/jobs", body)["id"]

    def get(self, job_id: str) -> Dict[str, Any]:
        return self._json("GET", f"/api/jobs/{_q(job_id)}")

    def list(self, **filters: Any) -> Dict[str, Any]:
        """``status`` (comma-separated), ``plugin``, ``q`` (text search), ``since``, ``until``, ``limit``, ``cursor``."""
        query = urllib.parse.urlencode({k: v for k, v in filters.items() if v is not None})
        return self._json("GET", f"/api/jobs{'?' + query if query else ''}")

    def cancel(self, job_id: str) -> Dict[str, Any]:
        """Cancels a pending or running job; returns it once it has ended."""
        return self._json("POST", f"/api/jobs/{_q(job_id)}/cancel")

    def retry(self, job_id: str) -> str:
        return self._json("POST", f"/api/jobs/{_q(job_id)}/retry")["id"]

    def result(self, job_id: str) -> Any:
        """The job's result: ``bytes`` for a bytes result. Raises the job's own error if it did not complete."""
        status, headers, body = self._request("GET", f"/api/jobs/{_q(job_id)}/result")
        if headers.get("content-type", "").startswith("application/octet-stream"):
            return body
        return from_wire(json.loads(body))["result"]

    def logs(self, job_id: str, limit: Optional[int] = None) -> list:
        return self._json("GET", f"/api/jobs/{_q(job_id)}/logs{'?limit=%d' % limit if limit else ''}")

    def explain(self, job_id: str) -> Dict[str, Any]:
        return self._json("GET", f"/api/jobs/{_q(job_id)}/explain")

    def wait(
        self,
        job_id: str,
        on_progress: Optional[Callable[[Dict[str, Any]], None]] = None,
        timeout: Optional[float] = None,
    ) -> Dict[str, Any]:
        """Blocks until the job ends and returns it; calls ``on_progress`` with its latest progress,
        then with each progress event."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for event in self._job_events(job_id, deadline):
            if event["type"] == "progress" and on_progress is not None:
                on_progress(event["data"])
        return self.get(job_id)

    def progress(self, job_id: str) -> Iterator[Dict[str, Any]]:
        """Yields the job's latest progress (``{"fraction", "message"}``), then each as it is pushed,
        until the job ends."""
        for event in self._job_events(job_id, None):
            if event["type"] == "progress":
                yield event["data"]

    def events(self, last_event_id: Optional[int] = None) -> "EventStream":
        """Every live event (``{"id", "type", "data"}``), resuming after drops with Last-Event-ID."""
        return EventStream(self, last_event_id)

    # ─── plugins and system ───
    def plugins(self) -> list:
        return self._json("GET", "/api/plugins")

    def config(self, name: str) -> Dict[str, Any]:
        return self._json("GET", f"/api/plugins/{_q(name)}/config")["config"]

    def set_config(self, name: str, patch: Dict[str, Any]) -> Dict[str, Any]:
        """Raises ERR_CONFIG_INVALID (``data["issues"]``: every failing field) if the patch breaks the schema."""
        return self._json("PUT", f"/api/plugins/{_q(name)}/config", patch)

    def system(self) -> Dict[str, Any]:
        return self._json("GET", "/api/system")

    def health(self) -> Dict[str, Any]:
        return self._json("GET", "/api/health")

    # ─── plumbing ───
    def _job_events(self, job_id: str, deadline: Optional[float]) -> Iterator[Dict[str, Any]]:
        # The stream is connected (the server listening for us) before the job is read, so its
        # end cannot slip between the two. The progress the job holds comes first: what was pushed
        # before the stream connected (all of it, for a short job) is in the job, not the stream.
        stream = self.events()
        stream.connect()
        try:
            job = self.get(job_id)
            if job.get("progress"):
                yield {"type": "progress", "data": {"id": job_id, **job["progress"]}}
            if job["status"] in TERMINAL:
                return
            for event in stream:
                if deadline is not None and time.monotonic() > deadline:
                    raise BulkheadError("ERR_TIMEOUT", f"job {job_id} did not end in time", {"forced": False})
                data = event["data"]
                if isinstance(data, dict) and data.get("id") == job_id:
                    yield event
                    if event["type"] == "job" and data.get("status") in TERMINAL:
                        return
                elif event["type"] == "reset" and self.get(job_id)["status"] in TERMINAL:
                    return
        finally:
            stream.close()

    def _json(self, method: str, path: str, body: Any = None) -> Any:
        _, _, raw = self._request(method, path, body)
        return from_wire(json.loads(raw))

    def _request(self, method: str, path: str, body: Any = None):
        resp = self._open(method, path, body, {}, timeout=self.timeout)
        with resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()

    def _open(self, method: str, path: str, body: Any, headers: Dict[str, str], timeout: Optional[float]):
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        for k, v in headers.items():
            req.add_header(k, v)
        try:
            return urllib.request.urlopen(req, timeout=timeout)
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                err = json.loads(raw)["error"]
            except (ValueError, KeyError, TypeError):
                raise BulkheadError("ERR_INTERNAL", f"{method} {path} answered {e.code}", None, e.code) from None
            raise BulkheadError(err.get("code", "ERR_INTERNAL"), err.get("message", ""), err.get("data"), e.code) from None


class EventStream:
    """The server's event stream: iterate it for events; ``close()`` ends it. Reconnects after a
    drop, sending the last id seen, so nothing the server still holds is missed."""

    def __init__(self, client: Client, last_event_id: Optional[int] = None):
        self._client = client
        self._last = None if last_event_id is None else str(last_event_id)
        self._resp = None
        self._closed = False

    def connect(self) -> None:
        """Opens the connection now (it opens at the first iteration otherwise)."""
        headers = {"Accept": "text/event-stream"}
        if self._last is not None:
            headers["Last-Event-ID"] = self._last
        self._resp = self._client._open("GET", "/api/events", None, headers, timeout=None)

    def close(self) -> None:
        self._closed = True
        if self._resp is not None:
            self._resp.close()
            self._resp = None

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        while not self._closed:
            if self._resp is None:
                self.connect()
            event, data = "", []
            try:
                for raw in self._resp:
                    line = raw.decode("utf-8").rstrip("\r\n")
                    if line == "":
                        if data:
                            payload = from_wire(json.loads("\n".join(data)))
                            if event == "error":
                                raise BulkheadError(payload.get("code", "ERR_INTERNAL"), payload.get("message", ""), payload.get("data"))
                            yield {"id": int(self._last) if self._last else None, "type": event or "message", "data": payload}
                        event, data = "", []
                    elif not line.startswith(":"):
                        field, _, value = line.partition(":")
                        value = value[1:] if value.startswith(" ") else value
                        if field == "data":
                            data.append(value)
                        elif field == "event":
                            event = value
                        elif field == "id":
                            self._last = value
            except (ConnectionError, OSError, AttributeError):
                if self._closed:
                    return
            if self._resp is not None:
                self._resp.close()
                self._resp = None
            if not self._closed:
                time.sleep(1)


def _q(s: str) -> str:
    return urllib.parse.quote(s, safe="")
