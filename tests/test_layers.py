"""Dependencies point one way: a lower app never imports a higher one, and no two apps
import each other, even inside a function or for type checking only.

Reactions travel upwards as domain events (core/dispatch.py) instead.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "opora"

# The layers of docs/architecture.md, lowest first. An app may import its own layer
# and the ones below it.
LAYERS: list[set[str]] = [
    {"conf", "core"},  # settings readers, jobs, realtime plumbing, events
    {"accounts"},  # people, organizations, teams, tokens
    {"search"},  # the search index, for any domain
    {"tickets"},  # the core of the desk
    {
        "sla",
        "inbox",
        "automation",
        "triage",
        "kb",
        "feedback",
        "reports",
        "monitoring",
        "chat",
        "messengers",
        "remote",
        "telephony",
        "ideas",
        "crm",
        "complaints",
    },
    {"pages", "agent", "portal", "console", "api", "demo"},  # entry points
    {"settings", "urls", "asgi", "wsgi", "cli", "__main__"},  # the process
]
RANK = {app: rank for rank, apps in enumerate(LAYERS) for app in apps}


def _app_of(path: Path) -> str:
    return path.relative_to(SRC).parts[0].removesuffix(".py")


def _imported_apps(path: Path) -> set[tuple[str, int]]:
    """Apps of opora this module imports: (app, line), wherever the import stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[tuple[str, int]] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "opora" and len(parts) > 1:
                found.add((parts[1], getattr(node, "lineno", 0)))
    return found


def _graph() -> dict[str, dict[str, list[str]]]:
    """app → imported app → where ("path:line")."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue  # migrations name other apps' tables by design
        app = _app_of(path)
        for imported, line in _imported_apps(path):
            if imported != app:
                graph[app][imported].append(f"{path.relative_to(SRC.parent)}:{line}")
    return graph


def test_every_app_has_a_layer() -> None:
    apps = {_app_of(p) for p in SRC.rglob("*.py")} - {"__init__"}
    assert apps - set(RANK) == set(), "add the new app to LAYERS (and the architecture doc)"


def test_no_app_imports_a_higher_layer() -> None:
    upward = [
        f"{app} → {imported}: {', '.join(places)}"
        for app, targets in _graph().items()
        for imported, places in targets.items()
        if imported in RANK and RANK[imported] > RANK.get(app, len(LAYERS))
    ]
    assert upward == []


def test_no_two_apps_depend_on_each_other_in_a_circle() -> None:
    graph = {app: set(targets) for app, targets in _graph().items()}
    circles: list[list[str]] = []

    def visit(app: str, trail: list[str]) -> None:
        for nxt in sorted(graph.get(app, ())):
            if nxt == trail[0]:
                circles.append([*trail, nxt])
            elif nxt not in trail and nxt > trail[0]:  # each circle once, from its least app
                visit(nxt, [*trail, nxt])

    for app in sorted(graph):
        visit(app, [app])
    assert circles == []


@pytest.mark.parametrize(
    "source",
    [
        "from opora.sla.clock import SlaClock\n",
        "def f():\n    from opora.automation import bot\n",
        "import opora.inbox.email.outbound\n",
    ],
)
def test_the_check_sees_imports_of_every_form(tmp_path: Path, source: str) -> None:
    module = tmp_path / "m.py"
    module.write_text(source, encoding="utf-8")
    assert {app for app, _ in _imported_apps(module)} & {"sla", "automation", "inbox"}
