# Russian text is intended here: Cyrillic letters that look like Latin ones are not typos.
# ruff: noqa: RUF001
"""Messenger channels under load: Telegram, VK and WhatsApp messages into tickets,
replies out.

    .venv/bin/python bench/messengers.py                    # 2,000 updates per format
    .venv/bin/python bench/messengers.py -n 300             # a small run
    .venv/bin/python bench/messengers.py --workers 1 --web-workers 1

Set-up (in `opora shell`, through the actions): an admin, an agent with an API token, a
team, a Telegram bot in webhook mode, a VK community and a WhatsApp number, all pointed
at the tests' local provider servers (tests/messengers/telegram_server.py, vk_server.py,
whatsapp_server.py), which run in this process. The answer bot stays off (its
default), so what is measured is the intake and the outbox, not article search.
PostgreSQL comes from scripts/with-postgres with production durability
(OPORA_PG_DURABLE=1, the benchmarks' default); the server is `opora serve
--no-worker --workers W` on 127.0.0.1 and the jobs run in `--workers` `opora worker`
processes.

Four phases, each bounded by `--max-seconds`:

1. Telegram: N distinct updates from many people (about 70 % new conversations, 30 %
   follow-ups from someone who wrote earlier and whose ticket is open; a share with a
   photo, which the desk fetches through getFile from the local Bot API server) posted
   at concurrency 8 to `/channels/telegram/<bot>/webhook` with the bot's secret. The
   webhook stores the update and answers; a worker's drain job takes it in.
2. VK: the same mix as Callback API `message_new` events to `/channels/vk/<id>/callback`
   (photos fetched from the local server's /files/). The callback stores the event and
   answers "ok"; a worker's drain job takes it in.
3. WhatsApp: the same mix, one message per Cloud API notification (photos as image
   messages whose media the desk fetches from the local Graph API server), each body
   signed with the app secret (X-Hub-Signature-256), to
   `/channels/whatsapp/<id>/webhook`. The webhook stores it and answers; a worker's
   drain job takes it in.
4. Replies: N agents' public replies (POST /api/v1/tickets/{n}/messages) spread over the
   Telegram and VK tickets; the outbox's jobs deliver them to the local servers.

The phases start once every worker has sent its first heartbeat and has gone idle
(their start-up, and the VK client library each imports in a thread as it starts, are
not counted in the first phase's CPU).

Measured: accepted/s at the endpoint and its latency; end-to-end messages/s, from the
first post until every update is a message on a ticket (read from the database), with
each message's latency (post sent → message stored); delivered/s from the first reply
posted until every reply is sent, with each reply's latency (posted → sent); CPU
milliseconds per message of the server, the workers and PostgreSQL; the load average
before and after. The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from tests.messengers.telegram_server import TOKEN as TG_TOKEN
from tests.messengers.telegram_server import TelegramServer
from tests.messengers.vk_server import GROUP_ID, VkServer
from tests.messengers.vk_server import SECRET as VK_SECRET
from tests.messengers.vk_server import TOKEN as VK_TOKEN
from tests.messengers.whatsapp_server import ACCESS_TOKEN as WA_TOKEN
from tests.messengers.whatsapp_server import PHONE_NUMBER_ID, WhatsAppServer
from tests.messengers.whatsapp_server import VERSION as WA_VERSION

from bench.chat import postmaster_pid, tree_cpu
from bench.common import ROOT, base_env, machine, opora, postgres, serve_process
from bench.workload import Client, HTTPError, percentile

SETUP = """
import json
from opora.accounts.actions import create_team, create_user, issue_api_token
from opora.core.models import WorkerHeartbeat
from opora.inbox.models import Delivery
from opora.messengers.actions import create_bot
from opora.messengers.vk.actions import create_community
from opora.messengers.whatsapp.actions import create_number
from opora.tickets.models import Message, Ticket
admin = create_user(email="admin@bench.test", name="Admin", role="admin", by=None)
agent = create_user(email="agent@bench.test", name="Agent", role="agent", support_line=1,
                    by=admin)
