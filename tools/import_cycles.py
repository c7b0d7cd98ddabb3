"""The import graph of the project's modules and its cycles: `python tools/import_cycles.py`.

Reads incidents/, forms/ and notify/ with `ast` (no module is imported), counts every
import, at module level or inside a function, and prints each group of modules that import
one another in a ring, with the shortest ring through each import of the group. Exit
status 1 when there is a cycle.
"""

from __future__ import annotations

import ast
import sys
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("incidents", "forms", "notify")


def _name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the project's modules it imports (itself excluded)."""
    files = {_name(p, root): p for pkg in PACKAGES for p in (root / pkg).rglob("*.py")}

    def known(name: str) -> str | None:  # the longest dotted prefix that is a module
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package[: len(package) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                # `from incidents import service` imports the submodule as well
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                module = known(target)
                if module is not None and module != name:
                    graph[name].add(module)
    return graph


def _groups(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return groups


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """For each import a -> b inside a group, the shortest ring a -> b -> … -> a."""
    rings: dict[tuple[str, ...], list[str]] = {}
    for group in _groups(graph):
        members = set(group)
        for a in group:
            for b in sorted(graph[a] & members):
                previous: dict[str, str | None] = {b: None}
                queue = deque([b])
                while queue and a not in previous:
                    node = queue.popleft()
                    for nxt in sorted(graph[node] & members):
                        if nxt not in previous:
                            previous[nxt] = node
                            queue.append(nxt)
                path: list[str] = []
                step: str | None = a
                while step is not None:
                    path.append(step)
                    step = previous[step]
                ring = path[::-1][:-1] if a == b else [a, *path[::-1][:-1]]
                first = ring.index(min(ring))
                ring = ring[first:] + ring[:first]
                rings.setdefault(tuple(ring), ring)
    return sorted(rings.values())


def main() -> int:
    graph = import_graph()
    found = cycles(graph)
    edges = sum(len(targets) for targets in graph.values())
    print(f"{len(graph)} modules, {edges} imports")
    for group in _groups(graph):
        print("cycle group:", ", ".join(group))
    for ring in found:
        print("   ", " -> ".join([*ring, ring[0]]))
    if not found:
        print("no import cycles")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
