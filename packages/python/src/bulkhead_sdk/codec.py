"""Values on the wire (docs/protocol.md, section 3): JSON plus binary attachments, and file handoff
(section 3.1). What a plugin returns becomes a header-ready value and a list of attachments; what
arrives becomes plain Python values again, with ``bytes`` for every binary."""

from __future__ import annotations

import math
import os
import sys
import threading

from .errors import BulkheadError

# typing is not imported at run time (it costs a worker's cold start ~3 ms); annotations are
# postponed, so only type checkers read these names.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable


#: Binary values at least this large go by file when the host gave a handoff directory (the host
#: sends its own figure in ``initialize``).
DEFAULT_HANDOFF_BYTES = 134217728
#: Integers a JavaScript peer reads back exactly; larger ones must travel as strings.
MAX_SAFE_INTEGER = 2**53 - 1

# numpy element types and the typed-array name the Node peer rebuilds them as.
_NUMPY_TYPES = {
    "int8": "Int8Array",
    "uint8": "Uint8Array",
    "int16": "Int16Array",
    "uint16": "Uint16Array",
    "int32": "Int32Array",
    "uint32": "Uint32Array",
    "float32": "Float32Array",
    "float64": "Float64Array",
    "int64": "BigInt64Array",
    "uint64": "BigUint64Array",
}


class ProtocolError(Exception):
    """The peer broke the protocol (section 7)."""


class Handoff:
    """A binary value sent by file instead of through the socket (the reference design's
    file-backed transfer), whatever its size: ``return Handoff(huge_bytes)``, or
    ``Handoff(path=...)`` for a file already written (it is moved, and then belongs to the receiver).
    """

    __slots__ = ("data", "path")

    def __init__(self, data: bytes | bytearray | memoryview | None = None, *, path: str | None = None) -> None:
        if (data is None) == (path is None):
            raise TypeError("Handoff takes the bytes or a path=, not both")
        self.data = data
        self.path = path


