"""The wire format of docs/protocol.md: frames on fd 3, JSON headers, binary attachments, file handoff.

The one module of the Python SDK that knows bytes. Frames are read through a buffer (several frames
per read, a large one read straight into its own buffer) and written whole with one ``writev`` under
a lock, from any thread.
"""

from __future__ import annotations

import json
import os
import struct
import threading

from .codec import DEFAULT_HANDOFF_BYTES, MAX_SAFE_INTEGER, Codec, Handoff, ProtocolError
from .errors import BulkheadError

# typing is not imported at run time (it costs a worker's cold start ~3 ms); annotations are
# postponed, so only type checkers read these names.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable


__all__ = [
    "DEFAULT_HANDOFF_BYTES",
    "DEFAULT_MAX_FRAME_BYTES",
    "MAX_SAFE_INTEGER",
    "PROTOCOL_VERSION",
    "Codec",
    "FrameReader",
    "FrameWriter",
    "Handoff",
    "ProtocolError",
    "env_int",
]

PROTOCOL_VERSION = "1.1"
DEFAULT_MAX_FRAME_BYTES = 268435456

_U32 = struct.Struct(">I")
_U32X2 = struct.Struct(">II")
_json_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_json_decode = json.JSONDecoder().decode


def env_int(name: str, default: int) -> int:
    """A positive integer from the environment; missing, zero or malformed means ``default``."""
    try:
        n = int(os.environ.get(name, ""))
    except ValueError:
        return default
    return n if n > 0 else default


class FrameReader:
    """Reads messages from a blocking fd; end-of-file or an error calls ``on_eof`` (never returns)."""

    def __init__(self, fd: int, max_frame: int, codec: Codec, on_eof: Callable[[], None]) -> None:
        self.fd = fd
        self.max_frame = max_frame
        self.codec = codec
        self.on_eof = on_eof
        self.buf = bytearray(1 << 16)
        self.start = 0
        self.end = 0

    def _fill(self) -> None:
        if self.start == self.end:
            self.start = self.end = 0
        elif self.end == len(self.buf):
            # Move the partial frame to the front (a same-size slice assignment keeps the length).
            n = self.end - self.start
            self.buf[:n] = self.buf[self.start : self.end]
            self.start, self.end = 0, n
            if n == len(self.buf):
                self.buf.extend(bytes(len(self.buf)))
        try:
            n = os.readv(self.fd, [memoryview(self.buf)[self.end :]])
        except InterruptedError:
            return
        except OSError:
            n = 0
        if n == 0:
            self.on_eof()
        self.end += n

    def _read_into(self, out: bytearray) -> None:
        view = memoryview(out)
        have = min(self.end - self.start, len(out))
        view[:have] = self.buf[self.start : self.start + have]
        self.start += have
        got = have
        while got < len(out):
            try:
                n = os.readv(self.fd, [view[got:]])
            except InterruptedError:
                continue
            except OSError:
                n = 0
            if n == 0:
                self.on_eof()
            got += n

    def read(self) -> dict[str, Any]:
        while self.end - self.start < 4:
            self._fill()
        (body_length,) = _U32.unpack_from(self.buf, self.start)
        if body_length < 4 or body_length > self.max_frame:
            # Checked before reading the body: a huge length must not make us allocate it.
            raise ProtocolError(f"frame body of {body_length} bytes (limit {self.max_frame})")
        self.start += 4
        if body_length <= len(self.buf):
            while self.end - self.start < body_length:
                self._fill()
            body: Any = memoryview(self.buf)[self.start : self.start + body_length]
            self.start += body_length
        else:
            big = bytearray(body_length)
            self._read_into(big)
            body = memoryview(big)
        try:
            return self._parse(body, body_length)
        finally:
            body.release()

    def _parse(self, body: memoryview, body_length: int) -> dict[str, Any]:
        (header_length,) = _U32.unpack_from(body, 0)
        if header_length > body_length - 4:
            raise ProtocolError(f"header length {header_length} exceeds the body ({body_length - 4})")
        try:
            header = _json_decode(str(body[4 : 4 + header_length], "utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ProtocolError(f"header is not UTF-8 JSON: {e}") from None
        if type(header) is not dict:
            raise ProtocolError("header is not a JSON object")
        rest = body_length - 4 - header_length
        attachments: list[bytes] = []
        lengths = header.pop("bin", None)
        if lengths is not None:
            if type(lengths) is not list or not all(type(n) is int and n >= 0 for n in lengths):
                raise ProtocolError('"bin" is not an array of non-negative integers')
            if sum(lengths) != rest:
                raise ProtocolError(f"attachments add up to {sum(lengths)} bytes, the frame carries {rest}")
            offset = 4 + header_length
            for n in lengths:
                attachments.append(bytes(body[offset : offset + n]))
                offset += n
        elif rest != 0:
            raise ProtocolError(f'{rest} bytes after a header without "bin"')
        if type(header.get("method")) is not str and type(header.get("id")) is not int:
            raise ProtocolError('message has neither a string "method" nor an integer "id"')
        params = header.get("params")
        if params is not None and (attachments or _may_hold_refs(params)):
            header["params"] = self.codec.decode(params, attachments)
        return header


def _may_hold_refs(params: Any) -> bool:
    """Cheap pre-check: only a dict or list can hold a reference."""
    return type(params) is dict and any(type(v) in (dict, list) for v in params.values())


class FrameWriter:
    """Writes whole frames to fd 3 from any thread."""

    def __init__(self, fd: int, max_frame: int, codec: Codec, on_error: Callable[[], None]) -> None:
        self.fd = fd
        self.max_frame = max_frame
        self.codec = codec
        self.on_error = on_error
        self.lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        """Encodes and writes one message. Raises BulkheadError (ERR_SERIALIZE, ERR_FRAME_TOO_LARGE)
        having written nothing. Only ``params`` and ``result`` may carry binaries."""
        attachments: list[Any] = []
        encode = self.codec.encode
        out = {k: encode(v, k, attachments if k in ("params", "result") else None) for k, v in message.items()}
        if attachments:
            out["bin"] = [a.nbytes for a in attachments]
        header = _json_dumps(out).encode("utf-8")
        body_length = 4 + len(header) + sum(a.nbytes for a in attachments)
        if body_length > self.max_frame:
            raise BulkheadError(
                "ERR_FRAME_TOO_LARGE",
                f"message of {body_length} bytes exceeds the {self.max_frame}-byte frame limit",
                {"bytes": body_length, "maxFrameBytes": self.max_frame},
            )
        head = _U32X2.pack(body_length, len(header)) + header
        with self.lock:
            if not attachments:
                written = 0
                try:
                    written = os.write(self.fd, head)
                except InterruptedError:
                    pass
                except OSError:
                    self.on_error()
                    return
                if written < len(head):  # a full socket buffer: the rest, as any frame
                    self._write_all([memoryview(head)[written:]])
                return
            self._write_all([head, *attachments])

    def _write_all(self, parts: list[Any]) -> None:
        views = [memoryview(p) for p in parts]
        while views:
            try:
                written = os.writev(self.fd, views[:1024])  # IOV_MAX
            except InterruptedError:
                continue
            except OSError:
                self.on_error()
                return
            while views and written >= views[0].nbytes:
                written -= views[0].nbytes
                views.pop(0)
            if views and written:
                views[0] = views[0][written:]
