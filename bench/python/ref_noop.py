"""The no-op plugin in the reference design's own style, for ref_bench.py."""

from cjm_plugin_system.core.interface import PluginInterface


class RefNoop(PluginInterface):
    @property
    def name(self):
        return "ref-noop"

    @property
    def version(self):
        return "1.0.0"

    def initialize(self, config=None):
        self.config = config or {}

    def execute(self, *args, **kwargs):
        return kwargs

    def get_config_schema(self):
        return {"type": "object", "properties": {}}

    def get_current_config(self):
        return {}

    def cleanup(self):
        pass
