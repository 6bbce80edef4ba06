"""Opora next to django-helpdesk 2.6.x on the same workload, engine and machine.

    .venv/bin/python bench/peer_django_helpdesk.py            # SQLite, 10k tickets
    .venv/bin/python bench/peer_django_helpdesk.py --engine postgresql

django-helpdesk is installed from PyPI into its own virtual environment
(var/bench/peer-venv), set up as a minimal project (its REST API on, token auth,
e-mail to a dummy backend) and served by gunicorn with 2 workers; Opora by
`opora serve --workers 2`. Both get the same number of tickets, then the same three
operations at concurrency 8: create a ticket through the REST API, list tickets (50 per
page), add a follow-up/reply. Prints both figures and Opora/peer ratios; the last line
is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import venv
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from bench.chat import postmaster_pid, tree_cpu
from bench.common import (
    ROOT,
    base_env,
    free_port,
    machine,
    opora,
    postgres,
    serve_process,
    wait_http,
)
from bench.workload import Client, measure, ok

PEER_SPEC = "django-helpdesk>=2.6,<2.7"
PEER_VENV = ROOT / "var" / "bench" / "peer-venv"

SETTINGS = """
import os
SECRET_KEY = "peer-bench-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "django.contrib.sites", "django.contrib.humanize",
    "rest_framework", "rest_framework.authtoken", "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "peer_urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [],
              "APP_DIRS": True, "OPTIONS": {"context_processors": [
                  "django.template.context_processors.request",
                  "django.contrib.auth.context_processors.auth",
                  "django.contrib.messages.context_processors.messages"]}}]
DB_URL = os.environ["PEER_DB"]
if DB_URL.startswith("postgres://"):
    from urllib.parse import urlparse
    u = urlparse(DB_URL)
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": u.path[1:],
                             "USER": u.username, "HOST": u.hostname, "PORT": u.port,
                             "CONN_MAX_AGE": 60}}
else:
    # The same SQLite settings Opora uses: WAL, IMMEDIATE transactions, busy timeout.
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DB_URL,
                             "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; "
                                         "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
                                         "transaction_mode": "IMMEDIATE", "timeout": 20}}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
SITE_ID = 1
USE_TZ = True
STATIC_URL = "/static/"
MEDIA_ROOT = os.environ["PEER_MEDIA"]
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
HELPDESK_TEAMS_MODE_ENABLED = False
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": [
    "rest_framework.authentication.TokenAuthentication",
    "rest_framework.authentication.SessionAuthentication"]}
"""

URLS = """
from django.urls import include, path
urlpatterns = [path("helpdesk/", include("helpdesk.urls", namespace="helpdesk"))]
"""

# Run inside the peer's environment: a staff user with a token, a queue, N tickets.
PREPARE = """
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.authtoken.models import Token
from helpdesk.models import Queue, Ticket, FollowUp
n = int(sys.argv[1])
User = get_user_model()
staff = User.objects.create_superuser("agent", "agent@desk.test", "agent-pass-1")
token = Token.objects.create(user=staff)
queue = Queue.objects.create(title="Support", slug="support", allow_email_submission=False)
now = timezone.now()
tickets = Ticket.objects.bulk_create([
    Ticket(title=f"Printer on floor {i} jams", queue=queue, submitter_email=f"c{i % 60}@org.test",
           description="Since this morning the printer shows a paper jam.", status=1 + i % 4,
           priority=3, created=now, modified=now)
    for i in range(n)], batch_size=2000)
FollowUp.objects.bulk_create([
    FollowUp(ticket=t, title="Comment", comment="We are looking into it.", public=True, date=now)
    for t in tickets], batch_size=2000)
print(json.dumps({"token": token.key, "queue": queue.pk,
                  "tickets": list(Ticket.objects.values_list("id", flat=True)[:n])}))
