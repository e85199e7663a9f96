"""The house keeps its plan: imports run down the floors of the pipeline, never up, and never in a loop.

Floors, bottom-up: the kernel (settings, errors, types, files, providers) -> text -> index -> ingest and
retrieval -> answer -> web and evaluation -> the package's face and entry points -> app.py and the
benchmarks. A module may import from a lower floor, and from its own floor only inside its own package
(ingest and retrieval know nothing of each other; nor do web and evaluation). Every import counts: at the
top of a module, inside a function, and under TYPE_CHECKING."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import PROJECT

FLOORS: dict[str, int] = {
    "assistant.settings": 0,
    "assistant.errors": 0,
    "assistant.types": 0,
    "assistant.files": 0,
    "assistant.providers": 0,
    "assistant.text": 1,
    "assistant.index": 2,
    "ingest": 3,
    "assistant.retrieval": 3,
    "assistant.answer": 4,
    "assistant.web": 5,
    "assistant.evaluation": 5,
    "assistant": 6,  # the public face (__init__), __main__ and the evaluate entry point
    "app": 7,
    "benchmarks": 7,
}
PRODUCT = ("assistant", "ingest", "benchmarks", "app.py")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for place in PRODUCT:
        root = PROJECT / place
        paths = [root] if root.is_file() else sorted(root.rglob("*.py"))
        found.update((module_name(path), path) for path in paths)
    return found


def room(module: str) -> str:
    """The longest FLOORS key that ``module`` is, or lies in."""
    keys = [key for key in FLOORS if module == key or module.startswith(f"{key}.")]
    if not keys:
        raise AssertionError(f"{module} lies on no floor: add its package to FLOORS")
    return max(keys, key=len)


def imported(path: Path, module: str) -> Iterator[tuple[str, int]]:
    """(module imported, line) for every project-internal import of the file, however deep."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                ).strip(".")
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] in ("assistant", "ingest", "benchmarks", "app"):
                yield name, node.lineno


def internal_graph() -> dict[str, set[str]]:
    known = modules()
    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        targets = {name for name, _ in imported(path, module) if name in known and name != module}
        graph[module] = targets
    return graph


def test_every_module_lies_on_a_floor() -> None:
    for module in modules():
        room(module)


def test_imports_run_down_the_floors() -> None:
    known = modules()
    wrong = []
    for module, path in known.items():
        here = room(module)
        for name, line in imported(path, module):
            if name not in known:
                continue  # a name imported from a module (from x import y), checked as x
            target = room(name)
            if FLOORS[target] > FLOORS[here]:
                wrong.append(f"{module}:{line} imports {name}: floor {FLOORS[here]} -> {FLOORS[target]}")
            elif FLOORS[target] == FLOORS[here] and target != here and FLOORS[here] != 0:
                wrong.append(f"{module}:{line} imports {name}, a neighbour on its floor")
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_itself_through_a_loop() -> None:
    graph = internal_graph()
    state: dict[str, int] = {}  # 1: on the path, 2: done
    loops: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                loops.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not loops, "\n".join(" -> ".join(loop) for loop in loops)


def test_the_floors_catch_an_upward_import(tmp_path: Path) -> None:
    """The check itself: a text module that imported the chain would be reported."""
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from assistant.answer.chain import build_chain\n", encoding="utf-8")
    found = [name for name, _ in imported(source, "assistant.text.probe")]
    assert "assistant.answer.chain" in found
    assert FLOORS[room("assistant.answer.chain")] > FLOORS[room("assistant.text.probe")]
