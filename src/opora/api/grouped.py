"""The usual ticket write of the API, answered in the event loop and committed in groups.

`POST /api/v1/tickets` and `POST /api/v1/tickets/{number}/messages` with a JSON body and
a bearer token are most of what integrations send. Through Django each one paid for the
pages' middleware, the thread hand-offs, django-ninja and a durable commit of its own:
~14 ms of the web process's CPU for a create whose action costs ~3 (bench/RESULTS.md,
"Long threads and write speed"). `opora serve` hands these requests to the handlers
here instead (`core/lean.py`, `LeanAsgi`): the body is read in the event loop, and one
writer thread per process (`GroupCommit`) takes every request waiting, then

- authenticates each token once per group with `accounts.tokens.authenticate`, the
  function the API's bearer check calls (revocation, expiry, scope, last use alike);
- reads each body with `api.common.read_json` and checks it with the view's own
  functions (`api.tickets.new_ticket_fields`, `tickets.opening.prepare_ticket`,
  `tickets.selectors.accessible_tickets`, `access_ticket` for a group);
- writes every accepted item in ONE transaction through the batch actions
  (`tickets.opening.create_tickets`, `tickets.replies.add_messages`), so the group
  costs one durable commit, and the after-commit reactions (routing, triage, complaint
  care, SLA, notifications, search) run once for the group with a list each;
- answers each request only after that commit, with the body, status and headers the
  view gives (`api.tickets.created_row`, `added_rows`, `answer_headers`).

Anything else is not decided here but replayed to Django, body and all, and answered
exactly as before: a request with a cookie or a multipart body, one whose language
(Accept-Language) is not the desk's default (the group writes in one), a body that does not
read, any refusal (a bad, revoked or expired token, an unknown team, a ticket the user
may not see, a closed ticket), an e-mail address as the requester (found or created in
the ticket's own transaction, as the view does). A refused item is left out of its
group before anything is written, so the others are written without it; when the
group's transaction fails as a whole, each item is written alone, and one that fails
alone is replayed (nothing of it was committed).
"""

from __future__ import annotations

import atexit
import logging
import queue
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import db
from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

from opora.accounts import tokens
from opora.accounts.models import User
from opora.accounts.selectors import users_by_id
from opora.api.common import read_json
from opora.api.rows import json_response
from opora.api.tickets import (
    MessageCreate,
    TicketCreate,
    added_rows,
    created_row,
    new_ticket_fields,
    reply_channel,
    requester_ids,
)
from opora.core import lean, security
from opora.core.errors import NotFound
from opora.core.html import presanitized
from opora.tickets.models import Message, Ticket
from opora.tickets.opening import PreparedTicket, create_tickets, prepare_ticket
from opora.tickets.replies import NewMessage, add_messages
from opora.tickets.selectors import accessible_tickets

logger = logging.getLogger("opora.api")

# The scope both operations need (the tickets router's writes: `api/main.py`).
SCOPE = tokens.TICKETS
PREFIX = "/api/v1/"
CONTENT_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Post:
    """A request as the event loop read it."""

    kind: str  # "create" or "reply"
    token: str
    number: int | None  # the ticket's, for a reply
    body: bytes
    language: str  # what Django's LocaleMiddleware would activate for it
    secure: bool


@dataclass
class _Create:
    post: Post
    user: User
    payload: TicketCreate
    prepared: PreparedTicket


@dataclass
class _Reply:
    post: Post
    user: User
    number: int
    new: NewMessage


_Plan = _Create | _Reply


# --- in the writer's thread ------------------------------------------------------------