team = create_team(name="Messengers", by=admin, members=[agent.pk])
bot = create_bot(by=admin, values={{"name": "Bench bot", "token": {tg_token!r},
                 "api_base": {tg_url!r}, "team": team.pk, "mode": "webhook"}})
vk = create_community(by=admin, values={{"name": "Bench VK", "group_id": {group_id},
                      "token": {vk_token!r}, "secret_key": {vk_secret!r},
                      "api_base": {vk_url!r}, "team": team.pk}})
wa = create_number(by=admin, values={{"name": "Bench WhatsApp",
                   "phone_number_id": {wa_phone!r}, "access_token": {wa_token!r},
                   "app_secret": {wa_secret!r}, "api_base": {wa_url!r},
                   "api_version": {wa_version!r}, "team": team.pk}})
print(json.dumps({{
    "bot": bot.pk, "secret": bot.webhook_secret, "vk": vk.pk, "whatsapp": wa.pk,
    "token": issue_api_token(agent, name="bench")[1],
    "tables": {{"message": Message._meta.db_table, "ticket": Ticket._meta.db_table,
               "delivery": Delivery._meta.db_table,
               "heartbeat": WorkerHeartbeat._meta.db_table}},
}}))
"""


def png(width: int = 320, height: int = 240) -> bytes:
    """A small real PNG image (a photo's stand-in): the desk stores its bytes."""
    rows = b"".join(
        b"\0" + bytes((x * 7 + y * 3) % 256 for x in range(width * 3)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# --- what the people write -------------------------------------------------------------

TEXTS = (
    "Hello! The order has not arrived yet, could you check where it is?",
    "Здравствуйте! Не могу войти в личный кабинет, пишет «неверный пароль».",
    "The app crashes when I open the invoice, here is what I see.",
    "Добрый день, подскажите, как сменить тариф?",
)
FOLLOW_UPS = ("One more thing: it happens on the phone too.", "Спасибо, жду ответа.")


def plan(n: int, *, follow_ups: float, photos: float, seed: int) -> list[tuple[int, str, bool]]:
    """(sender, text, with a photo) for N messages: new people, and follow-ups from
    someone who wrote at least 50 messages earlier (their ticket is open by then)."""
    rng = random.Random(seed)
    out: list[tuple[int, str, bool]] = []
    for i in range(n):
        if i >= 50 and rng.random() < follow_ups:
            sender = out[rng.randrange(i - 49)][0]
            text = rng.choice(FOLLOW_UPS)
        else:
            sender = 10_000 + i
            text = rng.choice(TEXTS)
        out.append((sender, text, rng.random() < photos))
    return out


def telegram_updates(mix: list[tuple[int, str, bool]]) -> list[tuple[str, dict[str, Any]]]:
    """(the message's external id at the desk, the Update as Telegram posts it)."""
    out = []
    for i, (sender, text, photo) in enumerate(mix):
        message: dict[str, Any] = {
            "message_id": 1 + i,
            "date": int(time.time()),
            "chat": {"id": sender, "type": "private", "first_name": "Ivan"},
            "from": {
                "id": sender,
                "is_bot": False,
                "first_name": "Ivan",
                "last_name": f"P{sender}",
                "language_code": "ru" if i % 2 else "en",
            },
        }
        if photo:
            size = {
                "file_id": "bench-photo",
                "file_unique_id": f"u{i}",
                "width": 320,
                "height": 240,
                "file_size": len(PHOTO),
            }
            message |= {"photo": [size], "caption": text}
        else:
            message["text"] = text
        out.append((f"telegram:{{bot}}:{sender}:{1 + i}", {"update_id": 1 + i, "message": message}))
    return out


def vk_events(mix: list[tuple[int, str, bool]], files_url: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for i, (sender, text, photo) in enumerate(mix):
        attachments = []
        if photo:
            sizes = [{"type": "x", "url": f"{files_url}/photo.png", "width": 320, "height": 240}]
            attachments = [
                {"type": "photo", "photo": {"id": i, "owner_id": sender, "sizes": sizes}}
            ]
        message = {
            "date": int(time.time()),
            "from_id": sender,
            "id": 1 + i,
            "out": 0,
            "peer_id": sender,
            "text": text,
            "conversation_message_id": 1 + i,
            "attachments": attachments,
        }
        event = {
            "type": "message_new",
            "event_id": f"bench{i:010d}",
            "v": "5.199",
            "object": {"message": message, "client_info": {}},
            "group_id": GROUP_ID,
            "secret": VK_SECRET,
        }
        out.append((f"vk:{GROUP_ID}:m:{1 + i}", event))
    return out


def whatsapp_bodies(mix: list[tuple[int, str, bool]]) -> list[tuple[str, bytes]]:
    """(the message's external id at the desk, the notification's body)."""
    out = []
    for i, (sender, text, photo) in enumerate(mix):
        wamid = f"wamid.BENCH{i:010d}"
        message: dict[str, Any] = {
            "from": str(sender),
            "id": wamid,
            "timestamp": str(int(time.time())),
        }
        if photo:
            message |= {
                "type": "image",
                "image": {"id": "bench-photo", "mime_type": "image/png", "caption": text},
            }
        else:
            message |= {"type": "text", "text": {"body": text}}
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550100000", "phone_number_id": PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": f"Ivan P{sender}"}, "wa_id": str(sender)}],
            "messages": [message],
        }
        body = {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}],
        }
        out.append((f"whatsapp:{wamid}", json.dumps(body).encode()))
    return out


