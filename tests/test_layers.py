"""The layers of docs/architecture.md hold: an import (a lazy one inside a function too) goes
only down the layers or stays inside its app, and no two modules of an app import each other,
directly or round a longer loop. The order is the one `lint-imports` reads (.importlinter)."""

import configparser
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent


def _layers() -> list[str]:
    """The apps from the bottom layer to the top one."""
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    top_down = config["importlinter:contract:layers"]["layers"].split()
    return list(reversed(top_down))


LAYERS = _layers()


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph(*LAYERS, include_external_packages=False, cache_dir=None)


def _imports(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    return sorted(
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
    )


def _app(module: str) -> str:
    return module.split(".")[0]


def _described(graph: grimp.ImportGraph, importer: str, imported: str) -> str:
    lines = sorted({detail["line_number"] for detail in graph.get_import_details(
        importer=importer, imported=imported)})
    return f"{importer} -> {imported} (line {', '.join(map(str, lines))})"


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the groups of modules that reach one another."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return sorted(groups)


def test_strongly_connected_finds_loops_and_only_them():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert strongly_connected(edges) == [["a", "b", "c"]]


def test_every_import_goes_down_the_layers():
    graph = _graph()
    rank = {app: position for position, app in enumerate(LAYERS)}
    upward = [
        _described(graph, importer, imported)
        for importer, imported in _imports(graph)
        if rank[_app(imported)] > rank[_app(importer)]
    ]
    assert not upward, (
        f"Imports up the layers ({' < '.join(LAYERS)}):\n" + "\n".join(upward))


def test_no_import_cycle_inside_an_app():
    graph = _graph()
    edges: dict[str, set[str]] = {}
    for importer, imported in _imports(graph):
        if _app(importer) == _app(imported) and importer != imported:
            edges.setdefault(importer, set()).add(imported)
    cycles = [" <-> ".join(group) for group in strongly_connected(edges)]
    assert not cycles, "Modules that import one another:\n" + "\n".join(cycles)