def write(posts: list[Post]) -> list[lean.Answer | None]:
    """The answers of a group, in order; None: replay it to Django. Raises only when
    the group's transaction failed (nothing of it committed): `GroupCommit` then
    writes each post alone."""
    users: dict[str, User | None] = {}
    payloads = [_payload(post) for post in posts]
    # Teams, form checks, requesters and the tickets replied to, read once for the group.
    known: dict[Any, Any] = _requesters(payloads)
    known.update(_replied_to(posts, users))
    plans = [
        _plan(post, payload, users, known) for post, payload in zip(posts, payloads, strict=True)
    ]
    creates = [p for p in plans if isinstance(p, _Create)]
    replies = [p for p in plans if isinstance(p, _Reply)]
    if not creates and not replies:
        return [None] * len(posts)
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        opened = create_tickets([c.prepared for c in creates], savepoint=False)
        added = add_messages([r.new for r in replies], savepoint=False)
        reactions = REACTIONS.take()
    # Committed: from here on nothing may raise to `GroupCommit`, which would write the
    # group again.
    answers: dict[int, lean.Answer] = {}
    try:
        with translation.override(settings.LANGUAGE_CODE):
            for create, (ticket, _first) in zip(creates, opened, strict=True):
                answers[id(create)] = _created(create, ticket)
            rows = added_rows([_added(r, m) for r, m in zip(replies, added, strict=True)])
            for reply, row in zip(replies, rows, strict=True):
                answers[id(reply)] = _answer(reply.post, json_response(row, 201).content)
    except Exception:
        logger.exception("grouped API writes: committed, but the answers failed")
    REACTIONS.run(reactions)
    return [
        None
        if plan is None
        else answers.get(
            id(plan), lean.Answer(500, lean.error_body("server_error", "Server Error"))
        )
        for plan in plans
    ]


def _payload(post: Post) -> TicketCreate | MessageCreate | None:
    """The body as the view reads it; None when it does not read (the view says why)."""
    try:
        if post.kind == "create":
            return read_json(post.body, TicketCreate)
        return read_json(post.body, MessageCreate)
    except Exception:
        return None


def _requesters(payloads: list[TicketCreate | MessageCreate | None]) -> dict[Any, Any]:
    """The requesters the group's new tickets name by id, read in one statement, as
    `new_ticket_fields` looks them up in its `known` (None: no such user)."""
    ids = requester_ids(p for p in payloads if isinstance(p, TicketCreate))
    found = users_by_id(ids) if ids else {}
    return {("user", pk): found.get(pk) for pk in ids}


def _replied_to(posts: list[Post], users: dict[str, User | None]) -> dict[Any, Any]:
    """The tickets the group's replies go to, as each token's user may see them: one
    statement per user (`accessible_tickets`), kept as ("ticket", user id, number); a
    number missing from them is one the user may not see."""
    numbers: dict[str, set[int]] = {}
    for post in posts:
        if post.kind == "reply" and post.number is not None:
            numbers.setdefault(post.token, set()).add(post.number)
    known: dict[Any, Any] = {}
    for token, wanted in numbers.items():
        try:
            user = _user(token, users)
        except Exception:  # a token refused: its posts are replayed (`_plan`)
            user = None
        if user is not None:
            found = accessible_tickets(user, wanted)
            known.update({("ticket", user.pk, n): found.get(n) for n in wanted})
    return known


def _plan(
    post: Post,
    payload: TicketCreate | MessageCreate | None,
    users: dict[str, User | None],
    known: dict[Any, Any],
) -> _Plan | None:
    """The post checked as the view checks it; None for anything the view must answer
    (a refusal, or a case this path does not take)."""
    if payload is None:
        return None
    try:
        user = _user(post.token, users)
        if user is None:
            return None
        with translation.override(post.language):
            if isinstance(payload, TicketCreate):
                return _plan_create(post, payload, user, known)
            assert post.number is not None
            return _plan_reply(post, payload, user, known[("ticket", user.pk, post.number)])
    except Exception:  # refused or unreadable: the view says why, as it always did
        return None


def _user(token: str, users: dict[str, User | None]) -> User | None:
    """The token's user, one lookup per token per group; None refuses (the view then
    answers 401 or 403 as the API's bearer check does)."""
    if token not in users:
        try:
            users[token] = tokens.authenticate(token, needs=SCOPE)
        except (tokens.TokenExpired, tokens.TokenOutOfScope):
            users[token] = None
    return users[token]


