"""Config schemas from dataclasses, dicts and pydantic; validation naming every failing field."""

from __future__ import annotations

import enum
import unittest
from dataclasses import dataclass
from typing import Literal, Optional

from bulkhead_sdk import BulkheadError, field
from bulkhead_sdk.schema import config_spec, dataclass_schema


class Size(enum.Enum):
    SMALL = "small"
    LARGE = "large"


@dataclass
class Config:
    """Whisper-ish settings."""

    model: Size = field(Size.SMALL, description="model size")
    beam: int = field(5, minimum=1, maximum=10)
    language: Optional[str] = None
    temperature: float = field(0.0, minimum=0, maximum=1)
    task: Literal["transcribe", "translate"] = "transcribe"
    tags: list[str] = field(default_factory=list, max_items=3)
    code: str = field("en", pattern="^[a-z]{2}$")


class DataclassSchema(unittest.TestCase):
    def test_fields_become_properties_with_metadata_and_defaults(self) -> None:
        s = dataclass_schema(Config)
        p = s["properties"]
        self.assertEqual(s["type"], "object")
        self.assertFalse(s["additionalProperties"])
        self.assertEqual(s["description"], "Whisper-ish settings.")
        self.assertEqual(p["model"], {"enum": ["small", "large"], "description": "model size", "default": "small"})
        self.assertEqual(p["beam"], {"type": "integer", "minimum": 1, "maximum": 10, "default": 5})
        self.assertEqual(p["language"], {"type": ["string", "null"], "default": None})
        self.assertEqual(p["task"]["enum"], ["transcribe", "translate"])
        self.assertEqual(p["tags"], {"type": "array", "items": {"type": "string"}, "maxItems": 3, "default": []})
        self.assertEqual(p["code"]["pattern"], "^[a-z]{2}$")
        self.assertNotIn("required", s)

    def test_validation_applies_defaults_and_builds_the_dataclass(self) -> None:
        wire, value = config_spec(Config).validate({"beam": 3})
        self.assertEqual(wire["beam"], 3)
        self.assertEqual(wire["model"], "small")
        self.assertIsInstance(value, Config)
        self.assertEqual(value.beam, 3)

    def test_every_failing_field_is_named(self) -> None:
        with self.assertRaises(BulkheadError) as caught:
            config_spec(Config).validate(
                {"beam": 0, "temperature": 2, "task": "sing", "tags": ["a", "b", "c", "d"], "code": "EN", "x": 1}
            )
        e = caught.exception
        self.assertEqual(e.code, "ERR_CONFIG_INVALID")
        paths = sorted(i["path"] for i in e.data["issues"])
        self.assertEqual(paths, ["beam", "code", "tags", "task", "temperature", "x"])
        self.assertIn("must be >= 1", e.message)

    def test_a_required_field_and_a_wrong_type(self) -> None:
        @dataclass
        class Needs:
            path: str
            count: int = 1

        self.assertEqual(dataclass_schema(Needs)["required"], ["path"])
        with self.assertRaises(BulkheadError) as caught:
            config_spec(Needs).validate({"count": "three"})
        issues = caught.exception.data["issues"]
        self.assertEqual(
            issues,
            [
                {"path": "path", "message": "is required"},
                {"path": "count", "message": "expected integer, got string"},
            ],
        )


class DictSchema(unittest.TestCase):
    def test_nested_objects_arrays_and_the_root(self) -> None:
        spec = config_spec(
            {
                "type": "object",
                "properties": {
                    "model": {
                        "type": "object",
                        "properties": {"size": {"enum": ["s", "m"], "default": "s"}},
                        "default": {},
                    },
                    "ids": {"type": "array", "items": {"type": "integer"}},
                },
            }
        )
        wire, _ = spec.validate({"model": {}, "ids": [1, 2]})
        self.assertEqual(wire["model"], {"size": "s"})
        with self.assertRaises(BulkheadError) as caught:
            spec.validate({"model": {"size": "xl"}, "ids": [1, "two"]})
        self.assertEqual(sorted(i["path"] for i in caught.exception.data["issues"]), ["ids.1", "model.size"])
        with self.assertRaises(BulkheadError) as caught:
            spec.validate([1])
        self.assertEqual(caught.exception.data["issues"][0]["path"], "")


class PydanticSchema(unittest.TestCase):
    def test_a_pydantic_model_when_pydantic_is_installed(self) -> None:
        try:
            import pydantic
        except ImportError:
            self.skipTest("pydantic is not installed")

        class Model(pydantic.BaseModel):
            beam: int = pydantic.Field(5, ge=1)

        spec = config_spec(Model)
        self.assertEqual(spec.schema["properties"]["beam"]["minimum"], 1)
        with self.assertRaises(BulkheadError) as caught:
            spec.validate({"beam": 0})
        self.assertEqual(caught.exception.data["issues"][0]["path"], "beam")


if __name__ == "__main__":
    unittest.main()
