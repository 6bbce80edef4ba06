"""Mail that must not open tickets or get answers: auto-replies, bounces, loops, floods."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.cache import cache

from opora.core import ratelimit
from opora.inbox.email.parse import ParsedMail

_OOO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response)|out of (the )?office|abwesenheit|"
    r"автоответ|автоматический ответ|вне офиса|в отпуске|отсутствую|нет на месте|"
    r"undeliver|delivery status notification|mail delivery (failed|system)|returned mail|"
    r"недоставленное сообщение|не доставлено)",
    re.IGNORECASE,
)
_BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon)@", re.IGNORECASE)


def classify(mail: ParsedMail) -> str:
    """ "auto_reply", "bounce" or "" (a person wrote this)."""
    h = mail.headers
    if mail.content_type == "multipart/report" and mail.report_type in (
        "delivery-status",
        "disposition-notification",
    ):
        return "bounce"
    if "x-failed-recipients" in h or _BOUNCE_SENDERS.match(mail.from_address or ""):
        return "bounce"
    if not mail.from_address and mail.return_path == "":
        # An empty envelope sender (<>) marks delivery reports.
        pass
    auto = h.get("auto-submitted", "").strip().lower()
    if auto and auto != "no":
        return "auto_reply"
    if "x-autoreply" in h or "x-autorespond" in h or h.get("x-opora-loop"):
        return "auto_reply"
    if h.get("precedence", "").strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return "auto_reply"
    if "oof" in h.get("x-auto-response-suppress", "").lower() and _OOO_SUBJECT.match(mail.subject):
        return "auto_reply"
    if _OOO_SUBJECT.match(mail.subject):
        return "auto_reply"
    return ""


OWN_CACHE_KEY = "inbox:own-addresses"


def own_addresses() -> set[str]:
    """Opora's own addresses; cached briefly, as every message needs them."""
    from opora.inbox.email.models import Mailbox

    cached = cache.get(OWN_CACHE_KEY)
    if cached is not None:
        return set(cached)
    own = {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}
    own.add(settings.DEFAULT_FROM_EMAIL.lower())
    cache.set(OWN_CACHE_KEY, sorted(own), timeout=30)
    return own


def is_own(address: str, own: set[str]) -> bool:
    """Mail from one of Opora's own addresses (or their +token forms) would loop."""
    local, _, domain = address.lower().partition("@")
    return address.lower() in own or f"{local.split('+')[0]}@{domain}" in own


def within_rate_limit(address: str) -> bool:
    return ratelimit.hit(
        "email-sender",
        address.lower(),
        limit=settings.EMAIL_RATE_LIMIT_PER_HOUR,
        window_seconds=3600,
    )


def redact(address: str) -> str:
    """An address fit for logs: "d***@acme.test"."""
    local, at, domain = address.partition("@")
    return f"{local[:1]}***{at}{domain}" if at else "***"
