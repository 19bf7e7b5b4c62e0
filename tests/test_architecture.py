"""The house has floors, and imports only run down them (see README, "Where things live").

    floor 0  foundation/           environment, roles and permissions, downloads, the
                                   guarded HTTP client, time zones, on-commit signals
    floor 1  monitoring/           sources, ingest, rollups, detection
    floor 2  crisisroom/           incidents, alerts, the war room (chat, presence, pushes)
    floor 3  playbook/             the crisis playbook, statements, publishing, review

A lower floor never imports a higher one: it announces what happened as a Django
signal (monitoring/events.py, crisisroom/events.py, playbook/events.py) and the higher
floor subscribes in its AppConfig.ready. Only the composition files, which put the
whole system together, import every floor. No project module imports another inside a
function to dodge a circle, and no circle of module-level imports is left.

Read from the source with ``ast`` (nothing is imported), so it also runs without Django.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("foundation", "crisisroom", "monitoring", "playbook")

FLOOR_NAMES = {0: "platform", 1: "monitoring", 2: "incidents and war room", 3: "playbook"}

# The files that put the whole system together: they may import every floor, and
# import inside functions where Django or Celery need it (AppConfig.ready, settings).
COMPOSITION = (
    "crisisroom/__init__.py",  # loads the Celery app
    "crisisroom/celery.py",
    "crisisroom/settings.py",
    "crisisroom/urls.py",
    "crisisroom/asgi.py",
    "crisisroom/routing.py",
    "crisisroom/embedded.py",  # runs the worker in-process for the SQLite demo
    "crisisroom/demo.py",
    "crisisroom/drills.py",
    "*/apps.py",  # AppConfig.ready connects the receivers
    "*/management/commands/*.py",
)


def floor_of(module: str) -> int | None:
    return {"foundation": 0, "monitoring": 1, "crisisroom": 2, "playbook": 3}.get(
        module.split(".")[0]
    )


def is_composition(path: str) -> bool:
    return any(fnmatch(path, pattern) for pattern in COMPOSITION)


def module_name(path: str) -> str:
    parts = path[: -len(".py")].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def project_files() -> Iterator[str]:
    for app in APPS:
        for file in sorted((ROOT / app).rglob("*.py")):
            rel = file.relative_to(ROOT).as_posix()
            if "/migrations/" in rel or "/tests/" in rel:
                continue
            yield rel


def _is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


@dataclass(frozen=True)
class Import:
    path: str  # the importing file
    line: int
    target: str  # the project module imported
    in_function: bool


def imports_of(path: str, source: str) -> list[Import]:
    """Every import of a project module in ``source`` (``from pkg import sub`` counts as
    importing ``pkg.sub`` when that is a module), with whether it sits in a function."""
    package = (
        module_name(path) if path.endswith("__init__.py") else module_name(path).rpartition(".")[0]
    )
    found: list[Import] = []

    def add(node: ast.stmt, target: str, in_function: bool) -> None:
        if floor_of(target) is not None:
            found.append(Import(path, node.lineno, target, in_function))

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    add(child, alias.name, in_function)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    module = ".".join(base + ([child.module] if child.module else []))
                else:
                    module = child.module or ""
                for alias in child.names:
                    sub = f"{module}.{alias.name}"
                    add(child, sub if _is_module(sub) else module, in_function)
            walk(child, inside)

    walk(ast.parse(source, filename=path), False)
    return found


def upward_imports(path: str, source: str) -> list[str]:
    if is_composition(path):
        return []
    own = floor_of(module_name(path))
    problems = []
    for imp in imports_of(path, source):
        target_floor = floor_of(imp.target)
        assert own is not None and target_floor is not None
        if target_floor > own:
            problems.append(
                f"{path}:{imp.line} imports {imp.target}: floor {own} ({FLOOR_NAMES[own]}) "
                f"must not import floor {target_floor} ({FLOOR_NAMES[target_floor]}); "
                "announce a signal instead and subscribe in the higher app's AppConfig.ready"
            )
    return problems


def function_imports(path: str, source: str) -> list[str]:
    if is_composition(path):
        return []
    return [
        f"{imp.path}:{imp.line} imports {imp.target} inside a function; import it at the "
        "top (if that makes a circle, the design wants a signal or a lower home for it)"
        for imp in imports_of(path, source)
        if imp.in_function
    ]


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _sources() -> dict[str, str]:
    return {path: (ROOT / path).read_text(encoding="utf-8") for path in project_files()}


def test_the_files_are_found():
    paths = set(_sources())
    assert {
        "monitoring/ingest.py",
        "crisisroom/services/incidents.py",
        "playbook/services/runs.py",
    } <= paths


def test_no_floor_imports_a_higher_one():
    problems = [p for path, source in _sources().items() for p in upward_imports(path, source)]
    assert problems == []


def test_no_project_import_hides_in_a_function():
    problems = [p for path, source in _sources().items() for p in function_imports(path, source)]
    assert problems == []


def test_no_circle_of_imports_is_left():
    graph: dict[str, set[str]] = {}
    for path, source in _sources().items():
        here = module_name(path)
        graph.setdefault(here, set()).update(
            imp.target for imp in imports_of(path, source) if imp.target != here
        )
    assert circles(graph) == []


# --- The checks can fail -------------------------------------------------------------


def test_it_catches_ingest_calling_the_war_room_again():
    source = (ROOT / "monitoring/ingest.py").read_text(encoding="utf-8") + (
        "\n\ndef _after_commit(mention_ids, brand_ids):\n"
        "    from crisisroom.services.war_room import mentions_push_to_war_rooms\n\n"
        "    mentions_push_to_war_rooms(mention_ids=mention_ids, brand_ids=brand_ids)\n"
    )
    [upward] = upward_imports("monitoring/ingest.py", source)
    assert "crisisroom.services.war_room" in upward and "floor 1" in upward
    [hidden] = function_imports("monitoring/ingest.py", source)
    assert "inside a function" in hidden


def test_it_catches_a_package_import_and_a_platform_helper_reaching_up():
    assert upward_imports("monitoring/tasks.py", "from crisisroom import events\n")
    assert upward_imports("foundation/env.py", "from monitoring.models import Brand\n")
    assert upward_imports("crisisroom/services/incidents.py", "import playbook.services.runs\n")
    assert not upward_imports("playbook/receivers.py", "from crisisroom import events\n")
    assert not upward_imports("crisisroom/urls.py", "from playbook import views\n")


def test_it_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]