def _plan_create(
    post: Post, payload: TicketCreate, user: User, known: dict[Any, Any]
) -> _Create | None:
    fields = new_ticket_fields(user, payload, known=known)
    requester = fields.pop("requester")
    if not isinstance(requester, User):
        return None  # an address: found or created in the ticket's transaction (the view)
    del fields["requester_name"]
    html = fields.pop("body_html")
    prepared = prepare_ticket(
        requester=requester, body_html=presanitized(html) if html else "", **fields
    )
    return _Create(post=post, user=user, payload=payload, prepared=prepared)


def _plan_reply(post: Post, payload: MessageCreate, user: User, ticket: Ticket | None) -> _Reply:
    if ticket is None:
        raise NotFound(_("ticket"))  # as `access_ticket`: the view answers 404
    new = NewMessage(
        ticket_id=ticket.pk,
        by=user,
        body=payload.body,
        body_html=payload.body_html,
        internal=payload.internal,
        channel=reply_channel(user),
    )
    return _Reply(post=post, user=user, number=ticket.number, new=new)


def _created(create: _Create, ticket: Ticket) -> lean.Answer:
    row = created_row(ticket, create.user, create.payload)
    return _answer(create.post, json_response(row, 201).content)


def _added(reply: _Reply, message: Message | None) -> tuple[Message, int, User]:
    assert message is not None  # refusals raise
    return message, reply.number, reply.user


def _answer(post: Post, body: bytes) -> lean.Answer:
    return lean.Answer(201, body, CONTENT_TYPE, answer_headers(post.language, post.secure))


