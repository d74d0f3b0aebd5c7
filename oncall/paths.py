"""Where the course's data lives, and how a NAME or a PATH on the command line resolves (DESIGN.md)."""
from __future__ import annotations

import os
from functools import lru_cache, wraps
from pathlib import Path

import yaml

from . import yamlsafe
from .errors import BadInput

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
_PATH_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl", ".csv", ".md")


def is_path(value: str) -> bool:
    """A value with a path separator or a data-file ending is a PATH, read where it is; anything else is a NAME."""
    return "/" in value or "\\" in value or value.endswith(_PATH_SUFFIXES)


def resolve(value: str, folder: str, option: str, suffix: str = ".yaml") -> Path:
    """Resolve a NAME inside ``data/<folder>/`` or a PATH where it is.

    Raises BadInput (naming ``option``) when the file does not exist; a NAME with a path
    separator cannot reach outside ``data/`` because it is read as a PATH instead.
    """
    if not value or value in {".", ".."}:
        raise BadInput(option, None, f"expected a name from data/{folder}/ or a path to a {suffix} file, got {value!r}")
    if is_path(value):
        path = Path(value)
        if path.is_dir():
            raise BadInput(str(path), None, f"is a folder; expected a {suffix} file")
        if not path.is_file():
            raise BadInput(str(path), None, "no such file")
        return path
    path = DATA_DIR / folder / f"{value}{suffix}"
    if not path.is_file():
        known = sorted(p.stem for p in (DATA_DIR / folder).glob(f"*{suffix}"))
        raise BadInput(option, None, f"no {folder[:-1] if folder.endswith('s') else folder} named {value!r}; expected one of {', '.join(known)}")
    return path


def display(path: Path) -> str:
    """A path as a learner would type it: relative to the course folder when inside it, else as given."""
    try:
        return str(Path(path).resolve().relative_to(DATA_DIR.parent))
    except ValueError:
        return str(path)


def refuse_empty(path: str | Path, where: str, expected: str) -> None:
    """BadInput naming ``where`` when the file is 0 bytes or only white space: almost always a failed export or
    an unsaved edit, never a file worth reading as "no records". A file that cannot be opened is left to the
    reader, which says why in its own words; a well-formed file with no records (``[]``) is not empty."""
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
            if head.strip():
                return
            if len(head) == 1 << 16 and any(chunk.strip() for chunk in iter(lambda: f.read(1 << 16), b"")):
                return
    except OSError:
        return
    raise BadInput(where, None, f"empty ({'0 bytes' if not head else 'only white space'}); expected {expected}")


def read_yaml(path: Path, where: str):
    """Safe-load a YAML file; any problem reading or parsing it is one BadInput line naming ``where`` (a 0-byte or
    white-space-only file too)."""
    refuse_empty(path, where, "a YAML document")
    try:
        return yamlsafe.safe_load(Path(path).read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BadInput(where, None, f"not valid YAML ({first})") from None
    except OSError as exc:
        raise BadInput(where, None, f"cannot read it ({exc.strerror or exc})") from None


def cached_per_file_version(load):
    """Decorator for ``load(file, *args)`` whose result is immutable: cached per file version (path, modification
    time, size), so a config read by every shift is parsed once per edit. A file that cannot be stat'ed goes to
    ``load`` uncached, which reports the problem in its own words."""
    cached = lru_cache(maxsize=16)(lambda file, _mtime_ns, _size, *args: load(file, *args))

    @wraps(load)
    def wrapper(file, *args):
        try:
            st = os.stat(file)
        except OSError:
            return load(file, *args)
        return cached(str(file), st.st_mtime_ns, st.st_size, *args)

    return wrapper
