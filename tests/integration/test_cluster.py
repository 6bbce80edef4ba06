"""A small cluster on one machine: PostgreSQL, Redis, two web nodes and two job workers.

Every process is started with exactly the commands the deployment examples use
(deploy/): `opora serve --no-worker` for web nodes and `opora worker --scheduler` for
workers. PostgreSQL is a throwaway cluster from scripts/with-postgres (in the SQLite
pass of the suite too); Redis is Debian's redis-server on a free loopback port.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration
DEADLINE = 60.0  # seconds any single wait may take


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(what: str, check: Callable[[], Any], timeout: float = DEADLINE) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
        except (OSError, httpx.HTTPError, psycopg.Error):
            result = None
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _can_connect(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def _ready(base: str) -> bool:
    return httpx.get(f"{base}/readyz").status_code == 200


@dataclass
class Cluster:
    env: dict[str, str]
    database_url: str
    web: list[str] = field(default_factory=list)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def opora(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "opora", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self, *args: str, log: Path) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "opora", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        self.processes.append(proc)
        return proc

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()


@pytest.fixture
def postgres_url(tmp_path: Path) -> Iterator[str]:
    # scripts/with-postgres keeps its cluster while the command runs: here, a Python
    # process that prints the URL and waits for its stdin to close.
    holder = subprocess.Popen(
        [
            str(ROOT / "scripts" / "with-postgres"),
            sys.executable,
            "-c",
            "import os,sys; print(os.environ['OPORA_DATABASE_URL'], flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "postgres.log").open("wb"),
        text=True,
    )
    assert holder.stdout is not None and holder.stdin is not None
    url = holder.stdout.readline().strip()
    try:
        assert url.startswith("postgres://"), (tmp_path / "postgres.log").read_text()
        yield url
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    subprocess.run([str(ROOT / "scripts" / "ensure-debian-packages"), "redis-server"], check=True)
    port = _free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=(tmp_path / "redis.log").open("wb"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_for("redis", lambda: _can_connect(port))
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def cluster(tmp_path: Path, postgres_url: str, redis_url: str) -> Iterator[Cluster]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "OPORA_"))}
    env.update(
        OPORA_DATA_DIR=str(tmp_path / "var"),
        OPORA_DATABASE_URL=postgres_url,
        OPORA_REDIS_URL=redis_url,
        OPORA_SECRET_KEY="cluster-test-key-shared-by-all-nodes",
        OPORA_LOG_FORMAT="json",
        # Short intervals so a dead worker is noticed within seconds.
        OPORA_WORKER_HEARTBEAT_SECONDS="1",
        OPORA_WORKER_DEAD_AFTER_SECONDS="4",
        OPORA_SCHEDULER_LEASE_SECONDS="3",
        PYTHONPATH=str(ROOT),
    )
    c = Cluster(env=env, database_url=postgres_url)
    c.opora("migrate", "--noinput", "-v", "0")
    try:
        for name, workers in (("a", "2"), ("b", "1")):
            port = _free_port()
            c.start(
                "serve", "--no-worker", "--workers", workers, "--port", str(port),
                log=tmp_path / f"web-{name}.log",
            )  # fmt: skip
            c.web.append(f"http://127.0.0.1:{port}")
        for name in ("1", "2"):
            c.workers.append(
                c.start("worker", "--scheduler", "--interval", "0.2", log=tmp_path / f"w{name}.log")
            )
        for base in c.web:
            _wait_for(f"{base}/readyz", partial(_ready, base))
        yield c
    finally:
        for proc in c.processes:
            if proc.poll() is None:
                proc.terminate()
        for proc in c.processes:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def _agent_token(c: Cluster) -> str:
    out = c.opora(
        "shell",
        "-c",
        "from opora.accounts.actions import create_user, issue_api_token;"
        "u = create_user(email='alice@desk.test', name='Alice', password='correct-horse-1',"
        " role='agent', support_line=1, by=None);"
        "print(issue_api_token(u)[1])",
    )
    return out.strip().splitlines()[-1]


def _enqueue(c: Cluster, code: str) -> None:
    c.opora("shell", "-c", "from tests.integration import cluster_jobs as j; " + code)


def test_two_web_nodes_and_two_workers_share_one_state(cluster: Cluster, tmp_path: Path):
    c = cluster
    node_a, node_b = c.web
    token = _agent_token(c)
    auth = {"Authorization": f"Bearer {token}"}

    # both nodes are ready: database, Redis and a live worker heartbeat
    ready = httpx.get(f"{node_a}/readyz").json()
    assert ready["checks"] == {"database": "ok", "redis": "ok", "worker": "ok"}

    # given an agent listening for queue updates on node B (WebSocket, same process as HTTP)
    with connect(
        node_b.replace("http", "ws") + "/ws/queue/",
        additional_headers=auth,
        origin=Origin(node_b),
        open_timeout=10,
    ) as ws:
        # when a ticket is created through node A
        created = httpx.post(
            f"{node_a}/api/v1/tickets",
            headers=auth,
            json={"subject": "VPN drops every hour", "body": "Since Monday.", "priority": "high"},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        number = created.json()["number"]
        # then node B's agent hears of it (through Redis) ...
        event = json.loads(ws.recv(timeout=10))
        assert event == {"type": "ticket.updated", "number": number, "kind": "created"}
    # ... and node B serves the ticket and lists it
    seen = httpx.get(f"{node_b}/api/v1/tickets/{number}", headers=auth, timeout=10)
    assert seen.status_code == 200
    assert seen.json()["subject"] == "VPN drops every hour"
    listed = httpx.get(f"{node_b}/api/v1/tickets", headers=auth, timeout=10).json()
    assert [t["number"] for t in listed["items"]] == [number]

    # a WebSocket without credentials is refused
    with pytest.raises(InvalidStatus, match="403"):
        connect(node_b.replace("http", "ws") + "/ws/queue/", origin=Origin(node_b))

    # jobs: 30 enqueued, each runs exactly once although two workers compete for them
    trace = tmp_path / "marks.txt"
    _enqueue(c, f"[j.mark.enqueue({str(trace)!r}, str(i)) for i in range(30)]")
    _wait_for(
        "30 jobs to finish",
        # only the marking jobs: periodic jobs of other apps run alongside them
        lambda: c.sql("SELECT count(*) FROM django_tasks_database_dbtaskresult"
                      " WHERE status = %s AND task_path LIKE %s",
                      "SUCCESSFUL", "%cluster_jobs.mark")[0][0] == 30,
    )  # fmt: skip
    runs = [line.split()[1] for line in trace.read_text().splitlines()]
    assert sorted(runs, key=int) == [str(i) for i in range(30)]

    # a worker killed mid-job: the other worker runs the job again, it is not lost
    slow_trace = tmp_path / "slow.txt"
    _enqueue(c, f"j.slow.enqueue({str(slow_trace)!r}, 60)")
    first = _wait_for(
        "the slow job to start",
        lambda: slow_trace.exists() and slow_trace.read_text().split()[1:2],
    )
    victim_pid = int(first[0])
    victim = next(p for p in c.workers if p.pid == victim_pid)
    survivor = next(p for p in c.workers if p.pid != victim_pid)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    _wait_for(
        "the job to be retried and finish",
        lambda: f"finished {survivor.pid}" in slow_trace.read_text(),
    )
    lines = slow_trace.read_text().splitlines()
    assert lines == [f"started {victim_pid}", f"started {survivor.pid}", f"finished {survivor.pid}"]
    status, worker_ids = c.sql(
        "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult WHERE task_path LIKE %s",
        "%cluster_jobs.slow",
    )[0]
    assert status == "SUCCESSFUL"
    assert len(worker_ids) == 2

    # metrics of node A (two processes) count the requests of both, and the queue
    metrics = httpx.get(f"{node_a}/metrics", timeout=10).text
    latency = 'opora_http_request_duration_seconds_count{method="POST",route="api/v1/tickets"'
    assert latency in metrics
    assert "opora_task_queue_depth 0.0" in metrics


def test_a_visitor_on_one_node_and_an_agent_on_the_other_chat(cluster: Cluster):
    c = cluster
    node_a, node_b = c.web
    token = _agent_token(c)
    key = (
        c.opora(
            "shell",
            "-c",
            "from opora.accounts.models import User;"
            "from opora.accounts.actions import create_team;"
            "from opora.chat.widgets import WidgetFields, save_widget;"
            "u = User.objects.get(email='alice@desk.test');"
            "t = create_team(name='Support', members=[u.pk], by=None);"
            "print(save_widget(None, WidgetFields(name='Shop', team_id=t.pk), by=u).public_key)",
        )
        .strip()
        .splitlines()[-1]
    )
    # given a visitor of the widget, set up through node A
    visitor = httpx.post(f"{node_a}/chat/api/{key}/visitor", json={"name": "Vera"}, timeout=10)
    assert visitor.status_code == 200, visitor.text
    visitor_token = visitor.json()["token"]

    def frames_until(ws: Any, kind: str, **fields: Any) -> dict[str, Any]:
        while True:
            frame: dict[str, Any] = json.loads(ws.recv(timeout=10))
            if frame["type"] == kind and all(frame.get(k) == v for k, v in fields.items()):
                return frame

    # and an agent on node B who goes online
    with connect(
        node_b.replace("http", "ws") + "/ws/chat/agent/",
        additional_headers={"Authorization": f"Bearer {token}"},
        origin=Origin(node_b),
        open_timeout=10,
    ) as agent:
        frames_until(agent, "chats")
        agent.send(json.dumps({"type": "presence", "status": "online"}))
        assert frames_until(agent, "chats")["presence"]["status"] == "online"
        # when the visitor writes from another site through node A
        with connect(
            node_a.replace("http", "ws") + f"/ws/chat/visitor/{key}/?token={visitor_token}",
            origin=Origin("https://shop.example.com"),
            open_timeout=10,
        ) as chat:
            assert frames_until(chat, "hello")["online"] is True
            chat.send(json.dumps({"type": "message", "text": "Hello from A", "client_id": "1"}))
            # then the agent on node B is offered the chat, accepts, and they talk
            offer = frames_until(agent, "offer")
            chat_id = offer["chat"]["id"]
            assert offer["chat"]["last_message"]["text"] == "Hello from A"
            agent.send(json.dumps({"type": "accept", "chat_id": chat_id}))
            assert frames_until(chat, "state", state="active")["agent"] == "Alice"
            agent.send(
                json.dumps(
                    {"type": "message", "chat_id": chat_id, "text": "Hi from B", "client_id": "b"}
                )
            )
            reply = frames_until(chat, "message")
            while reply["message"]["author"] != "agent":
                reply = frames_until(chat, "message")
            assert reply["message"]["text"] == "Hi from B"
            chat.send(json.dumps({"type": "message", "text": "Thanks", "client_id": "2"}))
            heard = frames_until(agent, "message", chat_id=chat_id)
            while heard["message"]["text"] != "Thanks":
                heard = frames_until(agent, "message", chat_id=chat_id)
            assert heard["message"]["author"] == "visitor"
