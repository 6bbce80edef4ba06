"""Strict readers for OPORA_* environment variables.

A value that cannot be read is a configuration error, never a silent default:
`OPORA_DEBUG=yes-please` stops the process with a message naming the variable.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    """Return the variable's value, or `default` when it is unset."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean; anything but a known yes/no word is an error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """Read an integer, optionally bounded below."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer; got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list; blanks are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def default_data_dir(package_dir: Path) -> Path:
    """Where Opora keeps its files unless OPORA_DATA_DIR says otherwise.

    `package_dir` is the folder of the `opora` package. In a source checkout
    (src/opora under a folder with pyproject.toml) that is the checkout's var/; an
    installed package has no checkout around it and follows the XDG base directory
    specification: $XDG_DATA_HOME/opora, or ~/.local/share/opora.
    """
    checkout = package_dir.parent.parent
    if package_dir.parent.name == "src" and (checkout / "pyproject.toml").is_file():
        return checkout / "var"
    # The specification says a relative XDG_DATA_HOME is invalid and to be ignored.
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "opora"
