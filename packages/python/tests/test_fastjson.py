"""The worker's JSON (bulkhead_sdk.fastjson) against the json module it stands in for."""

from __future__ import annotations

import json
import subprocess
import sys
import unittest
from pathlib import Path

from bulkhead_sdk import fastjson

ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
DECODE = json.JSONDecoder().decode
SRC = str(Path(__file__).resolve().parent.parent / "src")


def outcome(fn: object, value: object) -> tuple[str, str]:
    try:
        return ("ok", repr(fn(value)))  # type: ignore[operator]
    except Exception as e:  # the type and message must match too
        return (type(e).__name__, str(e))


class FastJsonTest(unittest.TestCase):
    def test_the_c_accelerator_is_used(self) -> None:
        self.assertEqual(fastjson.dumps.__qualname__, "_make.<locals>.dumps")

    def test_encodes_as_json_does(self) -> None:
        values: list[object] = [
            {"a": [1, 2.5, 'é\u2028\n"\\', None, True, False, {"b": {}}]},
            "plain",
            "\ud800",
            0,
            -(2**53),
            1.0,
            -0.0,
            1e300,
            [],
            {},
            (1, 2),
            float("nan"),
            {"x": float("inf")},
            {1: 2},
            object(),
            {"nested": [set()]},
        ]
        for v in values:
            with self.subTest(v=v):
                self.assertEqual(outcome(fastjson.dumps, v), outcome(ENCODE, v))

    def test_decodes_as_json_does(self) -> None:
        texts = [
            '{"a":1}',
            "  [1, 2] ",
            "\n{}\n",
            "1e5",
            '"x\\u00e9"',
            "NaN",
            "-Infinity",
            '{"a":1.5e-3,"b":[true,false,null]}',
            "",
            " ",
            "{",
            '{"a":1} x',
            "nul",
            "[1,]",
            '{"a" 1}',
            '"\x01"',
            "1 2",
        ]
        for t in texts:
            with self.subTest(t=t):
                self.assertEqual(outcome(fastjson.loads, t), outcome(DECODE, t))

    def test_the_worker_starts_without_json_re_or_threading(self) -> None:
        code = (
            f"import sys; sys.path.insert(0, {SRC!r}); import bulkhead_sdk.worker, bulkhead_sdk.loader; "
            "print(sorted(m for m in ('json', 're', 'threading', 'queue', 'asyncio', 'typing') if m in sys.modules))"
        )
        r = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True)
        self.assertEqual(r.stdout.strip(), "[]")


if __name__ == "__main__":
    unittest.main()
