"""E-mail intake throughput: parse + thread + store, on SQLite and PostgreSQL.

    .venv/bin/python bench/email_ingest.py [-n 2000] [--workers 2]

Generates N messages (new tickets from many senders, and threaded replies with quoted
history), then runs each through the full pipeline (store raw → parse → thread →
ticket actions) and reports messages per second. SQLite runs in a temporary data
directory; PostgreSQL in a throwaway cluster (scripts/with-postgres). With --workers
W the messages are processed by W processes in parallel, as W `opora worker`s would.
The last line is a JSON object with all figures. `--profile FILE` writes a CPU-time
cProfile of the processing alone (one process, PostgreSQL) for `pstats`.

On PostgreSQL it also reports the cluster's CPU per message (all its processes, from
/proc), transactions and WAL flushes per batch (pg_stat_database, pg_stat_wal).
To see why a batch fell back to one by one: OPORA_LOG_LEVEL=WARNING scripts/with-postgres
.venv/bin/python bench/email_ingest.py --here --workers 2 (the workers' log on stderr).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import multiprocessing
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
QUOTE = (
    "\n\nOn Thu, 12 Mar 2026 at 10:00, Support <support@bench.test> wrote:\n"
    "> Could you send us the exact error message?\n> Thank you.\n"
)
RU = "Здравствуйте! После обновления не открывается отчёт, пишет «ошибка 500». "


def generate(n: int, seed: int = 7) -> list[bytes]:
    """N messages: about 70% open tickets, 30% reply to an earlier message."""
    rnd = random.Random(seed)
    sent: list[str] = []
    out = []
    for i in range(n):
        msg = EmailMessage()
        sender = f"customer{rnd.randrange(400)}@client{rnd.randrange(40)}.test"
        msg["From"] = f"Customer {i} <{sender}>"
        msg["To"] = "support@bench.test"
        msg["Date"] = "Thu, 12 Mar 2026 10:00:00 +0300"
        msg["Message-ID"] = f"<bench-{seed}-{i}@client.test>"
        reply = sent and rnd.random() < 0.3
        if reply:
            parent = rnd.choice(sent)
            msg["Subject"] = "Re: Problem with the report"
            msg["In-Reply-To"] = f"<{parent}>"
            msg["References"] = f"<{parent}>"
            body = "Here is the error text: 500 Internal Server Error." + QUOTE
        else:
            msg["Subject"] = f"Problem with the report {i}"
            body = (RU if i % 2 else "Hello, the monthly report does not open. ") * 3
        msg.set_content(body)
        if i % 5 == 0:
            msg.add_alternative(f"<p>{body}</p>", subtype="html")
        sent.append(f"bench-{seed}-{i}@client.test")
        out.append(msg.as_bytes())
    return out


def _setup_django() -> None:
    sys.path.insert(0, str(REPO / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")
    import django

    django.setup()


_ready: Any = None  # a Barrier shared by the worker processes
# --profile: where the worker's cProfile statistics go (one process only).
_PROFILE = os.environ.get("OPORA_BENCH_PROFILE", "")


def _start_worker(barrier: Any) -> None:
    global _ready
    _ready = barrier


def _worker(args: tuple[list[list[bytes]], int, bool]) -> dict[str, float]:
    """Run batches through the pipeline; returns this process's CPU seconds, SQL count,
    and when it started and finished (wall clock)."""
    batches, mailbox_id, one_by_one = args
    _setup_django()
    from django.db import connection

    from opora.inbox.email import pipeline
    from opora.inbox.email.models import Mailbox
    from opora.inbox.email.pipeline import receive_and_process, receive_and_process_many

    statements = 0
    fallbacks = 0  # messages a batch left to be processed again as batches of one
    depth = 0
    process_many = pipeline.process_many

    def counted(raw_ids, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal fallbacks, depth
        if depth:
            fallbacks += len(raw_ids)
        depth += 1
        try:
            return process_many(raw_ids, **kwargs)
        finally:
            depth -= 1

    pipeline.process_many = counted

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    box = Mailbox.objects.get(pk=mailbox_id)
    # Job workers are long-running: start the clock when every process is up and
    # connected (interpreter start, Django set-up and imports are not intake time).
    connection.ensure_connection()
    if _ready is not None:
        _ready.wait()
    started = time.time()
    cpu = time.process_time()
    profile = cProfile.Profile(time.process_time) if _PROFILE else None
    with connection.execute_wrapper(count):
        if profile is not None:
            profile.enable()
        for batch in batches:
            if one_by_one:
                for raw in batch:
                    receive_and_process(raw, mailbox=box)
            else:
                receive_and_process_many(batch, mailbox=box)
        if profile is not None:
            profile.disable()
    cpu = time.process_time() - cpu
    if profile is not None:
        profile.dump_stats(_PROFILE)
    finished = time.time()
    connection.close()
    return {
        "cpu_seconds": cpu,
        "statements": statements,
        "fallbacks": fallbacks,
        "started": started,
        "finished": finished,
    }


def _postgres_cpu(postmaster: int) -> float:
    """CPU seconds the PostgreSQL cluster has used: the postmaster with its reaped
    children (exited backends, autovacuum workers) and its live children (backends,
    WAL writer, checkpointer, …), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")

    def fields(pid: int | str) -> list[str]:
        text = Path(f"/proc/{pid}/stat").read_text()
        return text[text.rindex(")") + 2 :].split()  # from field 3 (state) on

    own = fields(postmaster)
    total = sum(int(x) for x in own[11:15])  # utime, stime, cutime, cstime
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = fields(entry.name)
        except (OSError, ValueError):
            continue  # gone meanwhile
        if int(stat[1]) == postmaster:
            total += int(stat[11]) + int(stat[12])
    return total / tick


