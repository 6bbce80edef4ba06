"""Messenger accounts of the desk and the conversations held through them.

A bot's token is stored (the desk must present it on every call) but never shown or
returned after it is saved; its webhook secret is generated here and only sent to the
provider, which presents it on every webhook call.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import Language, Team
from opora.tickets.models import Message, Ticket

TELEGRAM_API = "https://api.telegram.org"


def new_webhook_secret() -> str:
    # Telegram takes 1-256 characters of A-Z, a-z, 0-9, "_" and "-".
    return secrets.token_urlsafe(32)


class BotMode(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook (the desk has a public address)")
    POLLING = "polling", _("Polling (no public address needed)")


class TelegramBot(models.Model):
    """One Telegram bot the desk answers through."""

    name = models.CharField(_("name"), max_length=120)
    token = models.CharField(max_length=200)
    webhook_secret = models.CharField(max_length=256, default=new_webhook_secret)
    mode = models.CharField(
        _("mode"), max_length=16, choices=BotMode.choices, default=BotMode.WEBHOOK
    )
    api_base = models.CharField(_("Bot API server"), max_length=500, default=TELEGRAM_API)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="telegram_bots",
    )
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.EN
    )
    active = models.BooleanField(_("active"), default=True)
    # What getMe said last: shown beside the name, so admins know which bot this is.
    username = models.CharField(max_length=64, blank=True)
    # Polling: the next update_id to ask getUpdates for.
    update_offset = models.BigIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class TelegramUpdate(models.Model):
    """An update already taken in: Telegram retries a webhook it thinks failed, and a
    polling run may overlap another, so each update_id of a bot is handled once."""

    bot = models.ForeignKey(TelegramBot, on_delete=models.CASCADE, related_name="+")
    update_id = models.BigIntegerField()
    # The update as it arrived, kept until the intake's drain takes it in (`drain.py`).
    payload = models.JSONField(default=dict)
    # What became of it: "message", "start", "ignored", "failed"; "duplicate" is never
    # stored. Empty while it waits.
    outcome = models.CharField(max_length=16, blank=True)
    # Why it failed, when it did (the drain tries it again, three times at most).
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Which drain lane takes it: from the person who wrote (`drain.shard_of`), so one
    # person's updates always go through the same lane, in order.
    shard = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    # A drain took it (set while it works on it); handled: taken in, or given up.
    claimed_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bot", "update_id"], name="telegram_update_once")
        ]
        indexes = [
            models.Index(
                fields=["id"],
                name="telegram_update_waiting",
                condition=models.Q(handled_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.bot_id}:{self.update_id}"


class Conversation(models.Model):
    """A person's chat with one of the desk's messenger accounts: where the desk's
    replies on their ticket go, and whether the person can still be reached there."""

    channel = models.CharField(max_length=16)  # a tickets.Channel value
    account_id = models.BigIntegerField()  # the channel's account row (a TelegramBot id)
    chat_id = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    language = models.CharField(max_length=8, blank=True)
    # The person blocked the bot (or left): nothing more is sent until they write again.
    unreachable_at = models.DateTimeField(null=True, blank=True)
    unreachable_reason = models.CharField(max_length=500, blank=True)
    # When the person last wrote: WhatsApp lets the desk answer in free text only within
    # 24 hours of it (messengers/whatsapp/window.py).
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "account_id", "chat_id"], name="messenger_chat_once"
            )
        ]
        indexes = [models.Index(fields=["ticket"], name="messenger_chat_ticket")]

    def __str__(self) -> str:
        return f"{self.channel}:{self.account_id}:{self.chat_id}"


VK_API = "https://api.vk.com"
VK_API_VERSION = "5.199"


class VkCommunity(models.Model):
    """One VK community (group) the desk answers through: its private messages and
    the comments under its wall posts, taken in by the Callback API.

    The access token and the secret key are stored (the desk presents the token on
    every call and checks the key on every event) but never shown or returned after
    they are saved; the confirmation string is what VK asks the address to answer
    once, when it is connected."""

    name = models.CharField(_("name"), max_length=120)
    group_id = models.PositiveBigIntegerField(_("community id"), unique=True)
    token = models.CharField(max_length=512)
    confirmation = models.CharField(_("confirmation string"), max_length=64, blank=True)
    secret_key = models.CharField(max_length=50)
    api_base = models.CharField(_("VK API server"), max_length=500, default=VK_API)
    api_version = models.CharField(_("API version"), max_length=16, default=VK_API_VERSION)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="vk_communities",
    )
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.RU
    )
    active = models.BooleanField(_("active"), default=True)
    # What groups.getById said last: the community's own name on VK.
    vk_name = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class VkEvent(models.Model):
    """A Callback API event, kept from its arrival until it is handled: VK sends an
    event again when the desk's "ok" is late, so each event_id is taken in once, and
    the work (fetching files, asking VK who wrote) runs in a job after the answer."""

    community = models.ForeignKey(VkCommunity, on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    # What became of it: "message", "comment", "denied", "allowed", "ignored", "failed".
    outcome = models.CharField(max_length=16, blank=True)
    error = models.TextField(blank=True)  # why it failed, when it did
    attempts = models.PositiveSmallIntegerField(default=0)
    shard = models.PositiveSmallIntegerField(default=0)  # its drain lane's (as above)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)  # a drain works on it
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "event_id"], name="vk_event_once")
        ]
        indexes = [
            models.Index(
                fields=["id"], name="vk_event_waiting", condition=models.Q(handled_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.community_id}:{self.event_id}"


class IntakeDrain(models.Model):
    """The drain job of one lane of a messenger's stored updates (`drain.py`): whether
    one is queued (a webhook queues it only when none is) and whether one runs (one
    at a time per lane, so a person's messages go in in order)."""

    name = models.CharField(max_length=32, primary_key=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    running_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


# --- WhatsApp -----------------------------------------------------------------------

GRAPH_API = "https://graph.facebook.com"
GRAPH_API_VERSION = "21.0"


class WhatsAppNumber(models.Model):
    """One WhatsApp Business phone number of the desk (Cloud API).

    The access token and the app secret are stored (every call needs the token, every
    webhook is checked with the secret) but never shown or returned once saved; the
    verify token is not a secret of the account, only the word Meta repeats when the
    webhook is subscribed, so the page shows it for copying."""

    name = models.CharField(_("name"), max_length=120)
    phone_number_id = models.CharField(_("phone number id"), max_length=32)
    business_account_id = models.CharField(_("business account id"), max_length=32, blank=True)
    access_token = models.CharField(max_length=1000)
    app_secret = models.CharField(max_length=200)
    verify_token = models.CharField(max_length=128, default=new_webhook_secret)
    api_base = models.CharField(_("Graph API server"), max_length=500, default=GRAPH_API)
    api_version = models.CharField(_("Graph API version"), max_length=16, default=GRAPH_API_VERSION)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="whatsapp_numbers",
    )
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.EN
    )
    # The message templates Meta approved for this number, offered to agents when the
    # 24-hour window is closed.
    templates = models.JSONField(default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # What the Graph API said the number is called, last time it was asked.
    display_name = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["phone_number_id"], name="whatsapp_number_once")
        ]

    def __str__(self) -> str:
        return self.name


