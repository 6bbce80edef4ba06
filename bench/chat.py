"""Live chat under load: visitors and agents on WebSocket against one `opora serve`.

    .venv/bin/python bench/chat.py                        # 1,000 visitors, 20 agents
    .venv/bin/python bench/chat.py --visitors 50          # a small run
    .venv/bin/python bench/chat.py --redis --web-workers 2

Set-up (in `opora shell`, through the actions and the ORM): a team of `--agents` agents
with API tokens, the team's answer bot off, a widget of that team, and each agent's chat
capacity set so that together they take every visitor. PostgreSQL comes from
scripts/with-postgres with production durability (OPORA_PG_DURABLE=1, the benchmarks'
default); the server is `opora serve --no-worker --workers N` on 127.0.0.1 with the
in-process channel layer (one process), or Redis (`--redis`, Debian's redis-server on
a free loopback port, as tests/integration/test_cluster.py starts it).

The run: agents connect to /ws/chat/agent/ (bearer token) and accept every offer; each
visitor gets a token from POST /chat/api/<key>/visitor, connects to
/ws/chat/visitor/<key>/ and, spread over `--ramp-seconds`, opens a chat with a first
message (measured: first message to the `state: active` frame). Then every visitor
sends `--messages` messages spread evenly over `--talk-seconds`, and the agent who has
the chat answers each one as soon as its `message` frame arrives. Measured: sockets
opened, refused and still open at the end; delivery latency visitor -> agent (visitor
sends, the agent's socket receives the `message` frame) and agent -> visitor;
messages delivered against sent; CPU seconds of the server processes and of
PostgreSQL per message (/proc/<pid>/stat); the load average; and this client's own
CPU and event-loop lag, since it shares the machine's cores with the server.

Every visitor comes from 127.0.0.1, so the per-address limits on new visitors and on
messages are lifted for the run (OPORA_CHAT_*_RATE_LIMIT_PER_MINUTE); the per-visitor
limit stays. Every wait is bounded, and the whole run stops after `--max-seconds`.
The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.typing import Origin

from bench.common import ROOT, base_env, free_port, machine, opora, postgres, serve_process
from bench.workload import Client, HTTPError, percentile

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MARK = re.compile(r"\[(v|a)(\d+)\.(\d+)\]")
OPEN_TIMEOUT = 30.0  # seconds a socket may take to open and say hello


# --- the server side: set-up, processes, CPU ------------------------------------------

SETUP = """
import json, math
from opora.accounts.actions import create_team, create_user, issue_api_token
from opora.automation.models import BotSettings
from opora.chat.actions import WidgetFields, save_widget
from opora.chat.models import AgentPresence, PrechatMode
agents_n, visitors_n = {agents}, {visitors}
admin = create_user(email="admin@bench.test", name="Admin", role="admin", by=None)
agents = [
    create_user(email=f"agent{{i}}@bench.test", name=f"Agent {{i}}", role="agent",
                support_line=1, by=admin)
    for i in range(agents_n)
]
team = create_team(name="Chat", by=admin, members=[a.pk for a in agents])
BotSettings.objects.update_or_create(team=team, defaults={{"enabled": False}})
widget = save_widget(None, WidgetFields(name="Shop", team_id=team.pk,
                     prechat_email=PrechatMode.OFF), by=admin)
capacity = max(1, math.ceil(visitors_n / agents_n))
for a in agents:
    AgentPresence.objects.update_or_create(
        agent=a, defaults={{"capacity": capacity, "status": "offline"}})
print(json.dumps({{"key": widget.public_key, "capacity": capacity,
                  "tokens": [issue_api_token(a, name="bench")[1] for a in agents]}}))
"""


def setup(env: dict[str, str], agents: int, visitors: int) -> dict[str, Any]:
    out = opora("shell", "-c", SETUP.format(agents=agents, visitors=visitors), env=env)
    found: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return found


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """Debian's redis-server on a free loopback port, as tests/integration start it."""
    subprocess.run([str(ROOT / "scripts" / "ensure-debian-packages"), "redis-server"], check=True)
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir)],
        stdout=(workdir / "redis.log").open("wb"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.2)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after it.
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _all_processes() -> dict[int, tuple[int, float]]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (st := _stat(int(entry.name))) is not None:
            found[int(entry.name)] = st
    return found