def _postmaster() -> int | None:
    """The PostgreSQL server's main process (the parent of this connection's backend),
    when the server runs on this machine and /proc shows it."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    try:
        text = Path(f"/proc/{backend}/stat").read_text()
    except OSError:
        return None
    return int(text[text.rindex(")") + 2 :].split()[1])


def _commits() -> tuple[int, int]:
    """Transactions committed in this database so far, and the WAL flushes to disk
    (what a durable commit waits for; read-only transactions need none), from
    PostgreSQL's statistics."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT (SELECT xact_commit FROM pg_stat_database"
            " WHERE datname = current_database()), (SELECT wal_sync FROM pg_stat_wal)"
        )
        row = cursor.fetchone()
    return int(row[0]), int(row[1])


def run_here(n: int, workers: int, one_by_one: bool) -> dict[str, object]:
    """Migrate the configured database, load the messages, time the pipeline."""
    _setup_django()
    from django.core.management import call_command
    from django.db import connection

    from opora.accounts.actions import create_team, create_user
    from opora.inbox.email.models import Mailbox, RawMessage
    from opora.inbox.email.pipeline import BATCH_SIZE
    from opora.tickets.models import Ticket

    call_command("migrate", verbosity=0)
    admin = create_user(email="admin@bench.test", role="admin", by=None)
    agent = create_user(email="agent@bench.test", role="agent", by=admin)
    team = create_team(name="Bench", email="support@bench.test", members=[agent.pk], by=admin)
    box = Mailbox.objects.create(address="support@bench.test", team=team)
    messages = generate(n)
    postmaster = _postmaster()
    commits = _commits() if postmaster is not None else (0, 0)
    connection.close()
    pg_cpu = 0.0
    if postmaster is not None:
        time.sleep(0.5)  # the closed connection's backend exits and is counted
        pg_cpu = _postgres_cpu(postmaster)
    # Replies must find their parents: deliver in order, in batches as IMAP fetches
    # them; with W processes each takes every W-th batch, as W job workers would.
    batches = [messages[i : i + BATCH_SIZE] for i in range(0, n, BATCH_SIZE)]
    shares = [(batches[w::workers], box.pk, one_by_one) for w in range(workers)]
    if workers <= 1:
        stats = [_worker(shares[0])]
    else:
        # Fresh processes (not forks): each opens its own connections and pool.
        spawn = multiprocessing.get_context("spawn")
        barrier = spawn.Barrier(workers)
        with spawn.Pool(workers, initializer=_start_worker, initargs=(barrier,)) as pool:
            stats = pool.map(_worker, shares, chunksize=1)
    if postmaster is not None:
        time.sleep(0.5)  # the workers' backends exit and are counted
        pg_cpu = _postgres_cpu(postmaster) - pg_cpu
        after = _commits()
        # Less the transaction that read the first count.
        commits = (after[0] - commits[0] - 1, after[1] - commits[1])
    elapsed = max(s["finished"] for s in stats) - min(s["started"] for s in stats)
    states = dict.fromkeys(("parsed", "failed", "ignored", "received"), 0)
    for state in RawMessage.objects.values_list("state", flat=True):
        states[state] += 1
    cpu = sum(s["cpu_seconds"] for s in stats)
    return {
        "database": connection.vendor,
        "path": "one-by-one" if one_by_one else f"batches of {BATCH_SIZE}",
        "messages": n,
        "workers": workers,
        "seconds": round(elapsed, 2),
        "messages_per_second": round(n / elapsed, 1),
        "sql_per_message": round(sum(s["statements"] for s in stats) / n, 2),
        "worker_cpu_ms_per_message": round(1000 * cpu / n, 2),
        # The whole cluster (backends, WAL writer, checkpointer, autovacuum) from the
        # workers' start to their end, set-up of their connections included.
        "postgres_cpu_ms_per_message": round(1000 * pg_cpu / n, 2) if postmaster else None,
        "transactions_per_batch": round(commits[0] / len(batches), 1) if postmaster else None,
        "wal_syncs_per_batch": round(commits[1] / len(batches), 1) if postmaster else None,
        "left_to_one_by_one": 0 if one_by_one else sum(int(s["fallbacks"]) for s in stats),
        "tickets": Ticket.objects.count(),
        "states": states,
    }


