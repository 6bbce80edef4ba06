"""Every write to the desk's WhatsApp numbers (administrators: add, change, delete,
test, send a test message), what the desk learns when it talks to the Graph API (the
last error, the last success), and an agent's template reply on a WhatsApp ticket.

The access token and the app secret are written here and never read back out: the
audit trail records that they changed, never their values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from opora.accounts.models import Language, User
from opora.core import audit, clock
from opora.core.errors import Forbidden, ValidationFailed
from opora.messengers import errors
from opora.messengers.actions import AUDIT_AREA, _team, _text
from opora.messengers.models import Conversation, WhatsAppNumber, WhatsAppTemplateReply
from opora.messengers.selectors import require_channel_admin
from opora.messengers.whatsapp import client, window
from opora.tickets import errors as ticket_errors
from opora.tickets.actions import add_message
from opora.tickets.models import Channel, Message, Ticket

EDITABLE = (
    "name",
    "phone_number_id",
    "business_account_id",
    "access_token",
    "app_secret",
    "verify_token",
    "api_base",
    "api_version",
    "team",
    "language",
    "templates",
    "active",
)
SECRETS = ("access_token", "app_secret")
AUDITED = tuple(name for name in EDITABLE if name not in SECRETS)
ID_PATTERN = re.compile(r"^[0-9]{5,30}$")
VERSION_PATTERN = re.compile(r"^v?([0-9]{1,3}\.[0-9]{1,2}|[0-9]{1,3})$")
TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
SECRET_PATTERN = re.compile(r"^[\x21-\x7e]{8,1000}$")
MAX_TEMPLATES = 100
MAX_PARAMS = 20
MAX_PARAM = 1024


def _id(value: Any, field: str, code: str, *, required: bool) -> str:
    text = (
        str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    )
    if not text and not required:
        return ""
    if not ID_PATTERN.match(text):
        raise ValidationFailed(code, _("Enter the id in digits, as Meta shows it."), field=field)
    return text


def _secret(value: Any, field: str, code: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not SECRET_PATTERN.match(text):
        raise ValidationFailed(
            code, _("Paste the value from Meta's app dashboard (no spaces)."), field=field
        )
    return text


def clean_api_base(value: Any) -> str:
    text = value.strip().rstrip("/") if isinstance(value, str) else ""
    parts = urlsplit(text)
    if (
        len(text) > 500
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username
        or any(ch.isspace() for ch in text)
    ):
        raise ValidationFailed(
            errors.INVALID_API_BASE,
            _("Enter the Graph API server's address, such as https://graph.facebook.com."),
            field="api_base",
        )
    return text


def clean_version(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    found = VERSION_PATTERN.match(text)
    if found is None:
        raise ValidationFailed(
            errors.INVALID_API_VERSION,
            _("Enter a Graph API version, such as 21.0."),
            field="api_version",
        )
    number = found.group(1)
    return number if "." in number else f"{number}.0"


def clean_templates(value: Any) -> list[str]:
    """Template names, one each: from a list (API) or lines of text (the page)."""
    if isinstance(value, str):
        value = [line for line in re.split(r"[\s,]+", value) if line]
    if not isinstance(value, list | tuple) or len(value) > MAX_TEMPLATES:
        raise ValidationFailed(
            errors.INVALID_TEMPLATES, _("Enter up to 100 template names."), field="templates"
        )
    names: list[str] = []
    for item in value:
        name = item.strip() if isinstance(item, str) else ""
        if not TEMPLATE_NAME.match(name):
            raise ValidationFailed(
                errors.INVALID_TEMPLATES,
                _("A template name has lower-case letters, digits and underscores."),
                field="templates",
            )
        if name not in names:
            names.append(name)
    return names


def _apply(number: WhatsAppNumber, values: Mapping[str, Any]) -> None:
    for field, value in values.items():
        if field not in EDITABLE:
            raise ValidationFailed(errors.UNKNOWN_FIELD, _("Unknown field."), field=field)
        if field in SECRETS and value in (None, "") and number.pk is not None:
            continue  # left empty on a form: the saved secret stays
        if field == "name":
            number.name = _text(value, field, code=errors.INVALID_NAME, limit=120)
        elif field == "phone_number_id":
            number.phone_number_id = _id(
                value, field, errors.INVALID_PHONE_NUMBER_ID, required=True
            )
        elif field == "business_account_id":
            number.business_account_id = _id(
                value or "", field, errors.INVALID_ACCOUNT_ID, required=False
            )
        elif field == "access_token":
            number.access_token = _secret(value, field, errors.INVALID_ACCESS_TOKEN)
        elif field == "app_secret":
            number.app_secret = _secret(value, field, errors.INVALID_APP_SECRET)
        elif field == "verify_token":
            if value in (None, ""):
                continue
            number.verify_token = _secret(value, field, errors.INVALID_VERIFY_TOKEN)[:128]
        elif field == "api_base":
            number.api_base = clean_api_base(value)
        elif field == "api_version":
            number.api_version = clean_version(value)
        elif field == "team":
            number.team = _team(value)
        elif field == "language":
            if value not in Language.values:
                raise ValidationFailed(
                    errors.INVALID_LANGUAGE, _("Choose “en” or “ru”."), field=field
                )
            number.language = value
        elif field == "templates":
            number.templates = clean_templates(value)
        elif field == "active":
            if not isinstance(value, bool):
                raise ValidationFailed(errors.INVALID, _("Enter true or false."), field=field)
            number.active = value


def _unique(number: WhatsAppNumber) -> None:
    taken = WhatsAppNumber.objects.filter(phone_number_id=number.phone_number_id)
    if number.pk is not None:
        taken = taken.exclude(pk=number.pk)
    if taken.exists():
        raise ValidationFailed(
            errors.NUMBER_TAKEN,
            _("This phone number id is added already."),
            field="phone_number_id",
        )


@transaction.atomic
def create_number(*, by: User, values: Mapping[str, Any]) -> WhatsAppNumber:
    """A new number from `values` (keys of EDITABLE; name, phone number id, access
    token and app secret required)."""
    require_channel_admin(by)
    for field, code in (
        ("name", errors.INVALID_NAME),
        ("phone_number_id", errors.INVALID_PHONE_NUMBER_ID),
        ("access_token", errors.INVALID_ACCESS_TOKEN),
        ("app_secret", errors.INVALID_APP_SECRET),
    ):
        if not values.get(field):
            raise ValidationFailed(code, _("This field is required."), field=field)
    number = WhatsAppNumber()
    _apply(number, values)
    _unique(number)
    number.created_at = number.updated_at = clock.now()
    number.save()
    audit.record_change(
        actor=by,
        area=AUDIT_AREA,
        action="created",
        target=number,
        label=number.name,
        changes=audit.diff({}, audit.snapshot(number, AUDITED))
        | {name: ["", "(set)"] for name in SECRETS},
    )
    return number


@transaction.atomic
def update_number(
    number: WhatsAppNumber, *, by: User, changes: Mapping[str, Any]
) -> WhatsAppNumber:
    """Change the given fields only; an empty secret keeps the saved one."""
    require_channel_admin(by)
    locked = WhatsAppNumber.objects.select_for_update(of=("self",)).get(pk=number.pk)
    before = audit.snapshot(locked, AUDITED)
    secrets_before = {name: getattr(locked, name) for name in SECRETS}
    _apply(locked, changes)
    _unique(locked)
    if locked.phone_number_id != number.phone_number_id:
        locked.display_name = ""  # another number now: "Test" tells which
    locked.updated_at = clock.now()
    locked.save()
    diff = audit.diff(before, audit.snapshot(locked, AUDITED))
    for name, old in secrets_before.items():
        if getattr(locked, name) != old:
            diff[name] = ["(set)", "(changed)"]
    audit.record_change(
        actor=by, area=AUDIT_AREA, action="changed", target=locked, label=locked.name, changes=diff
    )
    return locked


@transaction.atomic
def delete_number(number: WhatsAppNumber, *, by: User) -> None:
    """Stop answering through this number; its tickets and messages stay."""
    require_channel_admin(by)
    audit.record_change(
        actor=by,
        area=AUDIT_AREA,
        action="deleted",
        target=number,
        label=number.name,
        changes=audit.diff(audit.snapshot(number, AUDITED), {}),
    )
    Conversation.objects.filter(channel=Channel.WHATSAPP, account_id=number.pk).delete()
    WhatsAppNumber.objects.filter(pk=number.pk).delete()


def note_result(number: WhatsAppNumber, *, error: str = "", display_name: str = "") -> None:
    """What the last call to the Graph API said: an error (kept until a call succeeds)
    or success. Not an administrator's change: no audit row."""
    now = clock.now()
    if error:
        WhatsAppNumber.objects.filter(pk=number.pk).update(
            last_error=error[:2000], last_error_at=now
        )
        number.last_error, number.last_error_at = error[:2000], now
        return
    fields: dict[str, Any] = {"last_error": "", "last_ok_at": now}
    if display_name:
        fields["display_name"] = number.display_name = display_name[:200]
    WhatsAppNumber.objects.filter(pk=number.pk).update(**fields)
    number.last_error, number.last_ok_at = "", now


