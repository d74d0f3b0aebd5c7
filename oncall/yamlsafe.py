"""YAML the course reads: PyYAML's safe loader, made strict about duplicate keys.

Plain ``yaml.safe_load`` keeps the LAST of two equal keys silently, so a scenario with two ``seed:`` lines or a
runbook step with two ``takes_min:`` would run with a value its author may not have meant. Here a duplicate key
is a ``yaml.YAMLError`` like any other parse error, so every reader's existing "not valid YAML" line reports it
with its file and line.
"""
from __future__ import annotations

import yaml


# libyaml's C parser when PyYAML was built with it (about ten times faster), else the pure-Python one; both are
# the safe loader (no Python objects), and the mapping constructor below is the same for both.
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictSafeLoader(_BASE):
    """SafeLoader that refuses a mapping with the same key twice."""


def _mapping(loader: StrictSafeLoader, node: yaml.MappingNode, deep: bool = False):
    seen = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:   # an unhashable key: let PyYAML report it
            break
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (line {key_node.start_mark.line + 1})", key_node.start_mark)
        seen.add(key)
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)


StrictSafeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def safe_load(stream):
    """``yaml.safe_load`` that rejects duplicate keys."""
    return yaml.load(stream, Loader=StrictSafeLoader)  # noqa: S506 - a SafeLoader subclass
