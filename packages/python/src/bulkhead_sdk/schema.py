"""Config schemas: from a dataclass, a JSON Schema dict, or a pydantic model; validation that reports
every failing field (``ERR_CONFIG_INVALID`` with ``data.issues: [{path, message}]``).

A dataclass field describes itself through its metadata (``field(minimum=1, description="…")``), so
the host sees a JSON Schema 2020-12 with defaults, exactly as it sees a Node plugin's zod schema.
"""

from __future__ import annotations

import re

from .errors import BulkheadError

# typing is not imported at run time (it costs a worker's cold start ~3 ms); annotations are
# postponed, so only type checkers read these names.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable


SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_KEYWORDS: tuple[str, ...] = ("title", "description", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_KEYWORDS += ("enum", "pattern", "format", "minLength", "maxLength", "minItems", "maxItems", "examples")
_MISSING: Any = object()
_CAMEL = {
    "min_length": "minLength",
    "max_length": "maxLength",
    "min_items": "minItems",
    "max_items": "maxItems",
    "exclusive_minimum": "exclusiveMinimum",
    "exclusive_maximum": "exclusiveMaximum",
}


def field(
    default: Any = _MISSING,
    *,
    default_factory: Callable[[], Any] | None = None,
    title: str | None = None,
    description: str | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    enum: list[Any] | None = None,
    pattern: str | None = None,
    format: str | None = None,
    **schema: Any,
) -> Any:
    """A dataclass field whose metadata carries its JSON Schema keywords."""
    import dataclasses

    schema = {_CAMEL.get(k, k): v for k, v in schema.items()}
    meta = {
        k: v
        for k, v in dict(
            title=title,
            description=description,
            minimum=minimum,
            maximum=maximum,
            enum=enum,
            pattern=pattern,
            format=format,
            **schema,
        ).items()
        if v is not None
    }
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    if default is _MISSING:
        return dataclasses.field(metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


class ConfigSpec:
    """A plugin's config: its JSON Schema and how a wire config becomes what the plugin receives."""

    def __init__(self, schema: dict[str, Any] | None, build: Callable[[dict[str, Any]], Any]) -> None:
        self.schema = schema
        self._build = build

    def validate(self, config: Any) -> tuple[dict[str, Any], Any]:
        """The config with defaults applied (for the wire) and the value the plugin gets (a dataclass
        instance, a pydantic model or the dict). Raises ERR_CONFIG_INVALID listing every failing field."""
        if config is None:
            config = {}
        if self.schema is None:
            if type(config) is not dict:
                raise _invalid([{"path": "", "message": "expected an object"}])
            return config, config
        issues: list[dict[str, str]] = []
        out = check(self.schema, config, "", issues)
        if issues:
            raise _invalid(issues)
        return out, self._build(out)


def _invalid(issues: list[dict[str, str]]) -> BulkheadError:
    text = "; ".join(f"{i['path'] or '(root)'}: {i['message']}" for i in issues)
    return BulkheadError("ERR_CONFIG_INVALID", f"invalid config: {text}", {"issues": issues})


def config_spec(config: Any) -> ConfigSpec:
    """The spec for what a plugin names as its config: None, a dict, a dataclass or a pydantic model."""
    if config is None:
        return ConfigSpec(None, lambda d: d)
    if isinstance(config, dict):
        schema = dict(config)
        schema.setdefault("$schema", SCHEMA_DIALECT)
        return ConfigSpec(schema, lambda d: d)
    if isinstance(config, type) and hasattr(config, "__dataclass_fields__"):
        return ConfigSpec(dataclass_schema(config), lambda d: config(**d))
    if isinstance(config, type) and callable(getattr(config, "model_json_schema", None)):
        return _pydantic_spec(config)
    raise BulkheadError(
        "ERR_PLUGIN_INVALID", f"config must be a dataclass, a JSON Schema dict or a pydantic model, not {config!r}"
    )


def _pydantic_spec(model: Any) -> ConfigSpec:
    schema = dict(model.model_json_schema())
    schema.setdefault("$schema", SCHEMA_DIALECT)
    spec = ConfigSpec(schema, lambda d: model.model_validate(d))

    def validate(config: Any) -> tuple[dict[str, Any], Any]:
        try:
            value = model.model_validate({} if config is None else config)
        except Exception as e:  # pydantic.ValidationError, without importing pydantic here
            errors = getattr(e, "errors", None)
            if not callable(errors):
                raise
            issues = [
                {"path": ".".join(str(p) for p in err.get("loc", ())), "message": err.get("msg", "")}
                for err in errors()
            ]
            raise _invalid(issues) from None
        return value.model_dump(mode="json"), value

    spec.validate = validate  # type: ignore[method-assign]
    return spec


def dataclass_schema(cls: type) -> dict[str, Any]:
    """The JSON Schema of a dataclass: one property per field, its metadata's keywords, its default."""
    import dataclasses
    import typing

    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):
        prop = type_schema(hints.get(f.name, typing.Any))
        prop.update({k: v for k, v in f.metadata.items() if k in _KEYWORDS or not k.startswith("_")})
        if f.default is not dataclasses.MISSING:
            prop["default"] = _plain(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            prop["default"] = _plain(f.default_factory())
        else:
            required.append(f.name)
        properties[f.name] = prop
    schema: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if cls.__doc__ and not cls.__doc__.startswith(f"{cls.__name__}("):
        schema["description"] = cls.__doc__.strip()
    if required:
        schema["required"] = required
    return schema


def _plain(v: Any) -> Any:
    import enum

    return v.value if isinstance(v, enum.Enum) else v


def type_schema(t: Any) -> dict[str, Any]:
    """The JSON Schema of a type annotation (the common ones; anything else is unconstrained)."""
    import enum
    import types
    import typing

    origin, args = typing.get_origin(t), typing.get_args(t)
    if t is str:
        return {"type": "string"}
    if t is bool:
        return {"type": "boolean"}
    if t is int:
        return {"type": "integer"}
    if t is float:
        return {"type": "number"}
    if t is type(None):
        return {"type": "null"}
    if isinstance(t, type) and issubclass(t, enum.Enum):
        return {"enum": [m.value for m in t]}
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in (list, tuple, set, frozenset) or t in (list, tuple):
        out: dict[str, Any] = {"type": "array"}
        if args and args[-1] is not Ellipsis:
            out["items"] = type_schema(args[0])
        return out
    if origin is dict or t is dict:
        out = {"type": "object"}
        if len(args) == 2:
            out["additionalProperties"] = type_schema(args[1])
        return out
    if origin is typing.Union or (hasattr(types, "UnionType") and isinstance(t, types.UnionType)):
        options = [type_schema(a) for a in args]
        simple = [o.get("type") for o in options]
        if all(isinstance(s, str) and len(o) == 1 for s, o in zip(simple, options, strict=False)):
            return {"type": simple}
        return {"anyOf": options}
    return {}


_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: type(v) is str,
    "integer": lambda v: (type(v) is int) or (type(v) is float and v.is_integer()),
    "number": lambda v: type(v) in (int, float),
    "boolean": lambda v: type(v) is bool,
    "object": lambda v: type(v) is dict,
    "array": lambda v: type(v) is list,
    "null": lambda v: v is None,
}


def check(schema: Any, value: Any, path: str, issues: list[dict[str, str]]) -> Any:
    """Validates ``value`` against a JSON Schema (the keywords configs use), appending one issue per
    failing field; returns the value with property defaults applied."""
    if schema is True or not isinstance(schema, dict):
        return value
    if schema is False:
        issues.append({"path": path, "message": "no value is allowed here"})
        return value
    want = schema.get("type")
    if want is not None:
        names = want if isinstance(want, list) else [want]
        if not any(_TYPES.get(n, lambda v: True)(value) for n in names):
            issues.append({"path": path, "message": f"expected {' or '.join(names)}, got {_kind(value)}"})
            return value
    if "const" in schema and value != schema["const"]:
        issues.append({"path": path, "message": f"must be {schema['const']!r}"})
    if "enum" in schema and value not in schema["enum"]:
        issues.append({"path": path, "message": f"must be one of {', '.join(repr(e) for e in schema['enum'])}"})
    if type(value) in (int, float) and type(value) is not bool:
        _check_number(schema, value, path, issues)
    elif type(value) is str:
        _check_string(schema, value, path, issues)
    elif type(value) is list:
        if "minItems" in schema and len(value) < schema["minItems"]:
            issues.append({"path": path, "message": f"must have at least {schema['minItems']} items"})
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            issues.append({"path": path, "message": f"must have at most {schema['maxItems']} items"})
        if "items" in schema:
            value = [check(schema["items"], v, _join(path, str(i)), issues) for i, v in enumerate(value)]
    elif type(value) is dict:
        value = _check_object(schema, value, path, issues)
    if "anyOf" in schema or "oneOf" in schema:
        options = schema.get("anyOf") or schema.get("oneOf")
        trials = []
        for option in options:
            trial: list[dict[str, str]] = []
            result = check(option, value, path, trial)
            if not trial:
                return result
            trials.append(trial)
        issues.append({"path": path, "message": trials[0][0]["message"] if trials else "matches no option"})
    if "allOf" in schema:
        for option in schema["allOf"]:
            value = check(option, value, path, issues)
    return value


def _check_number(schema: dict[str, Any], value: float, path: str, issues: list[dict[str, str]]) -> None:
    if "minimum" in schema and value < schema["minimum"]:
        issues.append({"path": path, "message": f"must be >= {schema['minimum']}"})
    if "maximum" in schema and value > schema["maximum"]:
        issues.append({"path": path, "message": f"must be <= {schema['maximum']}"})
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        issues.append({"path": path, "message": f"must be > {schema['exclusiveMinimum']}"})
    if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
        issues.append({"path": path, "message": f"must be < {schema['exclusiveMaximum']}"})


def _check_string(schema: dict[str, Any], value: str, path: str, issues: list[dict[str, str]]) -> None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        issues.append({"path": path, "message": f"must be at least {schema['minLength']} characters"})
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        issues.append({"path": path, "message": f"must be at most {schema['maxLength']} characters"})
    if "pattern" in schema and re.search(schema["pattern"], value) is None:
        issues.append({"path": path, "message": f"must match the pattern {schema['pattern']}"})


def _check_object(schema: dict[str, Any], value: dict[str, Any], path: str, issues: list[dict[str, str]]) -> Any:
    props: dict[str, Any] = schema.get("properties", {})
    out = dict(value)
    for key in schema.get("required", []):
        if key not in value and "default" not in props.get(key, {}):
            issues.append({"path": _join(path, key), "message": "is required"})
    for key, sub in props.items():
        if key in value:
            out[key] = check(sub, value[key], _join(path, key), issues)
        elif isinstance(sub, dict) and "default" in sub:
            out[key] = sub["default"]
    extra = schema.get("additionalProperties", True)
    for key in value:
        if key in props:
            continue
        if extra is False:
            issues.append({"path": _join(path, key), "message": "is not a known field"})
        elif isinstance(extra, dict):
            out[key] = check(extra, value[key], _join(path, key), issues)
    return out


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(v: Any) -> str:
    for name in ("boolean", "integer", "number", "string", "array", "object", "null"):
        if _TYPES[name](v):
            return name
    return type(v).__name__