def _report(label: str, result: dict[str, object]) -> None:
    workers = int(str(result["workers"]))
    print(
        f"{label} {result['messages_per_second']} msg/s "
        f"({workers} process{'es' if workers > 1 else ''}; "
        f"{result['sql_per_message']} SQL statements and "
        f"{result['worker_cpu_ms_per_message']} ms worker CPU"
        + (
            f", {result['postgres_cpu_ms_per_message']} ms PostgreSQL CPU"
            if result.get("postgres_cpu_ms_per_message") is not None
            else ""
        )
        + " per message)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--here", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    parser.add_argument(
        "--profile",
        metavar="FILE",
        default="",
        help="cProfile the processing (one process, PostgreSQL) into FILE, for pstats",
    )
    parser.add_argument(
        "--one-by-one", action="store_true", help="the single-message path (for comparison)"
    )
    args = parser.parse_args()
    if args.profile:
        # Only the processing is profiled, in one process; the child finds the file
        # through the environment (the --here run is a fresh interpreter).
        os.environ["OPORA_BENCH_PROFILE"] = str(Path(args.profile).resolve())
        args.workers, args.only = 1, args.only or "postgresql"
    os.environ.setdefault("OPORA_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPORA_SECRET_KEY", "bench")
    if args.here:
        print(json.dumps(run_here(args.n, args.workers, args.one_by_one)))
        return
    results = []
    base = [sys.executable, __file__, "--here", "-n", str(args.n)]
    if args.one_by_one:
        base.append("--one-by-one")
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            env = {k: v for k, v in os.environ.items() if k != "OPORA_DATABASE_URL"}
            env["OPORA_DATA_DIR"] = tmp
            for workers in sorted({1, args.workers}):
                env["OPORA_DATA_DIR"] = tempfile.mkdtemp(dir=tmp)
                out = subprocess.run(
                    [*base, "--workers", str(workers)],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                results.append(json.loads(out.stdout.strip().splitlines()[-1]))
                _report("SQLite:    ", results[-1])
    if args.only in (None, "postgresql"):
        for workers in sorted({1, args.workers}):
            with tempfile.TemporaryDirectory() as tmp:
                # Production durability (fsync, synchronous_commit) unless told otherwise.
                durable = os.environ.get("OPORA_PG_DURABLE", "1")
                env = dict(os.environ, OPORA_DATA_DIR=tmp, OPORA_PG_DURABLE=durable)
                out = subprocess.run(
                    [str(REPO / "scripts" / "with-postgres"), *base, "--workers", str(workers)],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                results.append(json.loads(out.stdout.strip().splitlines()[-1]))
                _report("PostgreSQL:", results[-1])
    print(
        json.dumps(
            {
                "benchmark": "email_ingest",
                "postgres_durable": os.environ.get("OPORA_PG_DURABLE", "1") == "1",
                "machine": f"{platform.machine()} {os.cpu_count()} CPUs, "
                f"Python {platform.python_version()}",
                "load_average": os.getloadavg(),
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