def answer_headers(language: str, secure: bool) -> tuple[tuple[str, str], ...]:
    """The headers Django's middleware gives an API answer without a session
    (`settings.MIDDLEWARE`: security, the desk's security headers, locale, session,
    clickjacking)."""
    headers = [
        ("X-Frame-Options", settings.X_FRAME_OPTIONS),
        ("Vary", "Accept-Language, Cookie"),
        ("Content-Language", language),
        ("Content-Security-Policy", security.policy(secrets.token_urlsafe(16))),
        ("Permissions-Policy", security.PERMISSIONS_POLICY),
        ("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY or "same-origin"),
        ("X-Content-Type-Options", "nosniff"),
    ]
    if settings.SECURE_REFERRER_POLICY:
        headers.append(("Referrer-Policy", str(settings.SECURE_REFERRER_POLICY)))
    if settings.SECURE_COOKIES and secure:
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return tuple(headers)


class Reactions:
    """The after-commit reactions of a group (routing, triage, complaint care, SLA,
    notifications: `core.dispatch` subscribers, each in a transaction of its own), run
    by a thread of their own while the writer answers the group and writes the next
    one. Through Django they ran before the answer, in the request's thread; here the
    group's answers do not wait for them, and neither does the next group (about a
    third of a group's time in the writer, bench/RESULTS.md). On SQLite, which writes
    one transaction at a time, they run in the writer's thread, as before."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[list[tuple[Callable[[], None], bool]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pending = 0
        self._idle = threading.Condition(self._lock)

    def take(self) -> list[tuple[Callable[[], None], bool]]:
        """The reactions registered in the transaction under way, taken out of it: its
        commit runs none of them. Call last in the outermost atomic block."""
        conn = transaction.get_connection()
        hooks = [(func, robust) for _ids, func, robust in conn.run_on_commit]
        conn.run_on_commit = []
        return hooks

    def run(self, hooks: list[tuple[Callable[[], None], bool]]) -> None:
        """Run them, after the commit that registered them, as Django would have."""
        if not hooks:
            return
        if connection.vendor == "sqlite":
            _react(hooks)
            return
        with self._lock:
            self._pending += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="reactions", daemon=True)
                self._thread.start()
        self._queue.put(hooks)

    def wait(self, timeout: float = 30) -> bool:
        """Until every reaction handed over has run (tests; a clean stop)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def _loop(self) -> None:
        while True:
            try:
                hooks = self._queue.get(timeout=lean.GroupCommit.IDLE)
            except queue.Empty:
                db.connection.close()
                continue
            try:
                _react(hooks)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()


def _react(hooks: list[tuple[Callable[[], None], bool]]) -> None:
    """Each hook as Django's commit runs it: a robust one's failure is logged, and so,
    the change being committed and answered, is any other's."""
    with translation.override(settings.LANGUAGE_CODE):
        for func, robust in hooks:
            try:
                func()
            except Exception:
                logger.exception(
                    "grouped API writes: %s failed after commit%s",
                    getattr(func, "__qualname__", func),
                    "" if robust else " (not robust)",
                )
                if not robust:
                    db.connection.close()


REACTIONS = Reactions()
WRITER = lean.GroupCommit(write, limit=100)
# A server that stops cleanly (SIGTERM: uvicorn finishes its requests, then the process
# exits) first lets the reactions of groups already answered run: their thread is a
# daemon, and would otherwise die with routing or triage not yet done.
atexit.register(REACTIONS.wait, 30)


# --- in the event loop -----------------------------------------------------------------


class _Handler(lean.AsyncHandler):
    kind = ""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 5 * 1024 * 1024

    def takes(self, headers: dict[str, str]) -> bool:
        """The usual case only: a bearer token, no cookie (a session is Django's to
        read), a JSON body of a stated length within Django's limit."""
        if "cookie" in headers or settings.SECURE_SSL_REDIRECT:
            return False
        if headers.get("content-type", "").lower().startswith("multipart/"):
            return False
        length = headers.get("content-length", "")
        if not length.isdecimal() or int(length) > self.limit:
            return False
        return _token(headers) is not None

    async def answer(
        self, kwargs: dict[str, Any], headers: dict[str, str], body: bytes
    ) -> lean.Answer | None:
        token = _token(headers)
        assert token is not None  # `takes` saw it
        language = _language(headers)
        if language != settings.LANGUAGE_CODE:
            # The group writes in the desk's language; a request in another one is
            # Django's, whose action runs in that language as it always did.
            return None
        post = Post(
            kind=self.kind,
            token=token,
            number=kwargs.get("number"),
            body=body,
            language=language,
            secure=headers.get("x-forwarded-proto", "") == "https",
        )
        try:
            answer: lean.Answer | None = await WRITER.submit(post)
        except Exception:  # written alone and failed: nothing committed, Django answers
            logger.warning("grouped API write failed alone: replayed", exc_info=True)
            return None
        return answer

    def too_large(self) -> lean.Answer:  # never: `takes` leaves such bodies to Django
        return lean.Answer(
            413, lean.error_body("request_too_large", "The request body is too large.")
        )


class CreateHandler(_Handler):
    kind = "create"


class ReplyHandler(_Handler):
    kind = "reply"


def _token(headers: dict[str, str]) -> str | None:
    """The bearer token as the API's check reads it (django-ninja's `HttpBearer`)."""
    parts = headers.get("authorization", "").split(" ")
    if parts[0].lower() != "bearer":
        return None
    return " ".join(parts[1:]).strip()


def _language(headers: dict[str, str]) -> str:
    """The language Django's LocaleMiddleware activates for a request without cookies."""
    request = HttpRequest()
    request.path = request.path_info = PREFIX
    if "accept-language" in headers:
        request.META["HTTP_ACCEPT_LANGUAGE"] = headers["accept-language"]
    return translation.get_language_from_request(request)


def create_view(*args: Any, **kwargs: Any) -> HttpResponse:
    """A marker the lean URLconf routes to; the handler answers (`register_async`), or
    Django's own view when it leaves the request."""
    raise NotImplementedError


def reply_view(*args: Any, **kwargs: Any) -> HttpResponse:
    """As `create_view`, for replies."""
    raise NotImplementedError


def install() -> None:
    """Route the two operations through the event loop (`opora serve`; asgi.py)."""
    lean.register_async(create_view, CreateHandler())
    lean.register_async(reply_view, ReplyHandler())
    lean.register_async_only(PREFIX, "opora.api.grouped_urls")
