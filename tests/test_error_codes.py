"""Errors carry a code from their app's `errors.py` and a message people can read in
their language: no string literal as a code, no untranslated text as a message.

The codes are what API clients match on, so they are named once, in one place per app;
the messages are shown as they are, so they go through gettext. Read from the source
with `ast`, so a new `raise` that breaks either rule fails here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import opora

PACKAGE = Path(opora.__file__).resolve().parent


def _modules() -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text("utf-8")))
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _error_classes(modules: list[tuple[Path, ast.Module]]) -> set[str]:
    """OporaError and every class that derives from it, however deep."""
    classes = {"OporaError"}
    grown = True
    while grown:
        grown = False
        for _, tree in modules:
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.ClassDef)
                    and node.name not in classes
                    and any(_name(base) in classes for base in node.bases)
                ):
                    classes.add(node.name)
                    grown = True
    return classes


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _is_text(node: ast.expr | None) -> bool:
    """A literal string, an f-string, or one formatted with % or .format()."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _is_text(node.left)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format" and _is_text(node.func.value)
    return False


def offences(modules: list[tuple[Path, ast.Module]]) -> Iterator[str]:
    classes = _error_classes(modules)
    for path, tree in modules:
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _name(node.func) in classes):
                continue
            where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
            if _name(node.func) == "NotFound":
                # NotFound's code is fixed; its argument names the thing, for people.
                code, message = None, _argument(node, 0, "what")
            else:
                code, message = _argument(node, 0, "code"), _argument(node, 1, "message")
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                yield f"{where}: code {code.value!r} is a literal, not a constant from errors.py"
            if _is_text(message):
                assert message is not None
                yield f"{where}: message {ast.unparse(message)[:60]} bypasses gettext"


# Modules that others are changing at the same time, each to pass once that lands.
PENDING: dict[str, str] = {}


def _part(line: str) -> str:
    return next((prefix for prefix in PENDING if line.startswith(prefix)), "")


@pytest.mark.parametrize(
    "part",
    [
        "",
        *[
            pytest.param(prefix, marks=pytest.mark.xfail(reason=reason, strict=False))
            for prefix, reason in PENDING.items()
        ],
    ],
)
def test_errors_use_code_constants_and_translated_messages(part: str):
    assert [line for line in offences(_modules()) if _part(line) == part] == []


def test_the_scan_notices_each_way_to_break_the_rules():
    source = (
        "class Conflict(ValidationFailed): ...\n"
        "raise ValidationFailed('unknown_requester', _('No such user.'))\n"
        "raise errors_module.Forbidden(code='agents_only', message=_('Agents only.'))\n"
        "raise Conflict(errors.TAKEN, 'taken')\n"
        "raise NotFound('ticket')\n"
        "raise TooLarge(errors.BIG, f'over {limit} MB')\n"
        "raise RateLimited(errors.SLOW, 'wait %s' % n)\n"
        # the allowed forms
        "raise ValidationFailed(errors.REQUIRED, _('A name is required.'), field='name')\n"
        "raise ValidationFailed(errors.TOO_LONG, _('%(n)s is too long.') % {'n': n})\n"
        "raise ValidationFailed(exc.code, exc.message)\n"
        "raise NotFound(_('ticket'))\n"
        "raise NotFound()\n"
        "class ValidationFailed(OporaError): ...\n"
        "class TooLarge(OporaError): ...\n"
        "class RateLimited(OporaError): ...\n"
        "class Forbidden(OporaError): ...\n"
        "class NotFound(OporaError): ...\n"
    )
    found = list(offences([(PACKAGE / "example.py", ast.parse(source))]))
    assert [line.split(": ", 1)[0] for line in found] == [
        "example.py:2",
        "example.py:3",
        "example.py:4",
        "example.py:5",
        "example.py:6",
        "example.py:7",
    ]
