"""Values of admin-defined fields: parsed, checked and kept as JSON.

A value is stored in the form a JSON column keeps and compares well: text as a string,
a number as a JSON number (an integer when it is one), a date as ISO `YYYY-MM-DD` (so
text order is date order, also in filters), a dropdown's choice as its option value.
Every check raises `ValidationFailed` with the field's key, so a form and the API can
say which value is wrong; nothing is written before all values passed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from opora.core.errors import ValidationFailed
from opora.crm import errors
from opora.crm.models import FieldDefinition, FieldKind

MAX_TEXT = 1000
Value = str | int | float


def _fail(code: str, message: str, key: str) -> ValidationFailed:
    return ValidationFailed(code, message, field=f"custom_fields.{key}")


def parse_value(definition: FieldDefinition, raw: Any) -> Value | None:
    """The stored form of `raw` for this field; None for an empty value."""
    key = definition.key
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if definition.kind == FieldKind.NUMBER:
        return _number(definition, raw)
    if definition.kind == FieldKind.DATE:
        return _date(raw, key)
    text = str(raw).strip() if isinstance(raw, str | int | float) else None
    if text is None or isinstance(raw, bool):
        raise _fail(errors.BAD_VALUE, _("Expected text."), key)
    if definition.kind == FieldKind.CHOICE:
        values = [str(o.get("value")) for o in definition.options]
        if text not in values:
            raise _fail(
                errors.UNKNOWN_OPTION,
                _("%(value)s is not one of the options: %(options)s.")
                % {"value": text[:60], "options": ", ".join(values)},
                key,
            )
        return text
    if len(text) > MAX_TEXT:
        raise _fail(errors.TOO_LONG, _("At most %(count)d characters.") % {"count": MAX_TEXT}, key)
    return text


def _number(definition: FieldDefinition, raw: Any) -> int | float:
    key = definition.key
    if isinstance(raw, bool):
        raise _fail(errors.NOT_A_NUMBER, _("Expected a number."), key)
    if isinstance(raw, int | float):
        number = float(raw)
    else:
        text = str(raw).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            raise _fail(errors.NOT_A_NUMBER, _("Expected a number."), key) from None
    if not math.isfinite(number) or abs(number) > 1e15:
        raise _fail(errors.NOT_A_NUMBER, _("Expected a number."), key)
    low, high = definition.min_value, definition.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        raise _fail(
            errors.OUT_OF_RANGE,
            _("Expected a number from %(low)s to %(high)s.")
            % {
                "low": _plain(low) if low is not None else "…",
                "high": _plain(high) if high is not None else "…",
            },
            key,
        )
    return int(number) if number.is_integer() else number


def _plain(number: float) -> str:
    return str(int(number)) if number.is_integer() else str(number)


def _date(raw: Any, key: str) -> str:
    text = str(raw).strip()
    try:
        if len(text) == 10 and text[2] == "." and text[5] == ".":  # 31.12.2026, as in Russia
            text = f"{text[6:]}-{text[3:5]}-{text[:2]}"
        return date.fromisoformat(text[:10] if len(text) == 10 else text).isoformat()
    except (ValueError, IndexError):
        raise _fail(
            errors.BAD_DATE, _("Expected a date as YYYY-MM-DD or DD.MM.YYYY."), key
        ) from None


@dataclass(frozen=True)
class Checked:
    """Values ready to store: the record's new JSON, and the keys that changed."""

    values: dict[str, Value]
    changed: dict[str, list[Value | None]]


def check_values(
    definitions: Iterable[FieldDefinition],
    current: Mapping[str, Any],
    incoming: Mapping[str, Any],
    *,
    required: Iterable[str] = (),
    partial: bool = True,
) -> Checked:
    """Merge `incoming` into `current` after checking every value.

    `definitions`: the active fields of the record's kind; an unknown key is refused.
    `required`: keys that must have a value after the change, besides the fields that
    are required everywhere. `partial`: keys not named keep their value (a PATCH);
    a None or empty value removes one. Values of fields no longer defined are kept.
    """
    by_key = {d.key: d for d in definitions}
    for key in incoming:
        if key not in by_key:
            raise _fail(
                errors.UNKNOWN_FIELD,
                _("There is no field %(key)s.") % {"key": str(key)[:60]},
                str(key)[:60],
            )
    values: dict[str, Value] = dict(current) if partial else {}
    for key, raw in incoming.items():
        parsed = parse_value(by_key[key], raw)
        if parsed is None:
            values.pop(key, None)
        else:
            values[key] = parsed
    must = {d.key for d in by_key.values() if d.required} | set(required)
    for key in sorted(must, key=lambda k: by_key[k].position if k in by_key else 0):
        if key in by_key and values.get(key) in (None, ""):
            raise _fail(
                errors.FIELD_REQUIRED,
                _("%(label)s is required.") % {"label": by_key[key].label_en},
                key,
            )
    changed = {
        key: [current.get(key), values.get(key)]
        for key in sorted(set(current) | set(values))
        if current.get(key) != values.get(key)
    }
    return Checked(values, changed)


def display(definition: FieldDefinition, value: Any, language: str) -> str:
    """A stored value as a person reads it."""
    if value is None or value == "":
        return ""
    if definition.kind == FieldKind.CHOICE:
        return definition.option_label(str(value), language)
    if definition.kind == FieldKind.DATE and language == "ru":
        try:
            return date.fromisoformat(str(value)).strftime("%d.%m.%Y")
        except ValueError:
            return str(value)
    return str(value)