def whatsapp_signature(body: bytes) -> dict[str, str]:
    """The header Meta signs a body with (HMAC-SHA256 with the app secret)."""
    digest = hmac.new(WA_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}"}


WA_SECRET = "bench-app-secret-0123456789"
PHOTO = png()


# --- the processes --------------------------------------------------------------------


@contextmanager
def workers(env: dict[str, str], count: int, log: Path) -> Iterator[list[int]]:
    """`opora worker` processes (idle poll every 0.2 s); yields their ids."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "opora", "worker", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        for _ in range(count)
    ]
    try:
        yield [p.pid for p in procs]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)


class Cpu:
    """CPU seconds of the server, the workers, PostgreSQL and the benchmark's own
    process (the client and the local provider servers) over a phase."""

    def __init__(self, server: int, worker_pids: list[int], db: int | None) -> None:
        self.pids = {"server": [server], "workers": worker_pids, "postgres": [db] if db else []}
        self.start = self._now()

    def _now(self) -> dict[str, float]:
        found = {k: sum(tree_cpu(p) for p in pids) for k, pids in self.pids.items()}
        # This process: the client posting, and the local provider servers' threads.
        found["client"] = time.process_time()
        return found

    def per(self, count: int) -> dict[str, float]:
        now = self._now()
        return {f"{k}_ms": round(1000 * (now[k] - self.start[k]) / max(1, count), 2) for k in now}


# --- the client -----------------------------------------------------------------------


def _ms(values: list[float]) -> dict[str, float]:
    ms = sorted(v * 1000 for v in values)
    return {f"p{p}_ms": round(percentile(ms, p), 1) for p in (50, 95, 99)} | {
        "max_ms": round(ms[-1], 1) if ms else 0.0
    }


async def post_all(
    base: str, items: list[Any], send: Callable[[Client, Any], Awaitable[bool]], *,
    headers: dict[str, str], concurrency: int, deadline: float,
) -> dict[str, Any]:  # fmt: skip
    """Post every item at `concurrency`; accepted/s and the answers' latency."""
    latencies: list[float] = []
    errors = 0
    queue = iter(items)
    clients = [Client(base, headers) for _ in range(concurrency)]

    async def worker(client: Client) -> None:
        nonlocal errors
        for item in queue:
            if time.monotonic() > deadline:
                return
            started = time.perf_counter()
            try:
                accepted = await send(client, item)
            except HTTPError:
                accepted = False
            if accepted:
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker(c) for c in clients))
    finally:
        for c in clients:
            await c.close()
    elapsed = time.perf_counter() - started
    return {
        "posted": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 2),
        "accepted_per_second": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        **_ms(latencies),
    }