def tree_cpu(root: int | None) -> float:
    """CPU seconds (user + system) of a process and all its descendants now alive."""
    if root is None:
        return 0.0
    procs = _all_processes()
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in procs:
            total += procs[pid][1]
            todo.extend(child for child, (parent, _) in procs.items() if parent == pid)
    return total


def postmaster_pid(database_url: str) -> int | None:
    """The PostgreSQL server listening on the URL's port (pg_ctl detaches it)."""
    port = database_url.rsplit(":", 1)[1].split("/")[0].encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[0].endswith(b"/postgres") and any(
            a == b"-p" and b == port for a, b in itertools.pairwise(argv)
        ):
            return int(entry.name)
    return None


SERVER_LOG = ROOT / "var" / "bench" / "chat-serve.log"


def server_log(log: Path) -> dict[str, Any]:
    """What the server complained of: live updates it dropped, errors it logged. The
    log is kept in var/bench/chat-serve.log."""
    text = log.read_text(errors="replace") if log.exists() else ""
    SERVER_LOG.parent.mkdir(parents=True, exist_ok=True)
    SERVER_LOG.write_text(text)
    return {
        "updates_dropped_warnings": text.count("events dropped"),
        "errors": sum(1 for line in text.splitlines() if "ERROR" in line or "Traceback" in line),
    }


def raise_open_files(needed: int) -> int:
    """Raise this process's open-file limit (the server inherits it); exit when the
    system's hard limit is below what the run needs."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return soft
    if hard != resource.RLIM_INFINITY and hard < needed:
        sys.exit(
            f"error: this run needs about {needed} open files (sockets) per process, but the "
            f"system allows at most {hard} (ulimit -Hn). Raise the hard limit (limits.conf, "
            f"or `ulimit -Hn {needed}` as root) or use fewer --visitors."
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    return needed


# --- the clients ----------------------------------------------------------------------


@dataclass
class Stats:
    sent_v: dict[tuple[int, int], float] = field(default_factory=dict)
    sent_a: dict[tuple[int, int], float] = field(default_factory=dict)
    to_agent: list[float] = field(default_factory=list)
    to_visitor: list[float] = field(default_factory=list)
    to_active: list[float] = field(default_factory=list)
    opened_at: dict[int, float] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    offers: int = 0
    accepted: int = 0
    duplicates: int = 0


@dataclass
class Visitor:
    n: int
    token: str = ""
    ws: ClientConnection | None = None
    active: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False
    close_code: int | None = None


def progress(what: str, seconds: float) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {what} in {seconds:.1f} s", file=sys.stderr, flush=True)


def _frame(text: str | bytes) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _send(ws: ClientConnection, frame: dict[str, Any]) -> Any:
    return ws.send(json.dumps(frame, separators=(",", ":")))


async def _keep_alive(ws: ClientConnection) -> None:
    """The inbox's ping every 25 s: an agent not heard from for the presence grace
    period goes offline."""
    with contextlib.suppress(ConnectionClosed):
        while True:
            try:
                await asyncio.wait_for(ws.wait_closed(), 25)
                return
            except TimeoutError:
                await _send(ws, {"type": "ping"})


async def agent_loop(ws: ClientConnection, stats: Stats) -> None:
    """Accept every offer; answer every visitor message at once."""
    with contextlib.suppress(ConnectionClosed):
        await _agent_frames(ws, stats)


async def _agent_frames(ws: ClientConnection, stats: Stats) -> None:
    async for raw in ws:
        now = time.perf_counter()
        frame = _frame(raw)
        kind = frame.get("type")
        if kind == "offer":
            stats.offers += 1
            await _send(ws, {"type": "accept", "chat_id": frame["chat"]["id"]})
        elif kind == "message":
            message = frame.get("message") or {}
            found = MARK.search(str(message.get("text", "")))
            if message.get("author") != "visitor" or found is None or found[1] != "v":
                continue
            key = (int(found[2]), int(found[3]))
            sent = stats.sent_v.pop(key, None)
            if sent is None:
                stats.duplicates += 1
                continue
            stats.to_agent.append(now - sent)
            stats.sent_a[key] = time.perf_counter()
            await _send(ws, {
                "type": "message", "chat_id": frame["chat_id"],
                "text": f"Let me look at order {key[0]}-{key[1]} for you. [a{key[0]}.{key[1]}]",
                "client_id": uuid.uuid4().hex,
            })  # fmt: skip
        elif kind == "error":
            stats.errors[f"agent:{frame.get('code')}"] += 1


async def visitor_loop(v: Visitor, stats: Stats) -> None:
    assert v.ws is not None
    try:
        async for raw in v.ws:
            now = time.perf_counter()
            frame = _frame(raw)
            kind = frame.get("type")
            if kind == "message":
                message = frame.get("message") or {}
                found = MARK.search(str(message.get("text", "")))
                if message.get("author") != "agent" or found is None or found[1] != "a":
                    continue
                key = (int(found[2]), int(found[3]))
                sent = stats.sent_a.pop(key, None)
                if sent is None:
                    stats.duplicates += 1
                else:
                    stats.to_visitor.append(now - sent)
            elif kind == "state" and frame.get("state") == "active" and not v.active.is_set():
                stats.to_active.append(now - stats.opened_at.get(v.n, now))
                stats.accepted += 1
                v.active.set()
            elif kind == "error":
                stats.errors[f"visitor:{frame.get('code')}"] += 1
    except ConnectionClosed:
        pass
    v.closed = True
    v.close_code = v.ws.close_code


async def lag_monitor(samples: list[float], stop: asyncio.Event) -> None:
    """How late this client's event loop wakes up (its own share of any latency)."""
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.05)
        samples.append(time.perf_counter() - started - 0.05)


