"""Core sits under every domain: nothing in src/opora/core imports one of them.

Read from the source with `ast`, so imports inside functions (the usual way around an
import cycle) count as much as those at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import opora.core

CORE = Path(opora.core.__file__).resolve().parent
DOMAINS = {
    "accounts",
    "tickets",
    "inbox",
    "sla",
    "kb",
    "automation",
    "reports",
    "feedback",
    "search",
    "agent",
    "portal",
    "api",
    "demo",
}


def _imported(tree: ast.AST, package: str) -> list[tuple[int, str]]:
    """(line, dotted name) of every module imported in `tree`, a module of `package`.

    `from a import b` counts as importing both `a` and `a.b` (b may be a module).
    """
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            # a relative import: one dot is this package, each further dot one up
            base = base[: len(base) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _domain_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "opora" and parts[1] in DOMAINS:
        return parts[1]
    return None


def _package(path: Path) -> str:
    return ".".join(path.relative_to(CORE.parent.parent).parent.parts)


def test_core_imports_no_domain_app():
    offences = sorted(
        {
            f"{path.relative_to(CORE.parent)}:{line} imports opora.{domain}"
            for path in sorted(CORE.rglob("*.py"))
            for line, module in _imported(ast.parse(path.read_text("utf-8")), _package(path))
            if (domain := _domain_of(module))
        }
    )
    assert offences == []


def test_the_check_sees_imports_in_functions_and_every_form():
    # given imports of a domain in every form the scan must notice
    source = (
        "import opora.tickets.models\n"
        "from opora.accounts.models import User\n"
        "from opora import kb\n"
        "from .. import portal\n"
        "from ..search.index import index\n"
        "from . import errors\n"
        "from .errors import NotFound\n"
        "from opora.core.errors import NotFound as Missing\n"
        "def later():\n"
        "    from opora.demo import data\n"
        "    importlib.import_module('opora.sla.config')\n"
    )
    # when it is read as a module of opora.core
    found = _imported(ast.parse(source), "opora.core")
    # then each domain is found, and core's own modules are not taken for one
    assert {_domain_of(module) for _, module in found} - {None} == {
        "tickets",
        "accounts",
        "kb",
        "portal",
        "search",
        "demo",
        "sla",
    }
    assert {module for _, module in found if module.startswith("opora.core")} == {
        "opora.core",
        "opora.core.errors",
        "opora.core.errors.NotFound",
    }
