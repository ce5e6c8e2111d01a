"""A plugin written the way the reference design (cjm-plugin-system) wrote them, run by Bulkhead.

The class is unchanged from that style: ``execute`` takes keyword arguments, ``execute_stream``
yields, ``report_progress`` and ``cancel`` are the reference design's hooks, ``get_config_schema``
and ``get_current_config`` describe the config. The only change is the import: Bulkhead's SDK
offers the same base class shape, so ``from cjm_plugin_system.core.interface import PluginInterface``
becomes the import below (or no base class at all: Bulkhead recognises the methods).

The input ``{"text": "hi", "repeat": 2}`` arrives as ``execute(text="hi", repeat=2)``; a
``report_progress(0.5, "…")`` is pushed to the host at once (the reference design polled it);
``cancel()`` is called when the host cancels the call.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Generator, Optional

from bulkhead_sdk.compat import PluginInterface  # was: from cjm_plugin_system.core.interface import PluginInterface


class TranscriberStub(PluginInterface):
    """Pretends to transcribe: one 'segment' per word of the text."""

    def __init__(self) -> None:
        self.config: Dict[str, Any] = {}
        self._stop = threading.Event()

    @property
    def name(self) -> str:
        return "reference-style"

    @property
    def version(self) -> str:
        return "0.1.0"

    def initialize(self, config: Optional[Dict[str, Any]] = None) -> None:
        self.config = {"language": "en", "beam_size": 5, **(config or {})}

    def get_config_schema(self) -> Dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "language": {"type": "string", "enum": ["en", "de", "fr"], "default": "en"},
                "beam_size": {"type": "integer", "minimum": 1, "maximum": 10, "default": 5},
            },
            "additionalProperties": False,
        }

    def get_current_config(self) -> Dict[str, Any]:
        return dict(self.config)

    def execute(self, text: str = "", repeat: int = 1, **kwargs: Any) -> Dict[str, Any]:
        self._stop.clear()
        words = text.split() * repeat
        for i, _ in enumerate(words):
            if self._stop.is_set():
                return {"cancelled": True, "segments": i}
            self.report_progress((i + 1) / max(1, len(words)), f"segment {i + 1}/{len(words)}")
        return {"text": " ".join(words), "segments": len(words), "language": self.config["language"]}

    def execute_stream(self, text: str = "", **kwargs: Any) -> Generator[Dict[str, Any], None, None]:
        for i, word in enumerate(text.split()):
            yield {"segment": i, "word": word}

    def cancel(self) -> None:
        self._stop.set()

    def cleanup(self) -> None:
        self.config = {}
