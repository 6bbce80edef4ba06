"""IMAP polling: fetch new mail from a mailbox into the pipeline, crash-safely.

Order matters: the raw bytes are stored and committed first, only then is the message
flagged (or moved) on the server. A crash in between means the message is fetched
again next time, and the (Message-ID, SHA-256) deduplication recognises it: nothing is
lost and nothing is doubled.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from opora.inbox.email.models import PASSWORD_ENV_PATTERN, Mailbox, RawMessage, RawState
from opora.inbox.email.pipeline import BATCH_SIZE, process_many, receive_many

logger = logging.getLogger("opora.inbox.email")
# Messages fetched, stored and processed together (whole messages are held in memory).
BATCH = 50
DONE_KEYWORD = "$OporaFetched"


def mailbox_password(mailbox: Mailbox) -> str:
    """The IMAP password from the environment, or from a file in the secret directory."""
    name = mailbox.password_env
    if not name:
        raise ImproperlyConfigured(f"mailbox {mailbox.address} has no password_env")
    if not re.fullmatch(PASSWORD_ENV_PATTERN, name):
        # Rows written before names were checked: never follow a path out of the directory.
        raise ImproperlyConfigured(f"mailbox {mailbox.address}: password_env must be a name")
    if settings.MAILBOX_SECRET_DIR:
        path = Path(settings.MAILBOX_SECRET_DIR) / name
        if path.is_file():
            return path.read_text().strip()
    value = os.environ.get(name)
    if value is None:
        raise ImproperlyConfigured(
            f"mailbox {mailbox.address}: set {name} or put a file {name} in the secret directory"
        )
    return value


def fetch_mailbox(
    mailbox: Mailbox,
    *,
    process_now: bool = True,
    limit: int | None = None,
    on_message: Callable[[RawMessage, bool], None] | None = None,
) -> tuple[int, int]:
    """Fetch unseen mail; returns (new, duplicates)."""
    from opora.core.tasks import enqueue_after_commit
    from opora.inbox.email.tasks import process_raw_messages_task

    context = ssl.create_default_context() if mailbox.imap_tls else None
    new = duplicates = 0
    with IMAPClient(
        mailbox.imap_host,
        port=mailbox.imap_port,
        ssl=mailbox.imap_tls,
        ssl_context=context,
        timeout=60,
    ) as client:
        client.login(mailbox.imap_user or mailbox.address, mailbox_password(mailbox))
        client.select_folder(mailbox.imap_folder)
        if mailbox.imap_done_folder and not client.folder_exists(mailbox.imap_done_folder):
            client.create_folder(mailbox.imap_done_folder)
        # Our own keyword, not \Seen: a person reading the mailbox must not hide mail.
        uids = sorted(client.search(["UNKEYWORD", DONE_KEYWORD, "NOT", "DELETED"]))
        if limit is not None:
            uids = uids[:limit]
        for start in range(0, len(uids), BATCH):
            chunk = uids[start : start + BATCH]
            # BODY.PEEK leaves \Seen alone until the message is safely stored.
            fetched = client.fetch(chunk, ["BODY.PEEK[]"])
            got = [(uid, fetched.get(uid, {}).get(b"BODY[]")) for uid in chunk]
            present = [(uid, data) for uid, data in got if isinstance(data, bytes)]
            if not present:
                continue
            # One multi-row insert for the chunk, committed before any flag is set.
            stored = receive_many([data for _, data in present], mailbox=mailbox, source="imap")
            done = [uid for uid, _ in present]
            client.add_flags(done, [b"\\Seen", DONE_KEYWORD.encode()])
            if mailbox.imap_done_folder:
                client.move(done, mailbox.imap_done_folder)
            new += sum(1 for _, created in stored if created)
            duplicates += sum(1 for _, created in stored if not created)
            waiting = [row.pk for row, _ in stored if row.state == RawState.RECEIVED]
            processed: dict[int, RawMessage] = {}
            if waiting and process_now:
                processed = {row.pk: row for row in process_many(waiting)}
            elif waiting:
                enqueue_after_commit(process_raw_messages_task, waiting)
            if on_message is not None:
                for row, created in stored:
                    on_message(processed.get(row.pk, row), created)
    logger.info("mailbox %s: %s new, %s already stored", mailbox.pk, new, duplicates)
    return new, duplicates


def process_pending(limit: int = 10000) -> int:
    """Process messages stored but not processed (a crash between the two steps)."""
    ids = list(
        RawMessage.objects.filter(state=RawState.RECEIVED)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for start in range(0, len(ids), BATCH_SIZE):
        process_many(ids[start : start + BATCH_SIZE])
    return len(ids)


# "Test connection" must answer while the admin waits: a dead host fails in seconds.
CHECK_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    # What the server said (its SELECT answer), or what went wrong, in words.
    message: str
    messages: int | None = None  # mail in the folder, when it could be opened


def check_connection(mailbox: Mailbox) -> ConnectionCheck:
    """Log in to the mailbox's IMAP server and open its folder, changing nothing.

    Every failure becomes a sentence for the admin (the server's own words where it
    gave some); the password itself never appears in the answer."""
    if not mailbox.imap_host:
        return ConnectionCheck(False, _("This mailbox is not fetched over IMAP: no host is set."))
    try:
        password = mailbox_password(mailbox)
    except ImproperlyConfigured:
        return ConnectionCheck(
            False,
            _(
                "The password is not where password_env says: set the variable %(name)s or "
                "put a file of that name in OPORA_MAILBOX_SECRET_DIR."
            )
            % {"name": mailbox.password_env or "—"},
        )
    context = ssl.create_default_context() if mailbox.imap_tls else None
    step = _("connect to %(host)s:%(port)s") % {
        "host": mailbox.imap_host,
        "port": mailbox.imap_port,
    }
    try:
        with IMAPClient(
            mailbox.imap_host,
            port=mailbox.imap_port,
            ssl=mailbox.imap_tls,
            ssl_context=context,
            timeout=CHECK_TIMEOUT_SECONDS,
        ) as client:
            step = _("log in as %(user)s") % {"user": mailbox.imap_user or mailbox.address}
            client.login(mailbox.imap_user or mailbox.address, password)
            step = _("open the folder %(folder)s") % {"folder": mailbox.imap_folder}
            selected = client.select_folder(mailbox.imap_folder, readonly=True)
            count = int(selected.get(b"EXISTS", 0))
            client.logout()
    except (IMAPClientError, OSError, ssl.SSLError) as exc:
        detail = _words(exc)
        return ConnectionCheck(
            False, _("Could not %(step)s: %(detail)s") % {"step": step, "detail": detail}
        )
    return ConnectionCheck(
        True,
        _("Connected, logged in and opened %(folder)s: %(count)s messages.")
        % {"folder": mailbox.imap_folder, "count": count},
        messages=count,
    )


def _words(exc: BaseException) -> str:
    """An exception as the server's answer or the system's reason, without a traceback."""
    if isinstance(exc, TimeoutError | socket.timeout):
        return _("no answer within %(seconds)s seconds") % {"seconds": CHECK_TIMEOUT_SECONDS}
    if isinstance(exc, ConnectionRefusedError):
        return _("the server refused the connection")
    if isinstance(exc, socket.gaierror):
        return _("the host name is unknown")
    text = str(exc)
    if text.startswith(("b'", 'b"')):
        text = text[2:-1]
    return (text or type(exc).__name__)[:300]
