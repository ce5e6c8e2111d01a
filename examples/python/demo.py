"""A Python plugin for Bulkhead, written with bulkhead_sdk: the example the docs and tests use.

    bulkhead install examples/python/plugins.yaml
    bulkhead run py-demo -i '{"op": "shout", "text": "hello"}'

One plugin, one behaviour per ``op`` (what a real plugin would split into its own methods):

* ``shout``: upper-cases ``text`` (config decides the suffix), reporting progress and logging;
* ``reverse``: reverses the ``data`` bytes (binary attachments both ways);
* ``blob``: a ``size``-byte result handed over by file (never through the socket);
* ``sleep``: waits ``seconds``, stopping at once when cancelled (cooperative cancel);
* ``spin``: busy-loops and never looks at cancel (the host kills it after its grace period);
* ``crash``: exits the worker process with ``code``.

``stream`` yields ``count`` items, checking for cancel between them.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

from bulkhead_sdk import Context, Handoff, Plugin, PluginError, field

log = logging.getLogger("py-demo")


@dataclass
class Config:
    """How py-demo shouts."""

    suffix: str = field("!", title="Suffix", description="appended to shouted text", max_length=4)
    times: int = field(1, description="how often to repeat it", minimum=1, maximum=5)
    style: str = field("plain", enum=["plain", "spaced"])


class Demo(Plugin):
    name = "py-demo"
    version = "1.0.0"
    description = "an example Python plugin: shout, reverse bytes, hand over a file, sleep, spin, crash"
    config_schema = Config
    # Checked by the host at submit (a job with "op": "fly" or "count": "two" is refused there, with
    # ERR_INPUT_INVALID naming the field); bytes (``data``) are left to ``execute``.
    input_schema = {
        "type": "object",
        "properties": {
            "op": {"enum": ["shout", "reverse", "blob", "sleep", "spin", "crash"]},
            "text": {"type": "string"},
            "size": {"type": "integer", "minimum": 0},
            "seconds": {"type": "number", "minimum": 0},
            "code": {"type": "integer"},
            "count": {"type": "integer", "minimum": 0},
        },
    }

    def initialize(self, config: Config) -> None:
        self.config = config
        log.info("py-demo ready (suffix %r)", config.suffix)

    def configure(self, config: Config) -> None:
        self.config = config

    def execute(self, input: dict, ctx: Context) -> object:  # noqa: A002 - the protocol's name
        op = input.get("op", "shout")
        if op == "shout":
            text = str(input.get("text", ""))
            ctx.progress(0.5, "shouting")
            ctx.log.info("shouting", {"chars": len(text)})
            word = " ".join(text.upper()) if self.config.style == "spaced" else text.upper()
            ctx.progress(1.0, "done")
            return (word + self.config.suffix) * self.config.times
        if op == "reverse":
            data = input["data"]
            return {"data": data[::-1], "bytes": len(data)}
        if op == "blob":
            return Handoff(b"\x2a" * int(input["size"]))
        if op == "sleep":
            ctx.progress(0.0, "sleeping")
            if ctx.wait(float(input.get("seconds", 1))):
                ctx.raise_if_cancelled()
            return "rested"
        if op == "spin":
            ctx.progress(0.0, "spinning")
            deadline = time.monotonic() + float(input.get("seconds", 3600))
            while time.monotonic() < deadline:
                pass
            return "spun"
        if op == "crash":
            os._exit(int(input.get("code", 1)))
        raise PluginError(f"unknown op {op!r}", "E_UNKNOWN_OP")

    def stream(self, input: dict, ctx: Context):  # noqa: A002
        for i in range(int(input.get("count", 3))):
            ctx.raise_if_cancelled()
            yield {"i": i, "square": i * i}

    def cleanup(self) -> None:
        log.info("py-demo cleaning up")
