"""The worker's JSON, as ``json`` does it, without importing ``json`` at start.

``import json`` costs a worker's cold start ~15 ms (``json.decoder`` and ``json.scanner`` import
``re``, which imports ``enum``). The work is done by the same C accelerator ``json`` itself uses
(``_json``), set up here exactly as ``json.JSONEncoder(ensure_ascii=False, separators=(",", ":"),
allow_nan=False).encode`` and ``json.JSONDecoder().decode`` set it up; where ``_json`` is missing or
differs, the ``json`` module itself is used. Errors are ``json``'s own (imported when one happens).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

__all__ = ["dumps", "loads"]

_WS = " \t\n\r"  # json.decoder.WHITESPACE


def _default(o: Any) -> Any:
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


class _ScanContext:
    """The attributes ``_json.make_scanner`` reads from a ``json.JSONDecoder``, with its defaults."""

    def __init__(self) -> None:
        nan = float("nan")
        inf = float("inf")
        constants = {"-Infinity": -inf, "Infinity": inf, "NaN": nan}
        self.strict = True
        self.object_hook = None
        self.object_pairs_hook = None
        self.parse_float = float
        self.parse_int = int
        self.parse_constant = constants.__getitem__
        self.memo: dict[str, Any] = {}


def _decode_error(message: str, s: str, at: int) -> ValueError:
    from json import JSONDecodeError

    return JSONDecodeError(message, s, at)


def _make() -> tuple[Callable[[Any], str], Callable[[str], Any]]:
    try:
        import _json

        # json.encoder.c_make_encoder(markers, default, encoder, indent, key_separator,
        # item_separator, sort_keys, skipkeys, allow_nan), as JSONEncoder.iterencode calls it
        make_encoder: Any = _json.make_encoder  # type: ignore[attr-defined]
        iterencode = make_encoder({}, _default, _json.encode_basestring, None, ":", ",", False, False, False)
        make_scanner: Any = _json.make_scanner  # type: ignore[attr-defined]
        scan_once = make_scanner(_ScanContext())
    except (ImportError, AttributeError, TypeError):
        import json

        return (
            json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode,
            json.JSONDecoder().decode,
        )
    encode_str = _json.encode_basestring  # type: ignore[attr-defined]

    def dumps(o: Any) -> str:
        if isinstance(o, str):
            return encode_str(o)  # type: ignore[no-any-return]
        chunks = iterencode(o, 0)
        if not isinstance(chunks, (list, tuple)):
            chunks = list(chunks)
        return "".join(chunks)

    def loads(s: str) -> Any:
        idx = 0
        if s[:1] in _WS:
            idx = len(s) - len(s.lstrip(_WS))
        try:
            obj, end = scan_once(s, idx)
        except StopIteration as err:
            raise _decode_error("Expecting value", s, err.value) from None
        if end != len(s):
            end = len(s) - len(s[end:].lstrip(_WS))
            if end != len(s):
                raise _decode_error("Extra data", s, end)
        return obj

    return dumps, loads


#: ``json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode``
#: ``json.JSONDecoder().decode``
dumps, loads = _make()
