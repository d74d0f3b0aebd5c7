"""Graders (M26): deterministic checks of one answer of the simulated assistant.

Each grader is a pydantic model picked by its ``type`` (exact, contains, regex, tool_call, json_schema, no_error,
latency_ms, cost) with a ``grade(answer, catalog) -> GraderResult`` method. Text graders (exact, contains, regex)
take ``negate: true`` to turn "must" into "must not" (promptfoo's ``not-`` prefix).

``tool_call`` checks the call the assistant made against the order API's accepted argument names from the
service catalog (``data/service.yaml``, ``tool_api``): a call the API would reject fails, whatever the grader
expected. ``json_schema`` validates the tool call's arguments with ``jsonschema`` when it is installed, else with
the small subset validator below (the keywords in ``SUBSET_KEYWORDS``).
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator


def _import_jsonschema():
    """jsonschema, or None where it is not installed (the built-in subset validator then keeps `oncall eval`
    working).

    jsonschema imports the optional rfc3987-syntax package, when it is installed (Jupyter installs it), only to
    check the "iri" and "iri-reference" formats; importing it builds a grammar that takes most of a second, at the
    start of every command and notebook. No oncall schema checks formats, so it is left out here, as if it were not
    installed; a later ``import rfc3987_syntax`` still works.
    """
    skip = "rfc3987_syntax" not in sys.modules and "jsonschema" not in sys.modules
    if skip:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # makes that one import raise ImportError
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - exercised only where jsonschema is missing
        return None
    finally:
        if skip:
            del sys.modules["rfc3987_syntax"]
    return jsonschema


_jsonschema = _import_jsonschema()

GRADER_TYPES = ("exact", "contains", "regex", "tool_call", "json_schema", "no_error", "latency_ms", "cost")


@dataclass(frozen=True)
class GraderResult:
    type: str
    passed: bool
    detail: str

    def to_json(self) -> dict:
        return {"type": self.type, "passed": self.passed, "detail": self.detail}


class _Grader(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def result(self, passed: bool, detail: str) -> GraderResult:
        return GraderResult(self.type, bool(passed), detail)  # type: ignore[attr-defined]


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


class _TextGrader(_Grader):
    negate: bool = False
    ignore_case: bool = False

    def _fold(self, text: str) -> str:
        return text.lower() if self.ignore_case else text

    def _verdict(self, hit: bool, answer_text: str, what: str) -> GraderResult:
        passed = hit != self.negate
        if passed:
            return self.result(True, f"{'does not ' if self.negate else ''}{what}")
        return self.result(False, f"expected the answer {'not ' if self.negate else ''}to {what}; got {_short(answer_text)}")


class Exact(_TextGrader):
    type: Literal["exact"]
    value: str

    def grade(self, answer, catalog) -> GraderResult:
        hit = self._fold(answer.text.strip()) == self._fold(self.value.strip())
        return self._verdict(hit, answer.text, f"equal {_short(self.value)}")


class Contains(_TextGrader):
    type: Literal["contains"]
    value: str = Field(min_length=1)

    def grade(self, answer, catalog) -> GraderResult:
        hit = self._fold(self.value) in self._fold(answer.text)
        return self._verdict(hit, answer.text, f"contain {_short(self.value)}")


class Regex(_TextGrader):
    type: Literal["regex"]
    pattern: str = Field(min_length=1)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc})") from None
        return value

    def grade(self, answer, catalog) -> GraderResult:
        hit = re.search(self.pattern, answer.text, re.IGNORECASE if self.ignore_case else 0) is not None
        return self._verdict(hit, answer.text, f"match /{self.pattern}/")


class ToolCall(_Grader):
    """The assistant must call ``tool``, with arguments the order API accepts.

    ``arguments`` (name -> expected value) and ``required`` (names that must be present) are optional extra
    expectations; their names must be ones the API accepts (checked when the case is loaded).
    """

    type: Literal["tool_call"]
    tool: str = Field(min_length=1)
    arguments: dict[str, Any] = {}
    required: list[str] = []

    def check_catalog(self, catalog) -> tuple[str, str] | None:
        """(field, message) if this grader expects something the order API cannot accept, else None."""
        tools = [name for name in type(catalog.tool_api).model_fields if name != "error_ratio"]
        if self.tool not in tools:
            return "tool", f"unknown tool {self.tool!r}; the order API has {', '.join(tools)}"
        accepted = getattr(catalog.tool_api, self.tool)
        for field, names in (("arguments", list(self.arguments)), ("required", self.required)):
            for name in names:
                if name not in accepted:
                    return (f"{field}.{name}" if field == "arguments" else field,
                            f"the order API's {self.tool} accepts {', '.join(accepted)}, not {name!r}")
        return None

    def grade(self, answer, catalog) -> GraderResult:
        call = answer.tool_call
        if not call:
            return self.result(False, f"expected a call of {self.tool}; the answer called no tool")
        if call.get("tool") != self.tool:
            return self.result(False, f"expected a call of {self.tool}; got {call.get('tool')}")
        args = call.get("arguments") or {}
        accepted = getattr(catalog.tool_api, self.tool)
        if sorted(args) != sorted(accepted):
            return self.result(False, f"the order API would reject {self.tool}({', '.join(args)}): "
                                      f"it accepts {', '.join(accepted)}")
        missing = [name for name in self.required if name not in args]
        if missing:
            return self.result(False, f"{self.tool} call lacks {', '.join(missing)}")
        wrong = [f"{k}={args.get(k)!r} (expected {v!r})" for k, v in self.arguments.items() if args.get(k) != v]
        if wrong:
            return self.result(False, f"{self.tool} called with {', '.join(wrong)}")
        return self.result(True, f"{self.tool}({', '.join(f'{k}={v!r}' for k, v in args.items())}) is a call the API accepts")


# --- JSON Schema -------------------------------------------------------------------------------------------------

SUBSET_KEYWORDS = frozenset({
    "$schema", "title", "description", "type", "properties", "required", "additionalProperties", "enum", "const",
    "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "items",
    "minItems", "maxItems",
})
_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def subset_check_schema(schema: Any, at: str = "schema") -> None:
    """Raise ValueError if ``schema`` uses something the subset validator cannot honour."""
    if not isinstance(schema, dict):
        raise ValueError(f"{at}: expected a JSON Schema object")
    for key, value in schema.items():
        if key not in SUBSET_KEYWORDS:
            raise ValueError(f"{at}: keyword {key!r} needs the jsonschema package (the built-in validator knows "
                             f"{', '.join(sorted(SUBSET_KEYWORDS))})")
        if key == "type":
            for t in value if isinstance(value, list) else [value]:
                if t not in _TYPES:
                    raise ValueError(f"{at}.type: unknown type {t!r}")
        elif key == "properties":
            for name, sub in value.items():
                subset_check_schema(sub, f"{at}.properties.{name}")
        elif key in ("items",) or (key == "additionalProperties" and isinstance(value, dict)):
            subset_check_schema(value, f"{at}.{key}")


def subset_validate(value: Any, schema: dict, at: str = "$") -> list[str]:
    """Validate ``value`` against the subset of JSON Schema in SUBSET_KEYWORDS; the list of problems (empty: valid)."""
    errors: list[str] = []
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[t](value) for t in types):
            return [f"{at}: {value!r} is not of type {' or '.join(types)}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{at}: {value!r} is not one of {schema['enum']!r}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{at}: {value!r} is not {schema['const']!r}")
    if isinstance(value, str):
        if "pattern" in schema and re.search(schema["pattern"], value) is None:
            errors.append(f"{at}: {value!r} does not match {schema['pattern']!r}")
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append(f"{at}: {value!r} is shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{at}: {value!r} is longer than {schema['maxLength']}")
    if _TYPES["number"](value):
        for key, bad in (("minimum", lambda b: value < b), ("maximum", lambda b: value > b),
                         ("exclusiveMinimum", lambda b: value <= b), ("exclusiveMaximum", lambda b: value >= b)):
            if key in schema and bad(schema[key]):
                errors.append(f"{at}: {value!r} violates {key} {schema[key]!r}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                errors.append(f"{at}: {name!r} is a required property")
        for name, item in value.items():
            if name in props:
                errors += subset_validate(item, props[name], f"{at}.{name}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{at}: additional property {name!r} is not allowed")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += subset_validate(item, schema["additionalProperties"], f"{at}.{name}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.append(f"{at}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(f"{at}: more than {schema['maxItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                errors += subset_validate(item, schema["items"], f"{at}[{i}]")
    return errors


class JsonSchema(_Grader):
    """The tool call's arguments must validate against ``schema`` (JSON Schema)."""

    type: Literal["json_schema"]
    schema_: dict[str, Any] = Field(alias="schema")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("schema_")
    @classmethod
    def _valid_schema(cls, value: dict) -> dict:
        if _jsonschema is not None:
            try:
                _jsonschema.validators.validator_for(value).check_schema(value)
            except _jsonschema.SchemaError as exc:
                raise ValueError(f"not a valid JSON Schema ({exc.message})") from None
        else:
            subset_check_schema(value)
        return value

    def grade(self, answer, catalog, use_jsonschema: bool | None = None) -> GraderResult:
        call = answer.tool_call
        if not call:
            return self.result(False, "expected tool call arguments to validate; the answer called no tool")
        args = call.get("arguments") or {}
        use = _jsonschema is not None if use_jsonschema is None else use_jsonschema
        if use:
            validator = _jsonschema.validators.validator_for(self.schema_)(self.schema_)
            errors = [f"$.{'.'.join(map(str, e.path))}: {e.message}" if e.path else f"$: {e.message}"
                      for e in sorted(validator.iter_errors(args), key=lambda e: list(map(str, e.path)))]
        else:
            errors = subset_validate(args, self.schema_)
        if errors:
            return self.result(False, f"{call.get('tool')} arguments do not match the schema: {'; '.join(errors)}")
        return self.result(True, f"{call.get('tool')} arguments match the schema")


