"""The house's layers (DESIGN.md "The house"), read off the source: imports only point down, no import cycle,
and only the plots and the widgets import matplotlib or ipywidgets.

Every import counts: at the top of a module, inside a function, and under ``if TYPE_CHECKING:`` too (a type a
lower layer needs from a higher one is named as a string, never imported).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "oncall"

# Bottom to top. A module belongs to the first layer whose prefix names it (a package, or a module).
LAYERS = [
    ("base", ("errors", "paths", "trace", "checks", "counts", "durations", "datafile", "yamlsafe", "progress",
              "story")),
    ("scenario model", ("scenario_model",)),
    ("service", ("service",)),
    ("course modules", ("incident_response", "support_desk", "release_ops", "evals")),
    ("cause kinds", ("causes",)),
    ("record and loader", ("record", "scenario")),
    ("phases", ("detect", "triage", "mitigate", "learn", "ship", "gate", "respond")),
    ("shift and sweeps", ("shift", "sweeps")),
    ("edges", ("plots", "widgets", "cli", "commands", "report", "export", "gameday", "course", "__main__",
               "__init__")),
]
EDGE_ONLY = ("matplotlib", "ipywidgets")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> int:
    for rank, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    raise AssertionError(f"oncall.{module} is in no layer of the house: add it to LAYERS (and DESIGN.md)")


def imports_of(path: Path, module: str) -> list[tuple[str, int]]:
    """(imported name, line): ours as ``oncall.x.y`` relative names ``x.y``, others by their top-level name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    out = []

    def visit(node):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name
                out.append((name[len("oncall."):] if name.startswith("oncall.") else "!" + name.split(".")[0],
                            node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else list(package)
                target = ".".join(base + ([node.module] if node.module else []))
                # "from . import shift" imports the module oncall.shift
                for alias in node.names:
                    sub = f"{target}.{alias.name}" if target else alias.name
                    out.append((sub if (PACKAGE / Path(*sub.split("."))).with_suffix(".py").is_file()
                                or (PACKAGE / Path(*sub.split("."))).is_dir() else target, node.lineno))
            elif node.module.startswith("oncall"):
                out.append((node.module[len("oncall."):], node.lineno))
            else:
                out.append(("!" + node.module.split(".")[0], node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return out


def graph() -> dict[str, list[tuple[str, int]]]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        modules[name or "__init__"] = imports_of(path, name)
    return modules


GRAPH = graph()


def _ours(target: str) -> str | None:
    if target.startswith("!") or not target:
        return None
    parts = target.split(".")
    while parts and ".".join(parts) not in GRAPH:
        parts.pop()
    return ".".join(parts) or None


def test_no_import_cycle():
    edges = {m: sorted({o for t, _ in deps if (o := _ours(t)) and o != m}) for m, deps in GRAPH.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(m: str):
        state[m] = 1
        stack.append(m)
        for n in edges.get(m, []):
            if state.get(n) == 1:
                cycle = stack[stack.index(n):] + [n]
                pytest.fail("import cycle: " + " -> ".join(f"oncall.{c}" for c in cycle))
            if n not in state:
                walk(n)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            walk(m)


def test_imports_only_point_down():
    wrong = []
    for module, deps in GRAPH.items():
        here = layer_of(module)
        for target, line in deps:
            target = _ours(target)
            if target is None or target == module:
                continue
            there = layer_of(target)
            if there > here:
                wrong.append(f"oncall.{module}:{line} ({LAYERS[here][0]}) imports oncall.{target} "
                             f"({LAYERS[there][0]}), a layer above it")
    assert not wrong, "\n".join(wrong)


def test_only_the_plots_and_widgets_import_matplotlib_or_ipywidgets():
    wrong = [f"oncall.{module}:{line} imports {target[1:]}" for module, deps in GRAPH.items()
             for target, line in deps
             if target.startswith("!") and target[1:] in EDGE_ONLY
             and not (module.startswith("plots") or module.startswith("widgets"))]
    assert not wrong, "\n".join(wrong)


def test_every_module_has_a_layer():
    for module in GRAPH:
        layer_of(module)
