"""The wire format: values, attachments, file handoff, frames over a real socket pair."""

from __future__ import annotations

import json
import math
import os
import socket
import struct
import tempfile
import unittest
from dataclasses import dataclass

from bulkhead_sdk import BulkheadError, Handoff
from bulkhead_sdk.wire import Codec, FrameReader, FrameWriter, ProtocolError


def frame(header: dict, *attachments: bytes) -> bytes:
    if attachments:
        header = {**header, "bin": [len(a) for a in attachments]}
    h = json.dumps(header).encode()
    body = struct.pack(">I", len(h)) + h + b"".join(attachments)
    return struct.pack(">I", len(body)) + body


class Values(unittest.TestCase):
    def setUp(self) -> None:
        self.codec = Codec(None, 1 << 30)

    def test_binaries_become_references_and_come_back(self) -> None:
        bins: list = []
        out = self.codec.encode({"a": b"xy", "b": [bytearray(b"z"), memoryview(b"w")]}, "result", bins)
        self.assertEqual(out, {"a": {"$bin": 0}, "b": [{"$bin": 1}, {"$bin": 2}]})
        back = self.codec.decode(out, [bytes(b) for b in bins])
        self.assertEqual(back, {"a": b"xy", "b": [b"z", b"w"]})

    def test_what_json_cannot_carry_is_refused_with_its_path(self) -> None:
        for value, where in [
            ({"f": lambda: 1}, "result.f"),
            ({"n": [2**60]}, "result.n[0]"),
            ({"s": {1, 2}}, "result.s"),
            ({"$bin": 1}, "result"),
            ({1: "x"}, "result"),
        ]:
            with self.assertRaises(BulkheadError) as caught:
                self.codec.encode(value, "result", [])
            self.assertEqual(caught.exception.code, "ERR_SERIALIZE")
            self.assertEqual(caught.exception.data["path"], where)
        cyclic: list = []
        cyclic.append(cyclic)
        with self.assertRaises(BulkheadError):
            self.codec.encode(cyclic, "result", [])
        with self.assertRaises(BulkheadError):
            self.codec.encode({"data": b"x"}, "data", None)  # an error's data: no binaries

    def test_nan_becomes_null_and_dataclasses_become_objects(self) -> None:
        @dataclass
        class Seg:
            start: float
            text: str

        self.assertEqual(
            self.codec.encode([math.nan, Seg(1.5, "hi")], "result", []), [None, {"start": 1.5, "text": "hi"}]
        )

    def test_numpy_arrays_travel_as_typed_binaries(self) -> None:
        try:
            import numpy
        except ImportError:
            self.skipTest("numpy is not installed")
        bins: list = []
        ref = self.codec.encode(numpy.arange(4, dtype=numpy.float32), "result", bins)
        self.assertEqual(ref, {"$bin": 0, "type": "Float32Array"})
        self.assertEqual(bytes(bins[0]), numpy.arange(4, dtype=numpy.float32).tobytes())


class Handoffs(unittest.TestCase):
    def test_large_binaries_and_explicit_handoffs_go_by_file_and_the_receiver_removes_it(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            codec = Codec(d, 1000)
            bins: list = []
            out = codec.encode({"big": b"a" * 1000, "small": b"b", "h": Handoff(b"c")}, "result", bins)
            self.assertEqual(out["small"], {"$bin": 0})
            self.assertEqual(out["big"]["size"], 1000)
            self.assertEqual(sorted(os.listdir(d)), sorted([out["big"]["$file"], out["h"]["$file"]]))
            back = codec.decode(out, [bytes(b) for b in bins])
            self.assertEqual(back, {"big": b"a" * 1000, "small": b"b", "h": b"c"})
            self.assertEqual(os.listdir(d), [])

    def test_a_file_outside_the_directory_is_a_protocol_error(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            codec = Codec(d, 1000)
            for name in ["../etc/passwd", "/etc/passwd", "..", "missing.bin"]:
                with self.assertRaises(ProtocolError):
                    codec.decode({"x": {"$file": name, "size": 1}}, [])

    def test_a_file_backed_dto_is_moved_into_the_directory(self) -> None:
        with tempfile.TemporaryDirectory() as d, tempfile.TemporaryDirectory() as elsewhere:
            path = os.path.join(elsewhere, "audio.wav")
            with open(path, "wb") as f:
                f.write(b"RIFF")

            class Audio:
                def to_temp_file(self) -> str:
                    return path

            out = Codec(d, 1 << 30).encode(Audio(), "result", [])
            self.assertFalse(os.path.exists(path))
            self.assertEqual(Codec(d, 1 << 30).decode(out, []), b"RIFF")


class Frames(unittest.TestCase):
    def setUp(self) -> None:
        self.a, self.b = socket.socketpair()
        self.codec = Codec(None, 1 << 30)

    def tearDown(self) -> None:
        self.a.close()
        self.b.close()

    def reader(self, limit: int = 1 << 20) -> FrameReader:
        def eof() -> None:
            raise EOFError

        return FrameReader(self.b.fileno(), limit, self.codec, eof)

    def test_frames_in_pieces_and_several_per_read_with_attachments(self) -> None:
        data = frame({"id": 1, "method": "execute", "params": {"input": {"$bin": 0}}}, b"abc") + frame(
            {"method": "$/cancel", "params": {"id": 1}}
        )
        big = frame({"id": 2, "method": "execute", "params": {"input": {"$bin": 0}}}, os.urandom(300_000))
        import threading

        self.a.sendall(data[:5])
        reader = self.reader()
        # More than a socket buffer holds: sent from a thread while this one reads.
        sender = threading.Thread(target=self.a.sendall, args=(data[5:] + big,))
        sender.start()
        self.addCleanup(sender.join)
        self.assertEqual(reader.read(), {"id": 1, "method": "execute", "params": {"input": b"abc"}})
        self.assertEqual(reader.read()["method"], "$/cancel")
        self.assertEqual(len(reader.read()["params"]["input"]), 300_000)

    def test_garbage_is_a_protocol_error(self) -> None:
        cases = [
            struct.pack(">I", 1 << 30),  # over the limit: refused before the body is read
            struct.pack(">II", 6, 2) + b"[]",  # not an object
            struct.pack(">II", 6, 2) + b"{}",  # neither method nor id
            frame({"id": 1, "bin": [5]}),  # "bin" lengths that do not add up
        ]
        for garbage in cases:
            a, b = socket.socketpair()
            try:
                a.sendall(garbage)
                a.shutdown(socket.SHUT_WR)
                reader = FrameReader(b.fileno(), 1 << 20, self.codec, lambda: (_ for _ in ()).throw(EOFError()))
                with self.assertRaises((ProtocolError, EOFError)):
                    reader.read()
            finally:
                a.close()
                b.close()

    def test_writer_refuses_an_oversized_frame_and_writes_nothing(self) -> None:
        writer = FrameWriter(self.a.fileno(), 1024, self.codec, lambda: None)
        with self.assertRaises(BulkheadError) as caught:
            writer.send({"id": 1, "result": b"x" * 2000})
        self.assertEqual(caught.exception.code, "ERR_FRAME_TOO_LARGE")
        writer.send({"id": 2, "result": b"ok"})
        self.assertEqual(self.reader().read(), {"id": 2, "result": {"$bin": 0}})


if __name__ == "__main__":
    unittest.main()