class Codec:
    """Turns values into JSON + attachments and back (section 3), with file handoff (section 3.1)."""

    def __init__(self, handoff_dir: str | None, handoff_bytes: int) -> None:
        self.handoff_dir: str | None = None
        self.handoff_bytes = handoff_bytes
        self._files = 0
        self._lock = threading.Lock()
        if handoff_dir:
            self.set_handoff(handoff_dir, handoff_bytes)

    def set_handoff(self, handoff_dir: str, handoff_bytes: int) -> None:
        """The host's private directory for files (the ``handoff`` member of ``initialize``)."""
        self.handoff_dir = os.path.realpath(handoff_dir)
        self.handoff_bytes = handoff_bytes

    # ── encoding ───────────────────────────────────────────────────────────────────────────────

    def encode(self, value: Any, path: str, attachments: list[Any] | None) -> Any:
        """Replaces binaries by references; refuses what JSON cannot carry faithfully (ERR_SERIALIZE).
        ``attachments`` is None where binaries cannot travel (an error's data)."""
        t = type(value)
        if value is None or t is str or t is bool or (t is int and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER):
            return value  # the common answers, without a walk
        return self._walk(value, path, attachments, set())

    def _walk(self, v: Any, at: str, attachments: list[Any] | None, seen: set[int]) -> Any:
        t = type(v)
        if v is None or t is str or t is bool:
            return v
        if t is int:
            if -MAX_SAFE_INTEGER <= v <= MAX_SAFE_INTEGER:
                return v
            raise _serialize(at, f"{v} is not a safe integer; send it as a string")
        if t is float:
            return v if math.isfinite(v) else None  # as JSON.stringify: NaN, ±Infinity -> null
        if t is dict or t is list or t is tuple:
            if id(v) in seen:
                raise _serialize(at, "it is a cycle")
            seen.add(id(v))
            walk = self._walk
            try:
                if t is dict:
                    if "$bin" in v or "$file" in v:
                        raise _serialize(at, '"$bin" and "$file" are reserved keys')
                    out: dict[str, Any] = {}
                    for k, item in v.items():
                        if type(k) is not str:
                            raise _serialize(at, f"key {k!r} is not a string")
                        ti = type(item)
                        out[k] = (
                            item
                            if (ti is str or ti is bool or item is None)
                            else walk(item, f"{at}.{k}", attachments, seen)
                        )
                    return out
                return [walk(item, f"{at}[{i}]", attachments, seen) for i, item in enumerate(v)]
            finally:
                seen.discard(id(v))
        return self._encode_other(v, at, attachments, lambda x, p: self._walk(x, p, attachments, seen))

    def _encode_other(self, v: Any, at: str, attachments: list[Any] | None, walk: Callable[[Any, str], Any]) -> Any:
        if isinstance(v, (bytes, bytearray, memoryview)):
            return self._binary(v, None, at, attachments)
        if isinstance(v, Handoff):
            if attachments is None:
                raise _serialize(at, "files cannot travel here")
            if v.path is not None:
                return self._file_from_path(v.path, at)
            return self._file_from_bytes(memoryview(v.data).cast("B"), None, at)  # type: ignore[arg-type]
        to_temp_file = getattr(v, "to_temp_file", None)
        if callable(to_temp_file):  # the reference design's FileBackedDTO
            if attachments is None:
                raise _serialize(at, "files cannot travel here")
            return self._file_from_path(str(to_temp_file()), at)
        if isinstance(v, (str, int, float)):  # subclasses (enums, numpy scalars that subclass float)
            return walk(t_base(v), at)
        numpy = sys.modules.get("numpy")
        if numpy is not None:
            if isinstance(v, numpy.ndarray):
                hint = _NUMPY_TYPES.get(str(v.dtype))
                if hint is None or v.dtype.byteorder == ">":
                    raise _serialize(at, f"a numpy array of {v.dtype} has no binary form; convert it")
                data = memoryview(numpy.ascontiguousarray(v)).cast("B")
                return self._binary(data, None if hint == "Uint8Array" else hint, at, attachments)
            if isinstance(v, numpy.generic):
                return walk(v.item(), at)
        if hasattr(v, "__dataclass_fields__") and not isinstance(v, type):
            import dataclasses

            return walk({f.name: getattr(v, f.name) for f in dataclasses.fields(v)}, at)
        model_dump = getattr(v, "model_dump", None)  # a pydantic model
        if callable(model_dump) and not isinstance(v, type):
            return walk(model_dump(mode="json"), at)
        if isinstance(v, (set, frozenset)) or callable(v) or hasattr(v, "__await__"):
            raise _serialize(at, f"a {type(v).__name__} has no JSON form")
        if hasattr(v, "isoformat") and callable(v.isoformat):  # datetime, date: as JSON.stringify
            return v.isoformat()
        raise _serialize(at, f"a {type(v).__name__} has no JSON form")

    def _binary(self, v: Any, hint: str | None, at: str, attachments: list[Any] | None) -> Any:
        if attachments is None:
            raise _serialize(at, "bytes cannot travel here")
        view = v if isinstance(v, memoryview) else memoryview(v)
        if view.ndim != 1 or view.itemsize != 1:
            view = view.cast("B")
        if self.handoff_dir is not None and view.nbytes >= self.handoff_bytes:
            return self._file_from_bytes(view, hint, at)
        attachments.append(view)
        ref: dict[str, Any] = {"$bin": len(attachments) - 1}
        if hint is not None:
            ref["type"] = hint
        return ref

    def _next_file(self) -> str:
        if self.handoff_dir is None:
            raise BulkheadError("ERR_NOT_SUPPORTED", "the host gave no handoff directory (BULKHEAD_HANDOFF_DIR)")
        with self._lock:
            self._files += 1
            n = self._files
        return os.path.join(self.handoff_dir, f"w{os.getpid()}-{n}.bin")

    def _file_from_bytes(self, view: memoryview, hint: str | None, at: str) -> dict[str, Any]:
        target = self._next_file()
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        ref: dict[str, Any] = {"$file": os.path.basename(target), "size": os.path.getsize(target)}
        if hint is not None:
            ref["type"] = hint
        return ref

    def _file_from_path(self, source: str, at: str) -> dict[str, Any]:
        target = self._next_file()
        try:
            os.rename(source, target)  # the file now belongs to the receiver
        except OSError:
            import shutil

            try:
                shutil.copyfile(source, target)
                os.unlink(source)
            except OSError as e:
                raise _serialize(at, f"cannot hand over {source}: {e}") from None
        return {"$file": os.path.basename(target), "size": os.path.getsize(target)}

    # ── decoding ───────────────────────────────────────────────────────────────────────────────

    def decode(self, value: Any, attachments: list[bytes]) -> Any:
        """Replaces every reference by its bytes: ``{"$bin": i}`` from the frame, ``{"$file": name}``
        read from the handoff directory (and removed: it belonged to this side now)."""
        t = type(value)
        if t is list:
            return [self.decode(v, attachments) for v in value]
        if t is dict:
            if "$bin" in value:
                index = value["$bin"]
                if type(index) is not int or not 0 <= index < len(attachments):
                    raise ProtocolError(f"binary reference {index!r} has no attachment")
                return attachments[index]
            if "$file" in value:
                return self._read_file(value)
            return {k: self.decode(v, attachments) for k, v in value.items()}
        return value

    def _read_file(self, ref: dict[str, Any]) -> bytes:
        name, size = ref.get("$file"), ref.get("size")
        if self.handoff_dir is None or type(name) is not str or "/" in name or name in ("", ".", ".."):
            raise ProtocolError(f"file reference {name!r} is not a file of the handoff directory")
        path = os.path.join(self.handoff_dir, name)
        try:
            with open(path, "rb") as f:
                data = f.read()
            os.unlink(path)
        except OSError as e:
            raise ProtocolError(f"file reference {name!r}: {e.strerror}") from None
        if size is not None and size != len(data):
            raise ProtocolError(f"file reference {name!r} holds {len(data)} bytes, not {size}")
        return data


def t_base(v: Any) -> Any:
    """A str/int/float subclass instance as the plain value."""
    for base in (bool, int, float, str):
        if isinstance(v, base):
            return base(v)
    return v


def _serialize(at: str, why: str) -> BulkheadError:
    return BulkheadError("ERR_SERIALIZE", f"cannot send {at}: {why}", {"path": at})