class NoError(_Grader):
    type: Literal["no_error"]

    def grade(self, answer, catalog) -> GraderResult:
        if answer.error is None:
            return self.result(True, "no error")
        why = (answer.extra or {}).get("tool_error")
        return self.result(False, f"the answer failed ({answer.error}{': ' + why if why else ''})")


class LatencyMs(_Grader):
    type: Literal["latency_ms"]
    budget: float = Field(gt=0)

    def grade(self, answer, catalog) -> GraderResult:
        ok = answer.latency_ms <= self.budget
        return self.result(ok, f"{answer.latency_ms} ms {'within' if ok else 'over'} the {self.budget:g} ms budget")


class Cost(_Grader):
    type: Literal["cost"]
    budget: float = Field(gt=0)   # tokens

    def grade(self, answer, catalog) -> GraderResult:
        ok = answer.tokens <= self.budget
        return self.result(ok, f"{answer.tokens} tokens {'within' if ok else 'over'} the {self.budget:g} token budget")


Grader = Annotated[Union[Exact, Contains, Regex, ToolCall, JsonSchema, NoError, LatencyMs, Cost],
                   Field(discriminator="type")]

# What each grader type must be given (for "missing expected value" messages).
REQUIRED_VALUE = {"exact": "value", "contains": "value", "regex": "pattern", "tool_call": "tool",
                  "json_schema": "schema", "latency_ms": "budget", "cost": "budget"}
