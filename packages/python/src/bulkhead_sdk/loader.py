"""Loads a plugin from its entry: ``path/to/plugin.py[:Name]`` or ``package.module[:Name]``."""

from __future__ import annotations

import os
import sys

from .errors import BulkheadError
from .plugin import Hooks, Plugin, _is_reference_style, adapt

_MODULE = type(sys)  # types.ModuleType, without importing types

# typing is not imported at run time (it costs a worker's cold start ~3 ms); annotations are
# postponed, so only type checkers read these names.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any


def load_plugin(entry: str) -> Hooks:
    """Imports the entry and adapts what it names. A module that fails to import is ERR_PLUGIN_LOAD
    with its traceback in the message and ``data.stack``; one that names no plugin ERR_PLUGIN_INVALID."""
    target, _, attr = entry.partition(":")
    if target.endswith(".py") or os.sep in target:
        module = _import_file(target, entry)
    else:
        module = _import_module(target, entry)
    if attr:
        obj: Any = module
        for part in attr.split("."):
            if not hasattr(obj, part):
                raise BulkheadError("ERR_PLUGIN_INVALID", f"{entry}: {target} has no attribute {part!r}")
            obj = getattr(obj, part)
        return adapt(obj)
    return adapt(_find(module, entry))


def _find(module: ModuleType, entry: str) -> Any:
    found = getattr(module, "plugin", None)
    if found is not None and not isinstance(found, _MODULE):
        return found
    classes = [
        v
        for v in vars(module).values()
        if isinstance(v, type)
        and v.__module__ == module.__name__
        and ((issubclass(v, Plugin) and v is not Plugin) or _is_reference_style_class(v))
    ]
    if len(classes) == 1:
        return classes[0]
    if len(classes) > 1:
        names = ", ".join(sorted(c.__name__ for c in classes))
        raise BulkheadError(
            "ERR_PLUGIN_INVALID", f"{entry} defines several plugins ({names}): name one, as {entry}:Name"
        )
    if callable(getattr(module, "execute", None)) or callable(getattr(module, "stream", None)):
        return module  # a set of functions, with module-level name and version
    raise BulkheadError(
        "ERR_PLUGIN_INVALID",
        f"{entry} defines no plugin: subclass bulkhead_sdk.Plugin, set plugin = define_plugin(...), "
        "or define execute/stream functions with module-level name and version",
    )


def _is_reference_style_class(cls: type) -> bool:
    if getattr(cls, "__abstractmethods__", None):
        return False
    try:
        return _is_reference_style(object.__new__(cls))
    except Exception:
        return False


def _import_file(path: str, entry: str) -> ModuleType:
    full = os.path.abspath(path)
    if not os.path.isfile(full):
        raise BulkheadError("ERR_PLUGIN_MODULE_NOT_FOUND", f"plugin module not found: {full}", {"modulePath": full})
    name = os.path.splitext(os.path.basename(full))[0]
    # Its own directory first, so the plugin's sibling modules import as they would when run directly.
    sys.path.insert(0, os.path.dirname(full))
    spec_from_file_location, module_from_spec = _importers()
    spec = spec_from_file_location(name, full)
    if spec is None or spec.loader is None:
        raise BulkheadError("ERR_PLUGIN_LOAD", f"{full} cannot be imported", {"modulePath": full})
    module = module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as e:
        raise _load_failed(entry, full, e) from e
    return module


def _importers() -> tuple[Any, Any]:
    """``importlib.util.spec_from_file_location`` and ``module_from_spec``: the same functions,
    taken from the import system's own frozen modules (always loaded), since ``import importlib.util``
    costs a cold start ~3 ms (it imports contextlib and warnings)."""
    bootstrap = sys.modules.get("_frozen_importlib")
    external = sys.modules.get("_frozen_importlib_external")
    spec_from_file_location = getattr(external, "spec_from_file_location", None)
    module_from_spec = getattr(bootstrap, "module_from_spec", None)
    if spec_from_file_location is None or module_from_spec is None:
        import importlib.util

        return importlib.util.spec_from_file_location, importlib.util.module_from_spec
    return spec_from_file_location, module_from_spec


def _import_module(name: str, entry: str) -> ModuleType:
    import importlib

    sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(name)
    except BaseException as e:
        raise _load_failed(entry, name, e) from e


def _load_failed(entry: str, where: str, e: BaseException) -> BulkheadError:
    import traceback

    if isinstance(e, BulkheadError):
        return e
    stack = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    return BulkheadError(
        "ERR_PLUGIN_LOAD",
        f"{entry} failed to import: {type(e).__name__}: {e}\n{stack}",
        {"modulePath": where, "stack": stack},
    )
