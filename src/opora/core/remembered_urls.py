"""`{% url %}` that remembers what it reversed (a builtin of the page templates).

Django's tag reverses on every use: about 40 µs each, and a workspace page has 16-41
of them, mostly the same few names with no arguments or a ticket number. A reversed
path depends only on the name, the arguments, the current app, the URLconf and the
script prefix, so the answer for that key is kept (a bounded number of keys per
process, forgotten when the URLconf setting changes, as Django's own caches are).
Anything but plain text and numbers as arguments is reversed every time.
"""

from __future__ import annotations

from typing import Any

from django.core.signals import setting_changed
from django.template import Library
from django.template.base import Parser, Token
from django.template.context import Context
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = Library()

MAX_KEPT = 4096
_kept: dict[tuple[Any, ...], str] = {}


class RememberedURLNode(URLNode):
    def render(self, context: Context) -> str:
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        current_app = _current_app(context)
        key = _key(view_name, args, kwargs, current_app)
        url = _kept.get(key) if key is not None else None
        if url is None:
            try:
                url = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
            except NoReverseMatch:
                if self.asvar is None:
                    raise
                url = ""
            else:
                if key is not None:
                    if len(_kept) >= MAX_KEPT:
                        _kept.clear()
                    _kept[key] = url
        if self.asvar:
            context[self.asvar] = url
            return ""
        return str(conditional_escape(url)) if context.autoescape else url


def _current_app(context: Context) -> str | None:
    """As Django's tag: the request's current app, else its resolved namespace."""
    request = getattr(context, "request", None)
    if hasattr(request, "current_app"):
        return request.current_app  # type: ignore[no-any-return,union-attr]
    return getattr(getattr(request, "resolver_match", None), "namespace", None)


def _plain(value: Any) -> bool:
    return type(value) in (str, int)


def _key(
    view_name: Any, args: list[Any], kwargs: dict[str, Any], current_app: str | None
) -> tuple[Any, ...] | None:
    if not isinstance(view_name, str) or not all(map(_plain, [*args, *kwargs.values()])):
        return None
    return (
        view_name,
        tuple(args),
        tuple(sorted(kwargs.items())),
        current_app,
        get_urlconf(),
        get_script_prefix(),
    )


@register.tag
def url(parser: Parser, token: Token) -> RememberedURLNode:
    node = django_url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)


def _forget(*, setting: str, **kwargs: Any) -> None:
    if setting == "ROOT_URLCONF":
        _kept.clear()


setting_changed.connect(_forget, dispatch_uid="remembered-urls")
