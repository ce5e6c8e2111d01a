"""The Python benchmarks' plugin: a no-op execute (returns its input), and a 1 GiB result either
handed over by file or streamed through the socket in 64 MiB chunks. The 1 GiB is made once, in
initialize, so neither way pays for making it."""

from bulkhead_sdk import Context, Handoff, Plugin

GIB = 1 << 30
CHUNK = 64 << 20


class Bench(Plugin):
    name = "py-bench"
    version = "1.0.0"

    def initialize(self, config: object) -> None:
        self.blob: bytearray | None = None

    def _blob(self) -> bytearray:
        if self.blob is None:
            self.blob = bytearray(GIB)
        return self.blob

    def execute(self, input: object, ctx: Context) -> object:  # noqa: A002
        if isinstance(input, dict) and input.get("op") == "handoff":
            return Handoff(memoryview(self._blob()))
        return input

    def stream(self, input: object, ctx: Context):  # noqa: A002
        view = memoryview(self._blob())
        for off in range(0, GIB, CHUNK):
            yield view[off : off + CHUNK]
