"""``bulkhead_sdk``: write Bulkhead plugins in Python (the peer of the Node ``@bulkhead/sdk``).

Any new name added to ``__all__`` becomes public API.
"""

from __future__ import annotations

from .codec import Handoff
from .context import Context, Logger
from .errors import ERROR_CODES, BulkheadError, CancelledError, PluginError, is_bulkhead_error
from .plugin import Plugin, define_plugin
from .schema import field
from .wire import PROTOCOL_VERSION

__version__ = "0.1.0"

__all__ = [
    # Defining plugins
    "Plugin",
    "define_plugin",
    "field",
    "Context",
    "Logger",
    # Values
    "Handoff",
    # Errors
    "BulkheadError",
    "CancelledError",
    "PluginError",
    "ERROR_CODES",
    "is_bulkhead_error",
    # Protocol version, for diagnostics
    "PROTOCOL_VERSION",
]