def webhook_url(number: WhatsAppNumber) -> str:
    """The callback URL to give Meta: the desk's public address."""
    path = reverse("messengers:whatsapp_webhook", args=[number.pk])
    return f"{settings.BASE_URL.rstrip('/')}{path}"


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str


def check_number(number: WhatsAppNumber, *, by: User) -> CheckResult:
    """Ask the Graph API for the number: is the token good, the server reachable? Shows
    its display name."""
    require_channel_admin(by)
    try:
        name = client.display_name(client.Endpoint.of(number))
    except Exception as exc:
        error = client.describe(exc, number.access_token)
        note_result(number, error=error)
        return CheckResult(False, error)
    note_result(number, display_name=name)
    return CheckResult(True, name or number.phone_number_id)


def clean_recipient(value: Any) -> str:
    """A WhatsApp id: the phone number in international form, digits only."""
    text = value.strip() if isinstance(value, str) else ""
    digits = text.lstrip("+").replace(" ", "").replace("-", "")
    if not re.fullmatch(r"[0-9]{6,15}", digits):
        raise ValidationFailed(
            errors.INVALID_RECIPIENT,
            _("Enter the phone number in international form, such as +15551234567."),
            field="to",
        )
    return digits


def send_test_message(number: WhatsAppNumber, *, by: User, to: Any, text: str = "") -> CheckResult:
    """Send a text to `to` now. WhatsApp delivers it only to a person who wrote to the
    number within 24 hours (or a test number's allowed recipients)."""
    require_channel_admin(by)
    recipient = clean_recipient(to)
    body = text.strip() if isinstance(text, str) else ""
    if len(body) > client.MAX_TEXT or any(not (ch.isprintable() or ch in "\n\t") for ch in body):
        raise ValidationFailed(errors.INVALID_TEXT, _("Enter a valid value."), field="text")
    body = body or _("A test message from the help desk.")
    try:
        client.send(client.Endpoint.of(number), recipient, [body], [])
    except Exception as exc:
        error = client.describe(exc, number.access_token)
        note_result(number, error=error)
        return CheckResult(False, error)
    note_result(number)
    return CheckResult(True, _("Sent."))


