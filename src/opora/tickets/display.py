"""A message as a reader sees it: its HTML with inline images resolved, and its files.

An e-mail's HTML refers to its inline images as `cid:<Content-ID>`; on the page they
must point at the attachment's permission-checked download address. An attachment the
HTML shows is not listed again as a file; one it does not show (a Content-ID nobody
refers to, a quote that was cut off) stays in the list, so nothing is hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from opora.core.html import resolve_cid_urls
from opora.tickets.models import Attachment, Message


@dataclass(frozen=True)
class ShownMessage:
    html: SafeString
    files: list[Attachment]  # listed under the message
    inline: list[Attachment]  # shown inside the HTML


def shown_message(message: Message) -> ShownMessage:
    """Uses the prefetched attachments; no query when they are prefetched."""
    attachments = list(message.attachments.all())
    markup = message.body_html
    by_cid = {a.content_id: a for a in attachments if a.content_id}
    if not by_cid or "cid:" not in markup.lower():
        # body_html was sanitized when it was stored.
        return ShownMessage(html=mark_safe(markup), files=attachments, inline=[])  # noqa: S308
    urls = {cid: reverse("attachment", args=[a.pk]) for cid, a in by_cid.items()}
    resolved, used = resolve_cid_urls(markup, urls)
    inline = [a for a in attachments if a.content_id in used]
    return ShownMessage(
        html=mark_safe(resolved),  # noqa: S308 - sanitized again by resolve_cid_urls
        files=[a for a in attachments if a.content_id not in used],
        inline=inline,
    )
