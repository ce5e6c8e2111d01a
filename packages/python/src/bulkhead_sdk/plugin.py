"""What a plugin author writes: a :class:`Plugin` subclass, :func:`define_plugin` over functions, or a
class written for the reference design (``execute``, ``execute_stream``, ``get_config_schema``, …).

Whatever the shape, :func:`adapt` turns it into one :class:`Hooks` the worker drives.
"""

from __future__ import annotations

from .errors import BulkheadError
from .schema import ConfigSpec, config_spec

# typing is not imported at run time (it costs a worker's cold start ~3 ms); annotations are
# postponed, so only type checkers read these names.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable


# What ^[a-z0-9@][a-z0-9._\-/@]*$ matches, checked without importing re (~6 ms of a cold start).
_NAME_FIRST = frozenset("abcdefghijklmnopqrstuvwxyz0123456789@")
_NAME_REST = _NAME_FIRST | frozenset("._-/")


def _is_name(name: str) -> bool:
    return name[:1] in _NAME_FIRST and all(c in _NAME_REST for c in name)


_CO_GENERATOR, _CO_COROUTINE, _CO_ASYNC_GENERATOR = 0x20, 0x80, 0x200


class Plugin:
    """Subclass it: set ``name``, ``version`` (and ``description``, ``config_schema``,
    ``input_schema``), define
    ``execute(self, input, ctx)`` and/or ``stream(self, input, ctx)``, optionally ``initialize(self,
    config)``, ``configure(self, config)`` and ``cleanup(self)``. Any hook may be ``async def``;
    ``stream`` is a generator or an async generator. ``self.log`` is the plugin's logger and
    ``self.config`` its current config."""

    name: str = ""
    version: str = ""
    description: str | None = None
    #: A dataclass, a JSON Schema dict or a pydantic model; None for no config.
    config_schema: Any = None
    #: The input ``execute``/``stream`` take, in the same forms as ``config_schema``: its JSON Schema
    #: goes to the host (the manifest's ``inputSchema``), which checks each job's input at submit.
    input_schema: Any = None
    config: Any = None
    log: Any = None

    def initialize(self, config: Any) -> Any:
        self.config = config

    def cleanup(self) -> Any:
        return None


def define_plugin(
    *,
    name: str,
    version: str,
    description: str | None = None,
    config: Any = None,
    input: Any = None,  # noqa: A002 - the Node SDK's name
    execute: Callable[..., Any] | None = None,
    stream: Callable[..., Any] | None = None,
    initialize: Callable[..., Any] | None = None,
    configure: Callable[..., Any] | None = None,
    cleanup: Callable[..., Any] | None = None,
) -> Hooks:
    """A plugin from functions, as the Node SDK's ``definePlugin``; checked at once."""
    hooks = Hooks(name, version, description, config_spec(config))
    hooks.input_schema = input_schema_of(input)
    hooks.execute, hooks.stream = execute, stream
    hooks.initialize, hooks.configure, hooks.cleanup = initialize, configure, cleanup
    hooks.check()
    return hooks


class Hooks:
    """A plugin as the worker sees it. ``execute``/``stream`` take ``(input, ctx)``."""

    def __init__(self, name: str, version: str, description: str | None, spec: ConfigSpec) -> None:
        self.name, self.version, self.description, self.spec = name, version, description, spec
        self.execute: Callable[..., Any] | None = None
        self.stream: Callable[..., Any] | None = None
        self.initialize: Callable[..., Any] | None = None
        self.configure: Callable[..., Any] | None = None
        self.cleanup: Callable[..., Any] | None = None
        #: The reference design's cancel(): called when a call is cancelled.
        self.on_cancel: Callable[[], Any] | None = None
        #: The reference design's get_current_config(): the config reported after initialize.
        self.current_config: Callable[[], Any] | None = None
        self.instance: Any = None
        #: JSON Schema of the input (reported in the handshake as ``inputSchema``); None if undeclared.
        self.input_schema: dict[str, Any] | None = None

    def check(self) -> None:
        if not isinstance(self.name, str) or not _is_name(self.name):
            raise BulkheadError(
                "ERR_PLUGIN_INVALID", f'"name" must be a lower-case name like "image-resize" (got {self.name!r})'
            )
        if not isinstance(self.version, str) or not self.version:
            raise BulkheadError("ERR_PLUGIN_INVALID", f'"version" must be a non-empty string (got {self.version!r})')
        if self.execute is None and self.stream is None:
            raise BulkheadError("ERR_PLUGIN_INVALID", 'define "execute", "stream", or both')
        for hook in ("execute", "stream", "initialize", "configure", "cleanup"):
            fn = getattr(self, hook)
            if fn is not None and not callable(fn):
                raise BulkheadError("ERR_PLUGIN_INVALID", f'"{hook}" must be a function')

    @property
    def capabilities(self) -> dict[str, bool]:
        return {
            "execute": self.execute is not None,
            "stream": self.stream is not None,
            "cancel": True,
            "progress": True,
            "configure": self.configure is not None,
            "binary": True,
        }


