"""Flat at any size: every list call at 10k, 100k and 1M tickets, so a cliff shows as a slope.

    .venv/bin/python bench/cliffs.py                              # PostgreSQL 10k,100k,1M
    .venv/bin/python bench/cliffs.py --sizes 10000,100000 --engines postgresql,sqlite
    .venv/bin/python bench/cliffs.py --keep var/bench/cliffs      # generate once, reuse

For each engine and size: a database with that many tickets (five messages each, from
bench/dataset.py, plus a tag on one ticket in a hundred and the search index of every
subject and message), served by `opora serve --no-worker --workers 2` on 127.0.0.1.
PostgreSQL runs durable (fsync, synchronous_commit on) unless OPORA_PG_DURABLE=0; SQLite
only up to --sqlite-max tickets (the embedded default is for small desks). Then, one
client at a time: the agent queue page (default view and "All open"), the API list's
first page alone and with each filter the UI offers, count=true, the last cursor page,
ticket search; the "All open" page at concurrency 8 (pages/s). django-helpdesk's list
(same client, same engine, same durability) runs side by side up to --peer-max tickets.

--keep DIR keeps the generated databases (a PostgreSQL cluster in DIR/pg, one database
per size; SQLite data dirs in DIR/sqlite-<size>) and reuses them next time: a million
tickets are generated once. Prints p50/p95 per call and size; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from bench.chat import postmaster_pid, tree_cpu
from bench.common import base_env, free_port, machine, opora, serve_process
from bench.workload import Client, measure, ok

PAGE = 25
# What the generated subjects and bodies hold: one subject has this word ("floor 4242"),
# every message has "paper".
RARE = "floor 4242"
COMMON = "paper"


# --- a PostgreSQL cluster that can outlive the run -----------------------------------


def _pg_bindir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
    for bindir in reversed(found):
        if (bindir / "initdb").exists():
            return bindir
    subprocess.run([str(Path(__file__).parents[1] / "scripts" / "ensure-debian-packages"),
                    "postgresql"], check=True, timeout=900)  # fmt: skip
    return _pg_bindir()


def _as_owner() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []


@contextmanager
def cluster(root: Path) -> Iterator[tuple[str, Path]]:
    """PostgreSQL on 127.0.0.1 with its data in root/data (created once); yields (host:port
    prefix of a URL, bindir). Durable unless OPORA_PG_DURABLE=0."""
    bindir = _pg_bindir()
    root.mkdir(parents=True, exist_ok=True)
    if os.getuid() == 0:
        subprocess.run(["chown", "postgres", str(root)], check=True)
    data = root / "data"
    if not (data / "PG_VERSION").exists():
        subprocess.run(
            [*_as_owner(), str(bindir / "initdb"), "-D", str(data), "-U", "opora",
             "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    durable = os.environ.get("OPORA_PG_DURABLE", "1") == "1"
    flags = "on" if durable else "off"
    port = free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync={flags} "
        f"-c synchronous_commit={flags} -c full_page_writes={flags} -c max_connections=200"
    )
    subprocess.run(
        [*_as_owner(), str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"),
         "-w", "-t", "120", "start", "-o", options],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    try:
        yield f"postgres://opora@127.0.0.1:{port}", bindir
    finally:
        subprocess.run(
            [*_as_owner(), str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            check=False, capture_output=True, timeout=180,
        )  # fmt: skip


def _createdb(bindir: Path, prefix: str, name: str) -> None:
    port = prefix.rsplit(":", 1)[1]
    subprocess.run(
        [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", port, "-U", "opora", name],
        check=False, capture_output=True, timeout=60,
    )  # fmt: skip


# --- the data set ---------------------------------------------------------------------

# Runs in `opora shell`: tags, the search index of the generated rows, and what the
# calls need (a signed-in agent's session, the cursor of the last page).
EXTRAS = r"""
import json
from django.db import connection
from bench.dataset import BODY
from opora.search.text import index_text