# --- Template replies ------------------------------------------------------------


def clean_params(value: Any) -> list[str]:
    """The template body's parameters, in order: a list (API) or lines (the page)."""
    if isinstance(value, str):
        value = [line.strip() for line in value.splitlines() if line.strip()]
    if value is None:
        value = []
    if not isinstance(value, list | tuple) or len(value) > MAX_PARAMS:
        raise ValidationFailed(
            errors.INVALID_TEMPLATE_PARAMS, _("Enter up to 20 parameters."), field="params"
        )
    params = []
    for item in value:
        text = item.strip() if isinstance(item, str) else ""
        if (
            not text
            or len(text) > MAX_PARAM
            or any(not ch.isprintable() for ch in text)
            or "    " in text
        ):
            raise ValidationFailed(
                errors.INVALID_TEMPLATE_PARAMS,
                _("Each parameter is one line of text, at most 1,024 characters."),
                field="params",
            )
        params.append(text)
    return params


def not_whatsapp() -> ValidationFailed:
    return ValidationFailed(
        errors.NOT_WHATSAPP, _("This ticket has no WhatsApp chat to send a template to.")
    )


def send_template_reply(
    ticket: Ticket, *, by: User, name: Any, language: Any, params: Sequence[str] | str = ()
) -> Message:
    """An agent's reply as one of the number's approved templates: stored as a public
    reply (the text says which template) and sent as a template message, inside or
    outside the 24-hour window. `ticket` is one the caller may see."""
    if not by.is_agent:
        raise Forbidden(ticket_errors.AGENTS_ONLY, _("Only agents may reply."))
    found = window.window_for(ticket)
    if found is None or found.number is None:
        raise not_whatsapp()
    if found.unreachable:
        raise ValidationFailed(
            errors.UNREACHABLE,
            _("The customer is unreachable on WhatsApp: %(reason)s")
            % {"reason": found.conversation.unreachable_reason},
        )
    template = name.strip() if isinstance(name, str) else ""
    if template not in found.templates:
        raise ValidationFailed(
            errors.UNKNOWN_TEMPLATE,
            _("Choose one of the number's approved templates."),
            field="name",
        )
    code = language.strip() if isinstance(language, str) else ""
    if not code or len(code) > 16 or not client.language_known(code):
        raise ValidationFailed(
            errors.INVALID_TEMPLATE_LANGUAGE,
            _("Enter the template's language code, such as en_US or ru."),
            field="language",
        )
    values = clean_params(params)
    body = _("WhatsApp template “%(name)s” (%(language)s)") % {"name": template, "language": code}
    if values:
        body = f"{body}: " + " | ".join(values)
    with transaction.atomic(), window.sending_template():
        message = add_message(ticket, by=by, body=body, channel=Channel.WHATSAPP)
        WhatsAppTemplateReply.objects.create(
            message=message, name=template, language=code, params=values
        )
    return message
