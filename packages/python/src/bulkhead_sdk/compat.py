"""The reference design's plugin base class, for plugins written for it (cjm-plugin-system's
``PluginInterface``): change the import, keep the class. Bulkhead drives it through the same
adapter that recognises such classes without any base (see :func:`bulkhead_sdk.plugin.adapt`).

``report_progress`` is pushed to the host at once; ``cancel`` is called when the host cancels.
"""

from __future__ import annotations

from typing import Any, Dict, Generator, Optional


class PluginInterface:
    """The shape of the reference design's base class, without its abstract-method enforcement."""

    @property
    def name(self) -> str:
        raise NotImplementedError

    @property
    def version(self) -> str:
        raise NotImplementedError

    def initialize(self, config: Optional[Dict[str, Any]] = None) -> None:
        pass

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def execute_stream(self, *args: Any, **kwargs: Any) -> Generator[Any, None, None]:
        yield self.execute(*args, **kwargs)

    def get_config_schema(self) -> Dict[str, Any]:
        return {}

    def get_current_config(self) -> Dict[str, Any]:
        return {}

    def cleanup(self) -> None:
        pass

    def cancel(self) -> None:
        pass

    def report_progress(self, progress: float, message: str = "") -> None:
        # Replaced per call by the worker with a function that pushes to the host.
        self._progress = progress
        self._status_message = message


#: The reference design also had this for file-backed transfer: anything with ``to_temp_file()``
#: is handed over by file (see :class:`bulkhead_sdk.Handoff`).
__all__ = ["PluginInterface"]