sample = 987654321
subject = index_text(f"Printer on floor {sample} jams")
head, tail = subject.split(str(sample))
bodies = " ".join(
    f"WHEN {k} THEN '{index_text(f'{BODY} ({k})')}'" for k in range(1, 6)
)
concat = "||"
with connection.cursor() as c:
    c.execute("INSERT INTO tickets_tag (name) VALUES ('vip')")
    c.execute("SELECT id FROM tickets_tag WHERE name = 'vip'")
    tag = c.fetchone()[0]
    c.execute(
        "INSERT INTO tickets_ticket_tags (ticket_id, tag_id) "
        f"SELECT id, {tag} FROM tickets_ticket WHERE id % 100 = 7"
    )
    now = "now()" if connection.vendor == "postgresql" else "CURRENT_TIMESTAMP"
    c.execute(
        "INSERT INTO search_searchdocument (scope, object_id, ticket_id, language, status, "
        "title, body, title_terms, heading_terms, body_terms, updated_at) "
        f"SELECT 'ticket', t.id, t.id, t.language, '', t.subject, '', "
        f"'{head}' {concat} CAST(t.id AS varchar(20)) {concat} '{tail}', '', '', {now} "
        "FROM tickets_ticket t"
    )
    c.execute(
        "INSERT INTO search_searchdocument (scope, object_id, ticket_id, language, status, "
        "title, body, title_terms, heading_terms, body_terms, updated_at) "
        "SELECT 'message', m.id, m.ticket_id, '', '', '', m.body, '', '', "
        f"CASE CAST(substr(m.body, length(m.body) - 1, 1) AS integer) {bodies} END, {now} "
        "FROM tickets_message m"
    )
    c.execute("ANALYZE")
print(json.dumps({"tag": "vip"}))
"""

SESSION = r"""
import json
from django.test import Client
from django.conf import settings
from opora.accounts.models import User
from opora.api.common import encode_cursor
from opora.tickets.models import Ticket

