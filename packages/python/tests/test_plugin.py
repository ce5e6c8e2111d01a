"""Plugin shapes (class, define_plugin, module functions, the reference design's classes), sync and
async hooks, cancel and progress, through the in-process harness of bulkhead_sdk.testing."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import types
import unittest

from bulkhead_sdk import BulkheadError, CancelledError, Context, Plugin, PluginError, define_plugin
from bulkhead_sdk.loader import load_plugin
from bulkhead_sdk.plugin import adapt
from bulkhead_sdk.testing import run_plugin

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "python")


class AsyncEcho(Plugin):
    name = "async-echo"
    version = "1.0.0"

    async def initialize(self, config: object) -> None:
        await asyncio.sleep(0)
        self.ready = True

    async def execute(self, input: object, ctx: Context) -> object:  # noqa: A002
        if input == "wait":
            ctx.progress(None, "waiting")
            await asyncio.sleep(3600)  # cancelled by the host: the task is cancelled
        return {"echo": input, "ready": self.ready}

    async def stream(self, input: int, ctx: Context):  # noqa: A002
        for i in range(input):
            await asyncio.sleep(0)
            yield i


class Shapes(unittest.TestCase):
    def test_a_class_with_async_hooks_and_an_async_generator(self) -> None:
        with run_plugin(AsyncEcho) as p:
            self.assertEqual(p.execute("hi"), {"echo": "hi", "ready": True})
            self.assertEqual(list(p.stream(3)), [0, 1, 2])
            call = p.start("wait")
            while not p.progress:
                threading.Event().wait(0.001)  # the harness has no push channel; poll its record
            call.cancel("stop")
            with self.assertRaises(CancelledError):
                call.result(10)

    def test_define_plugin_over_functions_and_execute_without_ctx(self) -> None:
        plugin = define_plugin(name="adder", version="2.0.0", execute=lambda input: input["a"] + input["b"])
        self.assertEqual(plugin.capabilities["stream"], False)
        with run_plugin(plugin) as p:
            self.assertEqual(p.execute({"a": 2, "b": 3}), 5)

    def test_a_module_of_functions(self) -> None:
        module = types.ModuleType("fn_plugin")
        module.name, module.version = "fn", "1.0.0"
        module.execute = lambda input, ctx: input * 2
        self.assertEqual(run_plugin(adapt(module)).execute(21), 42)

    def test_an_input_schema_is_reported_as_json_schema_in_every_form(self) -> None:
        from dataclasses import dataclass

        @dataclass
        class Job:
            text: str
            times: int = 1

        fn = define_plugin(name="fn", version="1", input=Job, execute=lambda input: input)
        assert fn.input_schema is not None
        self.assertEqual(fn.input_schema["required"], ["text"])
        self.assertEqual(fn.input_schema["properties"]["times"]["type"], "integer")

        class Cls(Plugin):
            name, version = "cls", "1"
            input_schema = {"type": "object", "properties": {"n": {"type": "integer"}}}

            def execute(self, input: object, ctx: Context) -> object:  # noqa: A002
                return input

        schema = adapt(Cls).input_schema
        assert schema is not None
        self.assertEqual(schema["properties"], {"n": {"type": "integer"}})
        self.assertIsNone(define_plugin(name="none", version="1", execute=lambda i: i).input_schema)
        with self.assertRaises(BulkheadError) as caught:
            define_plugin(name="bad", version="1", input=42, execute=lambda i: i)
        self.assertEqual(caught.exception.code, "ERR_PLUGIN_INVALID")
        self.assertIn("input must be", caught.exception.message)

    def test_a_bad_definition_says_what_to_fix(self) -> None:
        for kwargs, why in [
            ({"name": "Bad Name", "version": "1"}, '"name"'),
            ({"name": "ok", "version": ""}, '"version"'),
            ({"name": "ok", "version": "1"}, "execute"),
        ]:
            with self.assertRaises(BulkheadError) as caught:
                define_plugin(**kwargs)
            self.assertEqual(caught.exception.code, "ERR_PLUGIN_INVALID")
            self.assertIn(why, caught.exception.message)

    def test_errors_travel_as_the_host_sees_them(self) -> None:
        def boom(input: object, ctx: Context) -> None:  # noqa: A002
            raise PluginError("no GPU", "E_NO_GPU")

        with run_plugin(define_plugin(name="boom", version="1", execute=boom)) as p:
            with self.assertRaises(BulkheadError) as caught:
                p.execute(None)
        e = caught.exception
        self.assertEqual(
            (e.code, e.data["pluginCode"], e.data["name"]), ("ERR_PLUGIN_FAILED", "E_NO_GPU", "PluginError")
        )
        self.assertIn("in boom", e.data["stack"])

    def test_a_result_the_host_could_not_receive_fails_in_the_test_too(self) -> None:
        with run_plugin(define_plugin(name="bad", version="1", execute=lambda i, c: {"x": object()})) as p:
            with self.assertRaises(BulkheadError) as caught:
                p.execute(None)
        self.assertEqual(caught.exception.code, "ERR_SERIALIZE")


class Examples(unittest.TestCase):
    def setUp(self) -> None:
        sys.path.insert(0, EXAMPLES)

    def tearDown(self) -> None:
        sys.path.remove(EXAMPLES)

    def test_the_demo(self) -> None:
        demo = load_plugin(os.path.join(EXAMPLES, "demo.py"))
        with run_plugin(demo, config={"suffix": "?", "times": 2}) as p:
            self.assertEqual(p.execute({"op": "shout", "text": "a"}), "A?A?")
            self.assertEqual(p.progress, [(0.5, "shouting"), (1.0, "done")])
            self.assertEqual(p.logs[0]["message"], "shouting")
            self.assertEqual(p.execute({"op": "reverse", "data": b"abc"}), {"data": b"cba", "bytes": 3})
            self.assertEqual(list(p.stream({"count": 2})), [{"i": 0, "square": 0}, {"i": 1, "square": 1}])
            call = p.start({"op": "sleep", "seconds": 3600})
            call.cancel()
            with self.assertRaises(CancelledError):
                call.result(10)
        with self.assertRaises(BulkheadError) as caught:
            run_plugin(demo, config={"times": 0, "style": "loud"})
        self.assertEqual(sorted(i["path"] for i in caught.exception.data["issues"]), ["style", "times"])

    def test_a_reference_design_plugin_runs_with_only_its_import_changed(self) -> None:
        ref = load_plugin(os.path.join(EXAMPLES, "reference_style.py"))
        self.assertEqual((ref.name, ref.version), ("reference-style", "0.1.0"))
        self.assertEqual(ref.spec.schema["properties"]["beam_size"]["maximum"], 10)
        with run_plugin(ref, config={"language": "de"}) as p:
            out = p.execute({"text": "a b", "repeat": 2})
            self.assertEqual(out, {"text": "a b a b", "segments": 4, "language": "de"})
            self.assertEqual(p.progress[-1], (1.0, "segment 4/4"))
            self.assertEqual(
                list(p.stream({"text": "x y"})), [{"segment": 0, "word": "x"}, {"segment": 1, "word": "y"}]
            )
            self.assertEqual(p.execute({"args": ["c"], "kwargs": {"repeat": 3}})["text"], "c c c")


if __name__ == "__main__":
    unittest.main()