"""


def ensure_peer_venv() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        venv.create(PEER_VENV, with_pip=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", PEER_SPEC, "gunicorn",
         "psycopg[binary]"],
        check=True, timeout=900, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return python


@contextmanager
def peer_server(
    python: Path, db: str, tickets: int, workdir: Path
) -> Iterator[tuple[str, Any, int]]:
    project = workdir / "peer"
    project.mkdir()
    (project / "peer_settings.py").write_text(SETTINGS)
    (project / "peer_urls.py").write_text(URLS)
    (project / "prepare.py").write_text(PREPARE)
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(project),
        "DJANGO_SETTINGS_MODULE": "peer_settings",
        "PEER_DB": db,
        "PEER_MEDIA": str(workdir / "peer-media"),
    }
    run = {"cwd": project, "env": env, "check": True, "timeout": 1800}
    subprocess.run([str(python), "-m", "django", "migrate", "--noinput", "-v", "0"], **run)  # type: ignore[call-overload]
    prepared = subprocess.run(
        [str(python), "prepare.py", str(tickets)], capture_output=True, text=True, **run
    )  # type: ignore[call-overload]
    ids = json.loads(prepared.stdout.strip().splitlines()[-1])
    port = free_port()
    proc = subprocess.Popen(
        [str(python), "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
         "--access-logfile", "/dev/null", "django.core.wsgi:get_wsgi_application()"],
        cwd=project, env=env,
        stdout=(workdir / "peer.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/helpdesk/api/", proc)
        yield base, ids, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # a loaded machine: do not lose the figures
            proc.kill()
            proc.wait(timeout=10)


def measured(base: str, op: Any, pids: tuple[int | None, int | None], **kwargs: Any
             ) -> dict[str, Any]:  # fmt: skip
    """`measure`, plus the CPU the server's processes and its database spent per request
    (user + system, from /proc): a figure that does not move with the machine's load."""
    web, db = tree_cpu(pids[0]), tree_cpu(pids[1])
    result = measure(base, op, **kwargs)
    web, db = tree_cpu(pids[0]) - web, tree_cpu(pids[1]) - db
    done = max(1, result["requests"] + kwargs.get("warmup", 20))
    result["cpu_ms_web"] = round(1000 * web / done, 2)
    result["cpu_ms_db"] = round(1000 * db / done, 2)
    return result


def run_peer(base: str, ids: dict[str, Any], args: argparse.Namespace,
             pids: tuple[int | None, int | None]) -> dict[str, Any]:  # fmt: skip
    headers = {"Authorization": f"Token {ids['token']}"}
    rng = random.Random(7)

    async def create(client: Client, i: int) -> None:
        ok(await client.post("/helpdesk/api/tickets/", json={
            "queue": ids["queue"], "title": f"Cannot print invoice {i}",
            "description": "The invoice PDF prints as empty pages since the update.",
            "submitter_email": f"c{i % 60}@org.test", "priority": 3,
        }), 201)  # fmt: skip

    async def listing(client: Client, i: int) -> None:
        body = ok(await client.get("/helpdesk/api/tickets/?page_size=50")).json()
        assert len(body["results"]) == 50

    async def follow_up(client: Client, i: int) -> None:
        ok(await client.post("/helpdesk/api/followups/", json={
            "ticket": rng.choice(ids["tickets"]), "title": "Reply",
            "comment": "Thank you, we are looking into it and will write back today.",
            "public": True,
        }), 201)  # fmt: skip

    common = {"headers": headers, "max_seconds": args.max_seconds, "warmup": 2}
    return {
        "create": measured(base, create, pids, requests=args.requests, **common),
        # The list goes last: the peer's slow list requests would delay what follows.
        "follow_up": measured(base, follow_up, pids, requests=args.requests, **common),
        "list": measured(base, listing, pids, requests=args.requests, **common),
    }


