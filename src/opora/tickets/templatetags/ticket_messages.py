"""`{% with shown=m|shown_message %}`: a message's HTML with inline images, and its files."""

from __future__ import annotations

from django import template

from opora.tickets.display import ShownMessage
from opora.tickets.display import shown_message as _shown_message
from opora.tickets.models import Message

register = template.Library()


@register.filter
def shown_message(message: Message) -> ShownMessage:
    return _shown_message(message)