def _ms(values: list[float]) -> dict[str, float]:
    ms = sorted(v * 1000 for v in values)
    return {
        "count": len(ms),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(ms[-1], 1) if ms else 0.0,
    }


def _delivery(sent: int, latencies: list[float]) -> dict[str, Any]:
    return {"sent": sent, "delivered": len(latencies), "lost": sent - len(latencies),
            **_ms(latencies)}  # fmt: skip


async def get_tokens(base: str, key: str, visitors: list[Visitor], stats: Stats) -> None:
    """POST /chat/api/<key>/visitor for each visitor, 16 requests at a time."""
    queue = iter(visitors)

    async def worker() -> None:
        client = Client(base, {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"})
        try:
            for v in queue:
                body = {"name": f"Visitor {v.n}", "language": "en",
                        "page_url": f"https://shop.example.com/orders/{v.n}"}  # fmt: skip
                try:
                    answer = await client.post(f"/chat/api/{key}/visitor", json=body)
                except HTTPError:
                    stats.errors["token:connection"] += 1
                    continue
                if answer.status_code == 200:
                    v.token = answer.json()["token"]
                else:
                    stats.errors[f"token:{answer.status_code}"] += 1
        finally:
            await client.close()

    await asyncio.gather(*(worker() for _ in range(16)))


async def run(base: str, key: str, tokens: list[str], args: argparse.Namespace) -> dict[str, Any]:
    stats = Stats()
    ws_base = base.replace("http://", "ws://")
    origin = Origin(base)
    lag: list[float] = []
    stop = asyncio.Event()
    monitor = asyncio.create_task(lag_monitor(lag, stop))
    phases: dict[str, float] = {}
    deadline = time.monotonic() + args.max_seconds
    cpu: dict[str, float] = {}

    def left() -> float:
        return max(0.1, float(deadline - time.monotonic()))

    # Agents first: each connects, sets itself online, and pings as the inbox does.
    agent_sockets: list[ClientConnection] = []
    agent_tasks = []
    for token in tokens:
        ws = await connect(f"{ws_base}/ws/chat/agent/", origin=origin,
                           additional_headers={"Authorization": f"Bearer {token}"},
                           open_timeout=OPEN_TIMEOUT, max_queue=None)  # fmt: skip
        await _send(ws, {"type": "presence", "status": "online"})
        agent_sockets.append(ws)
        agent_tasks.append(asyncio.create_task(agent_loop(ws, stats)))
        agent_tasks.append(asyncio.create_task(_keep_alive(ws)))

    visitors = [Visitor(n) for n in range(args.visitors)]
    started = time.perf_counter()
    await asyncio.wait_for(get_tokens(base, key, visitors, stats), left())
    phases["tokens_s"] = time.perf_counter() - started
    progress("visitor tokens", phases["tokens_s"])

    # Connect every visitor, 50 handshakes at a time.
    gate = asyncio.Semaphore(50)
    refused = 0
    visitor_tasks = []

    async def open_one(v: Visitor) -> None:
        nonlocal refused
        if not v.token:
            refused += 1
            return
        async with gate:
            try:
                v.ws = await connect(f"{ws_base}/ws/chat/visitor/{key}/?token={v.token}",
                                     origin=Origin("https://shop.example.com"),
                                     open_timeout=OPEN_TIMEOUT, max_queue=None)  # fmt: skip
                hello = _frame(await asyncio.wait_for(v.ws.recv(), OPEN_TIMEOUT))
            except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError) as exc:
                stats.errors[f"connect:{type(exc).__name__}"] += 1
                refused += 1
                if v.ws is not None:
                    await v.ws.close()
                v.ws = None
                return
            if hello.get("type") != "hello":
                stats.errors["connect:no hello"] += 1
            visitor_tasks.append(asyncio.create_task(visitor_loop(v, stats)))

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(open_one(v) for v in visitors)), left())
    phases["connect_s"] = time.perf_counter() - started
    progress("visitor sockets open", phases["connect_s"])
    connected = [v for v in visitors if v.ws is not None]

    # Open the chats, spread over the ramp; wait until agents have them.
    cpu["open_start"] = tree_cpu(args.server_pid)
    cpu["open_start_db"] = tree_cpu(args.db_pid)
    started = time.perf_counter()

    async def open_chat(v: Visitor, at: float) -> None:
        await asyncio.sleep(max(0.0, at - (time.perf_counter() - started)))
        assert v.ws is not None
        stats.opened_at[v.n] = time.perf_counter()
        with contextlib.suppress(ConnectionClosed):
            await _send(v.ws, {"type": "message", "client_id": uuid.uuid4().hex,
                               "text": f"Hello, a question about my order {v.n}."})  # fmt: skip

    n = max(1, len(connected))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(
            asyncio.gather(
                *(open_chat(v, args.ramp_seconds * i / n) for i, v in enumerate(connected))
            ),
            left(),
        )
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(
            asyncio.gather(*(v.active.wait() for v in connected)),
            min(left(), args.ramp_seconds + 60),
        )
    phases["open_s"] = time.perf_counter() - started
    progress("chats opened", phases["open_s"])
    cpu["open_end"] = tree_cpu(args.server_pid)
    cpu["open_end_db"] = tree_cpu(args.db_pid)
    active = [v for v in connected if v.active.is_set()]

    # Talk: each active visitor sends its messages spread evenly over the talk phase.
    usage_before = resource.getrusage(resource.RUSAGE_SELF)
    cpu["talk_start"] = tree_cpu(args.server_pid)
    cpu["talk_start_db"] = tree_cpu(args.db_pid)
    sent_total = 0
    started = time.perf_counter()
    spacing = args.talk_seconds / max(1, args.messages)

    async def talk(v: Visitor, phase: float) -> None:
        nonlocal sent_total
        assert v.ws is not None
        for k in range(args.messages):
            at = (k + phase) * spacing
            await asyncio.sleep(max(0.0, at - (time.perf_counter() - started)))
            if time.monotonic() > deadline or v.closed:
                return
            stats.sent_v[(v.n, k)] = time.perf_counter()
            sent_total += 1
            try:
                await _send(v.ws, {"type": "message", "client_id": uuid.uuid4().hex,
                                   "text": f"Where is parcel {v.n}-{k}? [v{v.n}.{k}]"})  # fmt: skip
            except ConnectionClosed:
                return

    m = max(1, len(active))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(
            asyncio.gather(*(talk(v, i / m) for i, v in enumerate(active))), left()
        )
    # Let what is in flight arrive (bounded).
    drain_until = time.monotonic() + min(args.drain_seconds, left())
    while (stats.sent_v or stats.sent_a) and time.monotonic() < drain_until:
        await asyncio.sleep(0.05)
    phases["talk_s"] = time.perf_counter() - started
    progress("talk done", phases["talk_s"])
    cpu["talk_end"] = tree_cpu(args.server_pid)
    cpu["talk_end_db"] = tree_cpu(args.db_pid)
    usage_after = resource.getrusage(resource.RUSAGE_SELF)

    still_open = sum(1 for v in connected if not v.closed)
    closes = Counter(str(v.close_code) for v in connected if v.closed)
    stop.set()
    await monitor
    sockets = [v.ws for v in connected if v.ws is not None] + agent_sockets
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(
            asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True), 30
        )
        await asyncio.wait_for(
            asyncio.gather(*visitor_tasks, *agent_tasks, return_exceptions=True), 10
        )

    delivered_v = len(stats.to_agent)
    delivered_a = len(stats.to_visitor)
    talk_msgs = delivered_v + delivered_a
    server_talk = cpu["talk_end"] - cpu["talk_start"]
    db_talk = cpu["talk_end_db"] - cpu["talk_start_db"]
    client_talk = (usage_after.ru_utime + usage_after.ru_stime) - (
        usage_before.ru_utime + usage_before.ru_stime
    )
    opened_chats = len(stats.to_active)
    return {
        "connections": {
            "visitors_wanted": args.visitors,
            "opened": len(connected),
            "refused": refused,
            "open_at_end": still_open,
            "closed_early": dict(closes),
            "agents": len(agent_sockets),
        },
        "chats": {
            "opened": len(stats.opened_at),
            "accepted": opened_chats,
            "offers": stats.offers,
            "to_active": _ms(stats.to_active),
        },
        "visitor_to_agent": _delivery(sent_total, stats.to_agent),
        "agent_to_visitor": _delivery(delivered_v, stats.to_visitor),
        "duplicates": stats.duplicates,
        "errors": dict(stats.errors),
        "talk_messages_per_second": round(talk_msgs / phases["talk_s"], 1)
        if phases["talk_s"]
        else 0.0,
        "cpu": {
            "server_s_open_phase": round(cpu["open_end"] - cpu["open_start"], 2),
            "server_ms_per_chat_opened": round(
                1000 * (cpu["open_end"] - cpu["open_start"]) / max(1, opened_chats), 2
            ),
            "server_s_talk": round(server_talk, 2),
            "server_ms_per_message": round(1000 * server_talk / max(1, talk_msgs), 2),
            "postgres_s_talk": round(db_talk, 2),
            "postgres_ms_per_message": round(1000 * db_talk / max(1, talk_msgs), 2),
            "client_s_talk": round(client_talk, 2),
        },
        "client_loop_lag": _ms(lag),
        "phases_s": {k: round(v, 1) for k, v in phases.items()},
    }


