"""The one way the course reads a data file: YAML (``paths.read_yaml``) validated by a pydantic model.

Every mistake in a file becomes one BadInput line, ``FILE: FIELD: what was expected``, in one form whatever the
file: a field is written ``steps[3].takes_min``, an unknown key is "unknown field", a missing one "missing", a
wrong value the model's words followed by ``(got VALUE)``. A model's own checks raise ``ValueError("FIELD:
words")`` to name the field inside the part they check.

Bottom layer: imports nothing of the course's but ``errors`` and ``paths``.
"""
from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .errors import BadInput
from .paths import read_yaml

M = TypeVar("M", bound=BaseModel)


def field_of(loc: tuple) -> str:
    """pydantic's error location as the course writes a field: ``steps[3].takes_min``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def first_error(exc: ValidationError, loc: str | None = None) -> tuple[str | None, str]:
    """(field, what was expected) for the first error pydantic found; ``loc`` overrides the field it names."""
    err = exc.errors()[0]
    loc = field_of(err["loc"]) if loc is None else loc
    if err["type"] == "extra_forbidden":
        return loc or None, "unknown field"
    if err["type"] == "missing":
        return loc or None, "missing"
    msg = err["msg"].removeprefix("Value error, ")
    head = msg.split(": ", 1)[0]
    if ": " in msg and head.isidentifier() and not loc.endswith(head):
        loc, msg = (f"{loc}.{head}" if loc else head), msg.split(": ", 1)[1]
    if "input" in err and not isinstance(err["input"], (dict, list)):
        msg = f"{msg} (got {err['input']!r})"
    return loc or None, msg


def validate(model: type[M], doc, where: str) -> M:
    """``model`` validated from a parsed document; BadInput naming ``where`` and the field on any mistake."""
    if not isinstance(doc, dict):
        raise BadInput(where, None, f"expected a mapping of fields, got {type(doc).__name__}")
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        field, msg = first_error(exc)
        raise BadInput(where, field, msg) from None


def load(model: type[M], path: str | Path, where: str) -> M:
    """Read the YAML file at ``path`` and validate it as ``model`` (BadInput names ``where``)."""
    return validate(model, read_yaml(Path(path), where), where)


__all__ = ["field_of", "first_error", "validate", "load"]