ids = json.loads(IDS)
agent = User.objects.get(pk=ids["agents"][0])
client = Client()
client.force_login(agent)
cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
oldest = Ticket.objects.order_by("updated_at", "id").values_list("updated_at", "id")
at, last_id = list(oldest[:PAGE + 1])[-1]
print(json.dumps({"cookie": cookie, "last_cursor": encode_cursor([at.isoformat(), last_id])}))
"""


def _shell(env: dict[str, str], code: str) -> Any:
    out = opora("shell", "-c", code, env=env, timeout=7200)
    return json.loads(out.strip().splitlines()[-1])


def prepare(env: dict[str, str], state: Path, size: int) -> dict[str, Any]:
    """Migrate, and generate `size` tickets unless `state` says they are there."""
    opora("migrate", "--noinput", "-v", "0", env=env, timeout=7200)
    if state.exists():
        ids = json.loads(state.read_text())
    else:
        started = time.monotonic()
        ids = _shell(env, "import json\nfrom bench.dataset import people\n"
                          "print(json.dumps(people()))")  # fmt: skip
        code = f"generate({size}, 5, json.loads({json.dumps(ids)!r}))"
        _shell(env, f"import json\nfrom bench.dataset import generate\nprint(json.dumps({code}))")
        _shell(env, EXTRAS)
        ids["generate_seconds"] = round(time.monotonic() - started, 1)
        state.write_text(json.dumps(ids))
    session = _shell(env, SESSION.replace("IDS", repr(json.dumps(ids))).replace("PAGE", str(PAGE)))
    return ids | session


# --- the calls ------------------------------------------------------------------------


def calls(ids: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """name -> (auth kind, path)."""
    customer, organization = ids["customers"][1]
    api = "/api/v1/tickets?limit=25"
    return {
        "queue_page": ("session", "/agent/"),
        "queue_page_open": ("session", "/agent/?view=open"),
        "queue_page_open_next": ("session", "/agent/?view=open&sort=-priority"),
        "api_first_page": ("token", api),
        "api_status": ("token", f"{api}&status=new,open,pending"),
        "api_assignee": ("token", f"{api}&assignee=me"),
        "api_team": ("token", f"{api}&team={ids['teams'][1]}"),
        "api_tag": ("token", f"{api}&tag=vip"),
        "api_tag_none": ("token", f"{api}&tag=no-such-tag"),
        "api_organization": ("token", f"{api}&organization={organization}"),
        "api_requester": ("token", f"{api}&requester={customer}"),
        "api_q_rare": ("token", f"{api}&q={RARE.replace(' ', '+')}"),
        "api_q_common": ("token", f"{api}&q={COMMON}"),
        "api_count": ("token", f"{api}&count=true"),
        "api_last_page": ("token", f"{api}&sort=-updated_at&cursor={ids['last_cursor']}"),
        "ticket_search": ("token", "/api/v1/search/tickets?q=printer+jam"),
    }


def run_calls(
    base: str, ids: dict[str, Any], args: argparse.Namespace, pids: tuple[int, int | None]
) -> dict[str, Any]:
    headers = {
        "session": {"Cookie": ids["cookie"]},
        "token": {"Authorization": f"Bearer {ids['agent_token']}"},
    }
    out: dict[str, Any] = {}
    for name, (auth, path) in calls(ids).items():
        if args.only and name not in args.only:
            continue

        async def call(client: Client, i: int, path: str = path) -> None:
            ok(await client.get(path))

        out[name] = measure(
            base, call, requests=args.requests, concurrency=1, headers=headers[auth],
            max_seconds=args.max_seconds, warmup=3,
        )  # fmt: skip
    if not args.only or "queue_page_c8" in args.only:

        async def page(client: Client, i: int) -> None:
            ok(await client.get("/agent/?view=open"))

        # CPU per page of the web server and the database (user + system, from /proc):
        # unlike pages/s, a figure the neighbours' load moves little.
        web, db = tree_cpu(pids[0]), tree_cpu(pids[1])
        result = measure(
            base, page, requests=args.requests * 4, concurrency=8, headers=headers["session"],
            max_seconds=args.max_seconds, warmup=8,
        )  # fmt: skip
        done = max(1, result["requests"] + result["errors"] + 8)  # with the warm-up
        result["cpu_ms_web"] = round(1000 * (tree_cpu(pids[0]) - web) / done, 2)
        result["cpu_ms_db"] = round(1000 * (tree_cpu(pids[1]) - db) / done, 2)
        out["queue_page_c8"] = result
    return out


def run_peer(engine: str, size: int, url: str | None, workdir: Path,
             args: argparse.Namespace) -> dict[str, Any]:  # fmt: skip
    from bench.peer_django_helpdesk import ensure_peer_venv, peer_server

    python = ensure_peer_venv()
    db = url or str(workdir / f"peer-{size}.sqlite3")
    peer_dir = workdir / f"peer-{engine}-{size}"
    shutil.rmtree(peer_dir, ignore_errors=True)
    peer_dir.mkdir(parents=True)
    with peer_server(python, db, size, peer_dir) as (base, ids, _pid):

        async def listing(client: Client, i: int) -> None:
            ok(await client.get("/helpdesk/api/tickets/?page_size=25"))

        return {
            "list": measure(
                base, listing, requests=args.requests, concurrency=1,
                headers={"Authorization": f"Token {ids['token']}"},
                max_seconds=args.max_seconds, warmup=3,
            )
        }  # fmt: skip


def run_size(engine: str, size: int, root: Path, pg: tuple[str, Path] | None,
             args: argparse.Namespace) -> dict[str, Any]:  # fmt: skip
    if engine == "postgresql":
        assert pg is not None
        prefix, bindir = pg
        _createdb(bindir, prefix, f"opora_{size}")
        url: str | None = f"{prefix}/opora_{size}"
        data_dir = root / f"pg-files-{size}"
    else:
        url = None
        data_dir = root / f"sqlite-{size}"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = base_env(data_dir, url)
    ids = prepare(env, root / f"state-{engine}-{size}.json", size)
    result: dict[str, Any] = {"generate_seconds": ids.get("generate_seconds")}
    log = root / f"serve-{engine}-{size}.log"
    with serve_process(env, workers=2, log=log) as (base, pid):
        result["opora"] = run_calls(base, ids, args, (pid, postmaster_pid(url) if url else None))
    if args.peer and size <= args.peer_max:
        peer_url = None
        if engine == "postgresql":
            assert pg is not None
            peer_url = f"{pg[0]}/peer_{size}"
            # The peer's data set is rebuilt each run: start from an empty database.
            _recreate(pg, f"peer_{size}")
        result["peer"] = run_peer(engine, size, peer_url, root, args)
        ours = result["opora"].get("api_first_page")
        if ours and result["peer"]["list"]["p95_ms"]:
            result["peer_ratio_p95"] = round(ours["p95_ms"] / result["peer"]["list"]["p95_ms"], 3)
    return result


def _recreate(pg: tuple[str, Path], name: str) -> None:
    prefix, bindir = pg
    port = prefix.rsplit(":", 1)[1]
    for tool in ("dropdb", "createdb"):
        subprocess.run(
            [str(bindir / tool), "-h", "127.0.0.1", "-p", port, "-U", "opora", name],
            check=False, capture_output=True, timeout=120,
        )  # fmt: skip


def _print(engine: str, size: int, result: dict[str, Any]) -> None:
    for name, r in result["opora"].items():
        rate = ""
        if name.endswith("_c8"):
            rate = f"  {r['per_second']:7.1f}/s  cpu {r['cpu_ms_web']}+{r['cpu_ms_db']} ms"
        print(f"{engine:>10} {size:>8} {name:<22} p50 {r['p50_ms']:8.1f} ms  "
              f"p95 {r['p95_ms']:8.1f} ms  n={r['requests']}{rate}", flush=True)  # fmt: skip
    if "peer" in result:
        r = result["peer"]["list"]
        print(f"{engine:>10} {size:>8} {'peer_list':<22} p50 {r['p50_ms']:8.1f} ms  "
              f"p95 {r['p95_ms']:8.1f} ms  opora/peer p95 {result.get('peer_ratio_p95')}",
              flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--engines", default="postgresql,sqlite")
    parser.add_argument("--sqlite-max", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--max-seconds", type=float, default=20)
    parser.add_argument("--keep", type=Path, help="keep generated databases here and reuse them")
    parser.add_argument("--peer", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--peer-max", type=int, default=100_000)
    parser.add_argument("--only", type=lambda s: set(s.split(",")), default=None,
                        help="comma-separated call names")  # fmt: skip
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    engines = args.engines.split(",")
    root = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="opora-cliffs-"))
    root.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[int, Any]] = {}
    started = time.monotonic()
    try:
        for engine in engines:
            results[engine] = {}
            todo = [s for s in sizes if engine == "postgresql" or s <= args.sqlite_max]
            if not todo:
                continue
            if engine == "postgresql":
                with cluster(root / "pg") as pg:
                    for size in todo:
                        results[engine][size] = run_size(engine, size, root, pg, args)
                        _print(engine, size, results[engine][size])
            else:
                for size in todo:
                    results[engine][size] = run_size(engine, size, root, None, args)
                    _print(engine, size, results[engine][size])
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(json.dumps({
        "benchmark": "cliffs", "sizes": sizes, "results": results,
        "seconds": round(time.monotonic() - started, 1), "load_average": os.getloadavg(),
        "machine": machine(),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