def _print(r: dict[str, Any], label: str) -> None:
    c, ch = r["connections"], r["chats"]
    print(f"live chat, {label}")
    print(f"  sockets: {c['opened']}/{c['visitors_wanted']} visitors opened, {c['refused']} "
          f"refused, {c['open_at_end']} still open at the end; {c['agents']} agents")  # fmt: skip
    print(f"  chats: {ch['opened']} opened, {ch['accepted']} accepted by an agent; first "
          f"message to active p50 {ch['to_active']['p50_ms']} p99 {ch['to_active']['p99_ms']} "
          f"max {ch['to_active']['max_ms']} ms")  # fmt: skip
    for name in ("visitor_to_agent", "agent_to_visitor"):
        d = r[name]
        print(f"  {name.replace('_', ' '):<17} {d['delivered']:>6}/{d['sent']:<6} delivered  "
              f"p50 {d['p50_ms']:>7.1f}  p95 {d['p95_ms']:>7.1f}  p99 {d['p99_ms']:>7.1f}  "
              f"max {d['max_ms']:>7.1f} ms")  # fmt: skip
    u = r["cpu"]
    print(f"  talk: {r['talk_messages_per_second']} messages/s both ways; server CPU "
          f"{u['server_ms_per_message']} ms/message, PostgreSQL {u['postgres_ms_per_message']} "
          f"ms/message, opening a chat {u['server_ms_per_chat_opened']} ms (server)")  # fmt: skip
    lag = r["client_loop_lag"]
    print(f"  this client: CPU {u['client_s_talk']} s in the talk phase, event-loop lag p99 "
          f"{lag['p99_ms']} max {lag['max_ms']} ms")  # fmt: skip
    if r["errors"]:
        print(f"  errors: {r['errors']}")
    log = r["server_log"]
    print(f"  server log: {log['errors']} errors, {log['updates_dropped_warnings']} warnings "
          f"of live updates dropped ({SERVER_LOG.relative_to(ROOT)})")  # fmt: skip
    print(f"  load average before {r['load_before']}, after {r['load_after']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--messages", type=int, default=3, help="per visitor, after the first")
    parser.add_argument("--ramp-seconds", type=float, default=120,
                        help="over which visitors open their chats")  # fmt: skip
    parser.add_argument("--talk-seconds", type=float, default=180,
                        help="over which each visitor's messages are spread")  # fmt: skip
    parser.add_argument("--drain-seconds", type=float, default=15,
                        help="wait for messages in flight after the last one is sent")  # fmt: skip
    parser.add_argument("--max-seconds", type=float, default=600, help="the whole run at most")
    parser.add_argument("--web-workers", type=int, default=1)
    parser.add_argument("--redis", action="store_true", help="the Redis channel layer")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    args = parser.parse_args()
    for name in ("visitors", "agents", "messages", "web_workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.web_workers > 1 and not args.redis:
        parser.error("--web-workers above 1 needs --redis (the in-process layer is per process)")
    raise_open_files(args.visitors + args.agents + 512)
    try:
        from uvloop import run as loop_run  # what uvicorn runs the server on, if installed
    except ImportError:
        loop_run = asyncio.run  # type: ignore[assignment]

    load_before = [round(x, 2) for x in os.getloadavg()]
    workdir = Path(tempfile.mkdtemp(prefix="opora-chat-"))
    layer = "redis" if args.redis else "in-process"
    engine = "sqlite" if args.sqlite else "postgresql"
    try:
        with ExitStack() as stack:
            url = None if args.sqlite else stack.enter_context(postgres())
            env = base_env(workdir / "data", url)
            env["OPORA_CHAT_IP_RATE_LIMIT_PER_MINUTE"] = "1000000"
            env["OPORA_CHAT_VISITOR_RATE_LIMIT_PER_MINUTE"] = "1000000"
            if args.redis:
                env["OPORA_REDIS_URL"] = stack.enter_context(redis_server(workdir))
            opora("migrate", "--noinput", "-v", "0", env=env)
            ids = setup(env, args.agents, args.visitors)
            base, pid = stack.enter_context(
                serve_process(env, workers=args.web_workers, log=workdir / "serve.log")
            )
            args.server_pid = pid
            args.db_pid = postmaster_pid(url) if url else None
            result = loop_run(run(base, ids["key"], ids["tokens"], args))
        result["server_log"] = server_log(workdir / "serve.log")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result["load_before"] = load_before
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    label = (f"{engine}, {layer} channel layer, {args.web_workers} `opora serve` process(es), "
             f"{args.visitors} visitors, {args.agents} agents (capacity {ids['capacity']} each), "
             f"{args.messages} messages each over {args.talk_seconds:g} s")  # fmt: skip
    _print(result, label)
    print(json.dumps({
        "benchmark": "chat", "engine": engine, "channel_layer": layer,
        "web_workers": args.web_workers, "visitors": args.visitors, "agents": args.agents,
        "capacity": ids["capacity"], "messages": args.messages,
        "ramp_seconds": args.ramp_seconds, "talk_seconds": args.talk_seconds,
        **result, "machine": machine(),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