def adapt(obj: Any) -> Hooks:
    """Hooks for a Plugin subclass or instance, a define_plugin result, a reference-design class, or
    a module of functions (``name``, ``version``, ``execute``…)."""
    if isinstance(obj, Hooks):
        return obj
    if isinstance(obj, type):
        try:
            obj = obj()
        except TypeError as e:
            raise BulkheadError("ERR_PLUGIN_INVALID", f"the plugin class must take no arguments: {e}") from e
    if _is_reference_style(obj):
        return _adapt_reference(obj)
    name = getattr(obj, "name", None)
    # Wrong types are reported by check() below, with what to fix.
    hooks = Hooks(
        name,  # type: ignore[arg-type]
        getattr(obj, "version", None),  # type: ignore[arg-type]
        getattr(obj, "description", None),
        config_spec(getattr(obj, "config_schema", None)),
    )
    hooks.instance = obj
    hooks.input_schema = input_schema_of(getattr(obj, "input_schema", None))
    for hook in ("execute", "stream", "initialize", "configure", "cleanup"):
        setattr(hooks, hook, getattr(obj, hook, None))
    hooks.check()
    return hooks


def input_schema_of(schema: Any) -> dict[str, Any] | None:
    """The JSON Schema of a declared input (a dataclass, a JSON Schema dict or a pydantic model)."""
    if schema is None:
        return None
    try:
        return config_spec(schema).schema
    except BulkheadError as e:
        raise BulkheadError("ERR_PLUGIN_INVALID", str(e).replace("config must", "input must", 1)) from None


def _is_reference_style(obj: Any) -> bool:
    return (
        not isinstance(obj, Plugin)
        and callable(getattr(obj, "get_config_schema", None))
        and callable(getattr(obj, "execute", None))
    )


def _adapt_reference(obj: Any) -> Hooks:
    """A plugin written for the reference design (cjm-plugin-system's PluginInterface): ``execute(
    *args, **kwargs)`` gets a dict input as keyword arguments (a list as positional ones), its
    ``report_progress`` is pushed, its ``cancel()`` is called on cancel, ``initialize`` re-configures."""
    schema = obj.get_config_schema()
    hooks = Hooks(
        _value(obj, "name"),
        _value(obj, "version"),
        getattr(obj, "description", None),
        config_spec(schema if isinstance(schema, dict) and schema else None),
    )
    hooks.instance = obj

    def bind(ctx: Any) -> None:
        # The reference worker polled _progress; here each report is pushed at once.
        obj.report_progress = lambda progress, message="": ctx.progress(
            None if progress is None or progress < 0 else progress, message or None
        )

    def execute(data: Any, ctx: Any) -> Any:
        bind(ctx)
        args, kwargs = _spread(data)
        return obj.execute(*args, **kwargs)

    def stream(data: Any, ctx: Any) -> Any:
        bind(ctx)
        args, kwargs = _spread(data)
        if callable(getattr(obj, "execute_stream", None)):
            return obj.execute_stream(*args, **kwargs)
        return iter([obj.execute(*args, **kwargs)])

    hooks.execute, hooks.stream = execute, stream
    init = getattr(obj, "initialize", None)
    hooks.initialize = init
    hooks.configure = init  # "Initialize or re-configure the plugin."
    hooks.cleanup = getattr(obj, "cleanup", None)
    cancel = getattr(obj, "cancel", None)
    hooks.on_cancel = cancel if callable(cancel) else None
    current = getattr(obj, "get_current_config", None)
    hooks.current_config = current if callable(current) else None
    hooks.check()
    return hooks


def _value(obj: Any, attr: str) -> Any:
    v = getattr(obj, attr, None)
    return v() if callable(v) else v


def _spread(data: Any) -> tuple[list[Any], dict[str, Any]]:
    if isinstance(data, dict):
        if set(data) <= {"args", "kwargs"} and data:  # the reference proxy's own request body
            return list(data.get("args", [])), dict(data.get("kwargs", {}))
        return [], data
    if isinstance(data, list):
        return data, {}
    return ([] if data is None else [data]), {}


def takes_ctx(fn: Callable[..., Any]) -> bool:
    """True if the hook accepts a second positional argument (``ctx``): ``execute(input)`` works too."""
    func = getattr(fn, "__func__", fn)
    code = getattr(func, "__code__", None)
    if code is None:
        return True
    if code.co_flags & 0x04:  # *args
        return True
    n = code.co_argcount - (1 if hasattr(fn, "__self__") else 0)
    return n >= 2


def kind_of(fn: Callable[..., Any]) -> str:
    """``async`` / ``asyncgen`` / ``gen`` / ``sync``, from the code flags (no ``inspect`` import)."""
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    flags = code.co_flags if code is not None else 0
    if flags & _CO_ASYNC_GENERATOR:
        return "asyncgen"
    if flags & _CO_COROUTINE:
        return "async"
    if flags & _CO_GENERATOR:
        return "gen"
    return "sync"