def run_opora(base: str, ids: dict[str, Any], tickets: int, args: argparse.Namespace,
              pids: tuple[int | None, int | None]) -> dict[str, Any]:  # fmt: skip
    headers = {"Authorization": f"Bearer {ids['agent_token']}"}
    customers = [c[0] for c in ids["customers"]]
    open_numbers = [n for n in range(1, tickets + 1) if (n // 3) % 7 not in (5, 6)]
    rng = random.Random(7)

    async def create(client: Client, i: int) -> None:
        ok(await client.post("/api/v1/tickets", json={
            "subject": f"Cannot print invoice {i}",
            "body": "The invoice PDF prints as empty pages since the update.",
            "requester": customers[i % len(customers)], "team": ids["teams"][0],
        }), 201)  # fmt: skip

    async def listing(client: Client, i: int) -> None:
        body = ok(await client.get("/api/v1/tickets?limit=50")).json()
        assert len(body["items"]) == 50

    async def reply(client: Client, i: int) -> None:
        ok(await client.post(f"/api/v1/tickets/{rng.choice(open_numbers)}/messages", json={
            "body": "Thank you, we are looking into it and will write back today.",
        }), 201)  # fmt: skip

    common = {"headers": headers, "max_seconds": args.max_seconds}
    return {
        "create": measured(base, create, pids, requests=args.requests, **common),
        "follow_up": measured(base, reply, pids, requests=args.requests, **common),
        "list": measured(base, listing, pids, requests=args.requests, **common),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=1000, help="per operation at most")
    parser.add_argument("--max-seconds", type=float, default=30, help="per operation at most")
    args = parser.parse_args()
    python = ensure_peer_venv()
    workdir = Path(tempfile.mkdtemp(prefix="opora-peer-"))
    try:
        with ExitStack() as stack:
            opora_url = peer_url = None
            if args.engine == "postgresql":
                opora_url = stack.enter_context(postgres())
                peer_url = stack.enter_context(postgres())
            # The peer first, then Opora: never both under load at once.
            with peer_server(python, peer_url or str(workdir / "peer.sqlite3"), args.tickets,
                             workdir) as (base, ids, pid):  # fmt: skip
                db_pid = postmaster_pid(peer_url) if peer_url else None
                peer = run_peer(base, ids, args, (pid, db_pid))
            env = base_env(workdir / "opora", opora_url)
            opora("migrate", "--noinput", "-v", "0", env=env)
            out = opora("shell", "-c", "import json\nfrom bench.dataset import people, generate\n"
                        f"ids = people(); generate({args.tickets}, 1, ids)\n"
                        "print(json.dumps(ids))", env=env)  # fmt: skip
            ids = json.loads(out.strip().splitlines()[-1])
            with serve_process(env, workers=2, log=workdir / "opora.log") as (base, pid):
                db_pid = postmaster_pid(opora_url) if opora_url else None
                ours = run_opora(base, ids, args.tickets, args, (pid, db_pid))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    ratios = {}
    for op in ("create", "list", "follow_up"):
        # A peer that answered nothing within the client timeout, or less than 0.05
        # a second (its rate rounds to 0), has no ratio: say so.
        answered = peer[op]["per_second"] > 0
        ratios[op] = {
            "throughput": round(ours[op]["per_second"] / peer[op]["per_second"], 1)
            if answered
            else None,
            "p99": round(peer[op]["p99_ms"] / max(ours[op]["p99_ms"], 0.01), 1)
            if answered
            else None,
        }
        print(f"{op:<10} opora {ours[op]['per_second']:>7.1f}/s p50 {ours[op]['p50_ms']:>6.1f}"
              f" p99 {ours[op]['p99_ms']:>7.1f} ms cpu {ours[op]['cpu_ms_web']}+"
              f"{ours[op]['cpu_ms_db']} ms | django-helpdesk {peer[op]['per_second']:>6.1f}/s"
              f" p50 {peer[op]['p50_ms']:>6.1f} p99 {peer[op]['p99_ms']:>7.1f} ms cpu "
              f"{peer[op]['cpu_ms_web']}+{peer[op]['cpu_ms_db']} ms | x{ratios[op]['throughput']}"
              )  # fmt: skip
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(json.dumps({"benchmark": "peer_django_helpdesk", "engine": args.engine,
                      "tickets": args.tickets, "concurrency": 8, "opora": ours, "peer": peer,
                      "ratios": ratios, "load_average": os.getloadavg(),
                      "machine": machine()}))  # fmt: skip


if __name__ == "__main__":
    main()