def wait_rows(db: psycopg.Connection[Any], sql: str, args: tuple[Any, ...], want: int,
              deadline: float) -> list[tuple[Any, ...]]:  # fmt: skip
    """Poll until the query returns `want` rows (or the deadline passes); the rows."""
    while True:
        rows = db.execute(sql, args).fetchall()
        if len(rows) >= want or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def inbound_phase(
    name: str, base: str, path: str, items: list[tuple[str, Any]],
    headers: dict[str, str], db: psycopg.Connection[Any], tables: dict[str, str],
    args: argparse.Namespace, cpu: Cpu,
    sign: Callable[[bytes], dict[str, str]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """`items`: (external id, JSON or bytes); `sign`: a body's own headers."""
    sent_at: dict[str, float] = {}

    async def send(client: Client, item: tuple[str, Any]) -> bool:
        external_id, payload = item
        sent_at[external_id] = time.time()
        own = sign(payload) if sign is not None else None
        answer = await client.post(path, json=payload, headers=own)
        return answer.status_code == 200

    deadline = time.monotonic() + args.max_seconds
    first = time.time()
    result = asyncio.run(
        post_all(
            base, items, send, headers=headers, concurrency=args.concurrency, deadline=deadline
        )
    )
    progress(f"{name}: {result['posted']} accepted at {result['accepted_per_second']}/s")
    wanted = [external_id for external_id, _ in items]
    rows = wait_rows(
        db,
        f"SELECT external_id, extract(epoch FROM created_at)::float8 FROM {tables['message']} "
        "WHERE external_id = ANY(%s)",
        (wanted,),
        len(wanted),
        deadline,
    )
    stored: dict[str, float] = dict(rows)
    last = max(stored.values(), default=first)
    e2e = [stored[x] - sent_at[x] for x in stored if x in sent_at]
    tickets = db.execute(
        f"SELECT count(DISTINCT ticket_id) FROM {tables['message']} WHERE external_id = ANY(%s)",
        (wanted,),
    ).fetchone()
    progress(f"{name}: {len(stored)}/{len(wanted)} messages stored")
    return {
        "updates": len(items),
        "endpoint": result,
        "messages_stored": len(stored),
        "tickets": tickets[0] if tickets else 0,
        "end_to_end_seconds": round(last - first, 2),
        "end_to_end_per_second": round(len(stored) / max(1e-9, last - first), 1),
        "end_to_end_latency": _ms(e2e),
        "cpu_per_message": cpu.per(len(stored)),
    }


def reply_phase(
    base: str, token: str, db: psycopg.Connection[Any], tables: dict[str, str],
    args: argparse.Namespace, cpu: Cpu,
) -> dict[str, Any]:  # fmt: skip
    numbers = [
        n
        for (n,) in db.execute(
            f"SELECT number FROM {tables['ticket']} WHERE channel IN ('telegram', 'vk') "
            "ORDER BY number"
        ).fetchall()
    ]
    rng = random.Random(11)
    targets = [rng.choice(numbers) for _ in range(args.n)]
    posted_at: dict[int, float] = {}

    async def send(client: Client, number: int) -> bool:
        started = time.time()
        answer = await client.post(
            f"/api/v1/tickets/{number}/messages",
            json={
                "body": "Thank you, we have found your order: it arrives tomorrow.",
            },
        )
        if answer.status_code != 201:
            return False
        posted_at[int(answer.json()["id"])] = started
        return True

    deadline = time.monotonic() + args.max_seconds
    first = time.time()
    result = asyncio.run(
        post_all(
            base,
            targets,
            send,
            headers={"Authorization": f"Bearer {token}"},
            concurrency=args.concurrency,
            deadline=deadline,
        )
    )
    progress(f"replies: {result['posted']} posted at {result['accepted_per_second']}/s")
    ids = list(posted_at)
    rows = wait_rows(
        db,
        f"SELECT ticket_message_id, extract(epoch FROM sent_at)::float8, channel "
        f"FROM {tables['delivery']} WHERE state = 'sent' AND ticket_message_id = ANY(%s)",
        (ids,),
        len(ids),
        deadline,
    )
    failed = db.execute(
        f"SELECT count(*) FROM {tables['delivery']} WHERE state = 'failed'"
    ).fetchone()
    last = max((r[1] for r in rows), default=first)
    progress(f"replies: {len(rows)}/{len(ids)} delivered")
    return {
        "replies": len(targets),
        "api": result,
        "delivered": len(rows),
        "delivered_telegram": sum(1 for r in rows if r[2] == "telegram"),
        "delivered_vk": sum(1 for r in rows if r[2] == "vk"),
        "failed": failed[0] if failed else 0,
        "delivered_seconds": round(last - first, 2),
        "delivered_per_second": round(len(rows) / max(1e-9, last - first), 1),
        "latency": _ms([r[1] - posted_at[r[0]] for r in rows]),
        "cpu_per_message": cpu.per(len(rows)),
    }


def settle(pids: list[int], deadline: float) -> bool:
    """Wait until the workers are idle (under 5 % of a core each over a second): what
    they do once as they start (the VK client library imported in a thread beside the
    jobs) is not the first phase's work. False when the deadline came first."""
    before = sum(tree_cpu(p) for p in pids)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = sum(tree_cpu(p) for p in pids)
        if now - before < 0.05 * len(pids):
            return True
        before = now
    return False


def progress(what: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


# --- the run --------------------------------------------------------------------------


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    telegram, vk, whatsapp = TelegramServer().start(), VkServer().start(), WhatsAppServer().start()
    telegram.add_file("bench-photo", PHOTO, "photos/bench.png")
    vk.add_file("photo.png", PHOTO)
    whatsapp.add_media("bench-photo", PHOTO, "image/png")
    try:
        with ExitStack() as stack:
            url = stack.enter_context(postgres())
            env = base_env(workdir / "data", url)
            opora("migrate", "--noinput", "-v", "0", env=env)
            out = opora(
                "shell",
                "-c",
                SETUP.format(
                    tg_token=TG_TOKEN,
                    tg_url=telegram.url,
                    vk_token=VK_TOKEN,
                    vk_secret=VK_SECRET,
                    vk_url=vk.url,
                    group_id=GROUP_ID,
                    wa_phone=PHONE_NUMBER_ID,
                    wa_token=WA_TOKEN,
                    wa_secret=WA_SECRET,
                    wa_url=whatsapp.url,
                    wa_version=WA_VERSION,
                ),
                env=env,
            )
            ids = json.loads(out.strip().splitlines()[-1])
            base, server_pid = stack.enter_context(
                serve_process(env, workers=args.web_workers, log=workdir / "serve.log")
            )
            worker_pids = stack.enter_context(workers(env, args.workers, workdir / "worker.log"))
            db = stack.enter_context(psycopg.connect(url, autocommit=True))
            db_pid = postmaster_pid(url)
            # The workers' start (Django and the apps loaded, a few CPU seconds each) is
            # not the first phase's work: it starts once every worker sent a heartbeat.
            ready = wait_rows(
                db,
                f"SELECT worker_id FROM {ids['tables']['heartbeat']}",
                (),
                args.workers,
                time.monotonic() + args.max_seconds,
            )
            progress(f"{len(ready)} of {args.workers} workers ready")
            idle = settle(worker_pids, time.monotonic() + 60)
            progress(f"workers idle after their start-up: {idle}")
            mix = plan(args.n, follow_ups=args.follow_ups, photos=args.photos, seed=7)
            updates = [(x.replace("{bot}", str(ids["bot"])), u) for x, u in telegram_updates(mix)]
            result: dict[str, Any] = {}
            result["telegram"] = inbound_phase(
                "telegram",
                base,
                f"/channels/telegram/{ids['bot']}/webhook",
                updates,
                {"X-Telegram-Bot-Api-Secret-Token": ids["secret"]},
                db,
                ids["tables"],
                args,
                Cpu(server_pid, worker_pids, db_pid),
            )
            result["vk"] = inbound_phase(
                "vk",
                base,
                f"/channels/vk/{ids['vk']}/callback",
                vk_events(mix, f"{vk.url}/files"),
                {},
                db,
                ids["tables"],
                args,
                Cpu(server_pid, worker_pids, db_pid),
            )
            result["whatsapp"] = inbound_phase(
                "whatsapp",
                base,
                f"/channels/whatsapp/{ids['whatsapp']}/webhook",
                whatsapp_bodies(mix),
                {},
                db,
                ids["tables"],
                args,
                Cpu(server_pid, worker_pids, db_pid),
                sign=whatsapp_signature,
            )
            result["replies"] = reply_phase(
                base, ids["token"], db, ids["tables"], args, Cpu(server_pid, worker_pids, db_pid)
            )
            result["provider_calls"] = {
                "telegram": _count(telegram.calls),
                "vk": _count(vk.calls),
                "whatsapp": _count(whatsapp.calls),
            }
            log = (workdir / "serve.log").read_text(errors="replace") + (
                workdir / "worker.log"
            ).read_text(errors="replace")
            result["log_errors"] = sum(1 for line in log.splitlines() if "Traceback" in line)
            for name in INBOUND:
                result[name]["drain"] = drain_batches(log, name)
            keep = ROOT / "var" / "bench" / "channels.log"
            keep.parent.mkdir(parents=True, exist_ok=True)
            keep.write_text(log)
            return result
    finally:
        telegram.stop()
        vk.stop()
        whatsapp.stop()


INBOUND = ("telegram", "vk", "whatsapp")


DRAIN_LINE = re.compile(
    r"drain (?P<name>[\w:/-]+): (?P<did>\d+) updates in (?P<took>[\d.]+) s "
    r"\(claim (?P<claim>[\d.]+) s\), done at (?P<done>[\d.]+)"
)


def drain_batches(log: str, prefix: str) -> dict[str, Any]:
    """The drain's own timing, from the workers' log (one line per batch): how many
    batches, their size and seconds, how many ran at once, messages per drain-second."""
    spans, lanes = [], set()
    for match in DRAIN_LINE.finditer(log):
        if match["name"].split(":")[0] != prefix:
            continue
        lanes.add(match["name"])
        done, took = float(match["done"]), float(match["took"])
        spans.append((done - took, done, int(match["did"]), took, float(match["claim"])))
    if not spans:
        return {"batches": 0}
    busy = sum(s[3] for s in spans)
    first, last = min(s[0] for s in spans), max(s[1] for s in spans)
    # How many drains ran at once, over the drain's whole span, weighted by time (a
    # batch's start is its end less its seconds, logged to the millisecond: 5 ms of
    # slack, or one lane's next batch seems to start before its last one ended).
    edges = sorted([(s[0] + 0.005, 1) for s in spans] + [(s[1], -1) for s in spans])
    running, at, most, overlapped = 0, first, 0, 0.0
    for when, step in edges:
        overlapped += running * (when - at)
        running, at = running + step, when
        most = max(most, running)
    took = sorted(s[3] for s in spans)
    return {
        "batches": len(spans),
        "lanes": len(lanes),
        "mean_size": round(sum(s[2] for s in spans) / len(spans), 1),
        "seconds_p50": round(percentile(took, 50), 3),
        "seconds_max": round(took[-1], 3),
        "claim_seconds_total": round(sum(s[4] for s in spans), 2),
        "busy_seconds": round(busy, 2),
        "span_seconds": round(last - first, 2),
        "mean_running": round(overlapped / max(1e-9, last - first), 2),
        "most_running": most,
        "messages_per_busy_second": round(sum(s[2] for s in spans) / max(1e-9, busy), 1),
    }


def _count(calls: list[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for call in list(calls):
        found[call.method] = found.get(call.method, 0) + 1
    return found


def _print(r: dict[str, Any], label: str) -> None:
    print(f"messenger channels, {label}")
    for name in INBOUND:
        p, e = r[name], r[name]["endpoint"]
        lat = p["end_to_end_latency"]
        print(
            f"  {name:<8} endpoint {e['accepted_per_second']:>7.1f}/s accepted "
            f"(p50 {e['p50_ms']} p95 {e['p95_ms']} p99 {e['p99_ms']} ms, {e['errors']} errors); "
            f"end to end {p['end_to_end_per_second']:>7.1f} messages/s, "
            f"{p['messages_stored']}/{p['updates']} stored on {p['tickets']} tickets "
            f"(p50 {lat['p50_ms']} p95 {lat['p95_ms']} p99 {lat['p99_ms']} ms)"
        )
        print(f"           CPU per message: {p['cpu_per_message']}")
        print(f"           drain batches: {p.get('drain')}")
    q = r["replies"]
    a, lat = q["api"], q["latency"]
    print(
        f"  replies  API {a['accepted_per_second']:>7.1f}/s posted; delivered "
        f"{q['delivered_per_second']:>7.1f}/s, {q['delivered']}/{q['replies']} "
        f"({q['delivered_telegram']} Telegram, {q['delivered_vk']} VK, {q['failed']} failed; "
        f"posted → sent p50 {lat['p50_ms']} p95 {lat['p95_ms']} p99 {lat['p99_ms']} ms)"
    )
    print(f"           CPU per reply: {q['cpu_per_message']}")
    print(f"  tracebacks in the logs: {r['log_errors']} (var/bench/channels.log)")
    print(f"  load average before {r['load_before']}, after {r['load_after']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="updates per format, and replies")
    parser.add_argument("--workers", type=int, default=2, help="`opora worker` processes")
    parser.add_argument("--web-workers", type=int, default=2, help="`opora serve` processes")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--follow-ups", type=float, default=0.3, help="share of follow-ups")
    parser.add_argument("--photos", type=float, default=0.05, help="share with a photo")
    parser.add_argument("--max-seconds", type=float, default=300, help="per phase at most")
    args = parser.parse_args()
    for name in ("n", "workers", "web_workers", "concurrency"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    load_before = [round(x, 2) for x in os.getloadavg()]
    workdir = Path(tempfile.mkdtemp(prefix="opora-channels-"))
    try:
        result = run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result["load_before"] = load_before
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    label = (
        f"PostgreSQL, {args.web_workers} `opora serve` process(es), {args.workers} "
        f"`opora worker` process(es), {args.n} updates per format at concurrency "
        f"{args.concurrency}, {args.follow_ups:.0%} follow-ups, {args.photos:.0%} with a photo"
    )
    _print(result, label)
    print(
        json.dumps(
            {
                "benchmark": "channels",
                "engine": "postgresql",
                "updates": args.n,
                "web_workers": args.web_workers,
                "workers": args.workers,
                "concurrency": args.concurrency,
                "follow_ups": args.follow_ups,
                "photos": args.photos,
                **result,
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