class WhatsAppInbound(models.Model):
    """A person's message or a status of the desk's message, as the webhook stored it
    for the drain (`whatsapp/intake.py`): Meta retries a webhook it thinks failed, so
    each message id of a number (and each status of a message) is kept once."""

    number = models.ForeignKey(WhatsAppNumber, on_delete=models.CASCADE, related_name="+")
    wamid = models.CharField(max_length=200)
    # MESSAGE for a person's message; "status:<state>" for what became of the desk's
    # message `wamid` (a status Meta sends twice is kept once).
    kind = models.CharField(max_length=40, default="message")
    # The message or status as it arrived, with the sender's profile name (`name`).
    payload = models.JSONField(default=dict)
    # What became of it: "message", "status", "ignored", "failed". Empty while it waits.
    outcome = models.CharField(max_length=16, blank=True)
    error = models.TextField(blank=True)  # why it failed, when it did
    attempts = models.PositiveSmallIntegerField(default=0)
    shard = models.PositiveSmallIntegerField(default=0)  # its drain lane's (`drain.py`)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)  # a drain works on it
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["number", "wamid", "kind"], name="whatsapp_inbound_once_per_kind"
            )
        ]
        indexes = [
            models.Index(
                fields=["id"],
                name="whatsapp_inbound_waiting",
                condition=models.Q(handled_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.wamid


class WhatsAppSent(models.Model):
    """A message the desk sent, by WhatsApp's id: its later statuses (delivered, read,
    failed) find the delivery they report on through it."""

    number = models.ForeignKey(WhatsAppNumber, on_delete=models.CASCADE, related_name="+")
    wamid = models.CharField(max_length=200)
    delivery_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, default="sent")
    error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["wamid"], name="whatsapp_sent_once")]

    def __str__(self) -> str:
        return self.wamid


class WhatsAppTemplateReply(models.Model):
    """An agent's reply sent as an approved template (outside the 24-hour window):
    the adapter sends the template, not the message's text."""

    message = models.OneToOneField(
        Message, on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    name = models.CharField(max_length=512)
    language = models.CharField(max_length=16)
    params = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"
