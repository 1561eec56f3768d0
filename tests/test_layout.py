"""The dependency rule of docs/ARCHITECTURE.md, checked over every import in app/.

doors (api, slack, check; cli and main are the composition roots) -> review (the service), jobs
-> scoring, llm, knowledge, embedding, storage, shared -> document, config, errors, keys.
A module imports its own layer or a lower one, never a door; no import cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
ROOTS = {"app.main", "app.cli"}  # composition roots: they may import every door
DOORS = {"app.api", "app.slack", "app.check"}
LAYERS = [
    ROOTS | DOORS,
    {"app.review", "app.jobs"},
    {"app.scoring", "app.llm", "app.knowledge", "app.embedding", "app.storage", "app.shared"},
    {"app.review.model", "app.document", "app.config", "app.errors", "app.keys", "app"},
]


def package_of(module: str) -> str:
    """The layer unit a module belongs to: its most specific entry in LAYERS."""
    units = sorted((u for layer in LAYERS for u in layer), key=len, reverse=True)
    return next(u for u in units if module == u or module.startswith(u + "."))


def rank(module: str) -> int:
    unit = package_of(module)
    return next(k for k, layer in enumerate(LAYERS) if unit in layer)


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every app.* module a file imports, at any depth (function-level imports count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("app")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app") and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names if (APP.parent / node.module.replace(".", "/") / f"{a.name}.py").exists()}
    return found


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in APP.rglob("*.py")}


def violations(edges: dict[str, set[str]]) -> list[str]:
    """Imports that go up a layer, or from one door into another."""
    out = []
    for source, targets in edges.items():
        for target in targets:
            if package_of(source) in ROOTS:
                continue
            if rank(target) < rank(source):
                out.append(f"{source} imports {target}, a layer above it")
            elif package_of(target) in DOORS and package_of(target) != package_of(source):
                out.append(f"{source} imports the door {target}")
    return sorted(out)


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in edges:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_no_module_imports_upward_or_into_another_door():
    assert violations(graph()) == []


def test_no_import_cycle():
    assert cycles(graph()) == []


@pytest.mark.parametrize("source,target", [
    ("app.scoring.local", "app.review.service"),   # a component importing the service
    ("app.review.service", "app.api.routes"),      # the service importing a door
    ("app.slack.bot", "app.check.runner"),         # a door importing another door
    ("app.document.parse", "app.knowledge.rubric"),
])
def test_the_rule_catches_a_bad_import(source, target):
    edges = graph()
    edges[source] = edges[source] | {target}
    assert violations(edges)


def test_the_cycle_check_catches_a_cycle():
    edges = graph()
    edges["app.knowledge.rubric"] = edges["app.knowledge.rubric"] | {"app.knowledge.loader"}
    assert cycles(edges)
