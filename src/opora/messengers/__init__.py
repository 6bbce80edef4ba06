"""Messengers: Telegram now, VK and WhatsApp later (docs/channels.md).

The parts every messenger shares are in this package's top level: the conversation
record (`models.Conversation`: which chat of which bot a person and their ticket are
in, and whether they still can be reached), `conversations.py` (an arrived message
into the channel layer's `receive`, the answer bot first; a refusal that marks the
person unreachable) and `outbound.py` (what an adapter needs of a desk message: text in
pieces the provider takes, the files). Each messenger is a subpackage with its client,
its intake (webhook and polling) and its `Adapter`.
"""
