"""The package graph of ``voice_coach``: modules, import edges, cycles, and I/O in ``core/``.

``python -m voice_coach.tools.layout`` prints the graph between top-level parts (``core``,
``listen``, ``speech`` ...) and exits 1 on an import cycle between modules or between parts,
or when a module of ``core/`` imports sound, files, threads or another part of the app.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PACKAGE = "voice_coach"
ROOT = Path(__file__).resolve().parents[1]

CORE = "core"
CORE_MAY_IMPORT = frozenset({"core", "commands"})
"""Parts of voice_coach that core/ may import: itself and the command vocabulary."""
CORE_FORBIDDEN = frozenset({
    "io", "os", "pathlib", "shutil", "tempfile", "socket", "subprocess", "threading", "queue",
    "multiprocessing", "asyncio", "time", "wave", "logging", "sounddevice", "numpy", "soxr",
    "vosk", "pocketsphinx", "piper", "onnxruntime", "livekit", "yaml", "tomllib", "json",
    "urllib", "http", "signal", "select", "glob", "sqlite3",
})  # fmt: skip
"""Standard and third-party modules that mean sound, files, threads, clocks or logs."""


@dataclass
class Graph:
    modules: list[str] = field(default_factory=list)
    edges: set[tuple[str, str]] = field(default_factory=set)
    """(importer, imported) between voice_coach modules, lazy imports included."""
    external: dict[str, set[str]] = field(default_factory=dict)
    """Module -> top-level names of everything else it imports."""

    @property
    def parts(self) -> set[tuple[str, str]]:
        return {(part_of(a), part_of(b)) for a, b in self.edges if part_of(a) != part_of(b)}


def module_name(path: Path, root: Path = ROOT) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def part_of(module: str) -> str:
    """``voice_coach.listen.echo.aec`` -> ``listen``; ``voice_coach.config`` -> ``config``."""
    bits = module.split(".")
    return bits[1] if len(bits) > 1 else bits[0]


def _imports(tree: ast.Module, module: str, is_package: bool) -> Iterable[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target
            # "from voice_coach.listen import engines" imports a module, not a name.
            yield from (f"{target}.{alias.name}" for alias in node.names)


def build(root: Path = ROOT) -> Graph:
    files = sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
    graph = Graph(modules=[module_name(p, root) for p in files])
    known = set(graph.modules)
    for path, module in zip(files, graph.modules, strict=True):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        external: set[str] = set()
        for target in _imports(tree, module, path.name == "__init__.py"):
            if target == PACKAGE or target.startswith(PACKAGE + "."):
                # The bare package is only the namespace of "from voice_coach import x".
                if target in known and target not in (module, PACKAGE):
                    graph.edges.add((module, target))
            elif target:
                external.add(target.split(".")[0])
        graph.external[module] = external
    return graph


def cycles(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
        succ.setdefault(b, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in succ[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(succ):
        if node not in index:
            visit(node)
    return sorted(found)


def core_violations(graph: Graph) -> list[str]:
    """Each import of core/ that is I/O or another part of the app, as 'module -> import'."""
    out = []
    for module in graph.modules:
        if part_of(module) != CORE:
            continue
        out += [f"{module} -> {name}" for name in sorted(graph.external[module] & CORE_FORBIDDEN)]
        out += [f"{module} -> {b}" for a, b in sorted(graph.edges)
                if a == module and part_of(b) not in CORE_MAY_IMPORT]
    return out


def _adjacency(pairs: Iterable[tuple[str, str]]) -> Mapping[str, list[str]]:
    out: dict[str, list[str]] = {}
    for a, b in sorted(pairs):
        out.setdefault(a, []).append(b)
    return out


def report(graph: Graph) -> dict[str, Any]:  # JSON-shaped
    parts = sorted({part_of(m) for m in graph.modules} - {PACKAGE})
    return {
        "modules": len(graph.modules),
        "import_edges": len(graph.edges),
        "parts": parts,
        "part_edges": _adjacency(graph.parts),
        "module_cycles": cycles(graph.modules, graph.edges),
        "part_cycles": cycles(parts, graph.parts),
        "core_violations": core_violations(graph),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m voice_coach.tools.layout",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    result = report(build())
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['modules']} modules, {result['import_edges']} import edges")
        for part, targets in result["part_edges"].items():
            print(f"  {part:12} -> {', '.join(targets)}")
        for key in ("module_cycles", "part_cycles", "core_violations"):
            for item in result[key]:
                print(f"{key.replace('_', ' ')[:-1]}: {item}")
    bad = result["module_cycles"] or result["part_cycles"] or result["core_violations"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
