"""Where a messenger message's CPU goes, in one process: the webhook request, the
drain and the deliverer, each timed (CPU ms per message) and, with `--profile`,
profiled (cProfile, by cumulative time).

    scripts/with-postgres env OPORA_PG_DURABLE=1 .venv/bin/python bench/messenger_profile.py
    .venv/bin/python bench/messenger_profile.py -n 300 --profile webhook   # SQLite

The webhook requests go through the same WSGI application `opora serve` runs (the
ASGI wrapper's inner WSGI app: every middleware, or the lean webhook path), posted
one at a time from this process; with `--asgi`, through the ASGI application itself
(`opora.asgi.application`: the event-loop path and its group commit, a2wsgi for the
rest), `--concurrency` at a time from one event loop (uvicorn's HTTP parsing is not
in it); the drain and deliverer jobs are called directly
against the tests' local Telegram and VK servers. The figures exclude the servers'
threads (`time.process_time` counts them: they answer few calls here) only roughly.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


SORT = "cumulative"  # --sort
CALLERS = ""  # --callers: who calls the functions matching it
ONLY = ""  # --only: the profile's lines of these files (a regular expression)


@contextmanager
def measured(name: str, count: int, profile: bool) -> Iterator[None]:
    profiler = cProfile.Profile(time.process_time) if profile else None
    started, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    try:
        yield
    finally:
        if profiler:
            profiler.disable()
        cpu, elapsed = time.process_time() - started, time.perf_counter() - wall
        print(
            f"{name}: {count} in {elapsed:.2f} s, "
            f"{1000 * cpu / max(1, count):.2f} ms CPU each ({count / max(elapsed, 1e-9):.0f}/s)"
        )
        if profiler:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats(SORT)
            stats.print_stats(*([ONLY] if ONLY else []), 45)
            if CALLERS:
                stats.print_callers(CALLERS)
            print(out.getvalue())


def wsgi_post(app: Callable[..., Any], path: str, body: bytes, headers: dict[str, str]) -> int:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    status: list[str] = []

    def start_response(line: str, _headers: Any, _exc: Any = None) -> None:
        status.append(line)

    result = app(environ, start_response)
    try:
        b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close:
            close()
    return int(status[0].split()[0])


def asgi_post_all(
    app: Callable[..., Any], path: str, bodies: list[bytes],
    headers: dict[str, str] | Callable[[bytes], dict[str, str]], concurrency: int,
) -> list[int]:  # fmt: skip
    """Post every body through the ASGI application, `concurrency` at a time; `headers`
    may be each body's own (a WhatsApp body's signature)."""
    import asyncio

    def raw_headers(body: bytes) -> list[tuple[bytes, bytes]]:
        given = headers(body) if callable(headers) else headers
        return [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json")] + [
            (k.lower().encode(), v.encode()) for k, v in given.items()
        ]

    async def one(body: bytes) -> int:
        raw = raw_headers(body)
        sent: list[dict[str, Any]] = []
        given = False

        async def receive() -> dict[str, Any]:
            nonlocal given
            if given:
                await asyncio.sleep(3600)
            given = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 5000),
            "headers": [*raw, (b"content-length", str(len(body)).encode())],
        }  # fmt: skip
        await app(scope, receive, send)
        return int(sent[0]["status"])

    async def run() -> list[int]:
        queue = iter(bodies)
        statuses: list[int] = []

        async def worker() -> None:
            for body in queue:
                statuses.append(await one(body))  # noqa: PERF401 - awaited one by one

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return statuses

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument(
        "--profile", action="append", default=[],
        choices=["webhook", "vk", "drain", "vkdrain", "whatsapp", "wadrain", "replies"],
    )  # fmt: skip
    parser.add_argument(
        "--warm", type=int, default=0,
        help="first take this many updates of each format in, unmeasured (imports, caches)",
    )  # fmt: skip
    parser.add_argument("--asgi", action="store_true", help="webhooks through the ASGI app")
    parser.add_argument("--sort", default="cumulative", help="the profile's order (pstats)")
    parser.add_argument("--callers", default="", help="also list who calls these functions")
    parser.add_argument("--only", default="", help="profile lines of these files only (regex)")
    parser.add_argument("--concurrency", type=int, default=8, help="with --asgi")
    args = parser.parse_args()
    global SORT, CALLERS, ONLY
    SORT, CALLERS, ONLY = args.sort, args.callers, args.only
    os.environ.setdefault("OPORA_DATA_DIR", tempfile.mkdtemp(prefix="opora-msgprof-"))
    os.environ.setdefault("OPORA_SECRET_KEY", "bench-only-key")
    os.environ["DJANGO_SETTINGS_MODULE"] = "opora.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from tests.messengers.telegram_server import TOKEN as TG_TOKEN
    from tests.messengers.telegram_server import TelegramServer
    from tests.messengers.vk_server import GROUP_ID, VkServer
    from tests.messengers.vk_server import SECRET as VK_SECRET
    from tests.messengers.vk_server import TOKEN as VK_TOKEN
    from tests.messengers.whatsapp_server import ACCESS_TOKEN as WA_TOKEN
    from tests.messengers.whatsapp_server import PHONE_NUMBER_ID, WhatsAppServer
    from tests.messengers.whatsapp_server import VERSION as WA_VERSION

    from bench.messengers import (
        PHOTO,
        WA_SECRET,
        plan,
        telegram_updates,
        vk_events,
        whatsapp_bodies,
        whatsapp_signature,
    )

    telegram, vk, whatsapp = TelegramServer().start(), VkServer().start(), WhatsAppServer().start()
    telegram.add_file("bench-photo", PHOTO, "photos/bench.png")
    vk.add_file("photo.png", PHOTO)
    whatsapp.add_media("bench-photo", PHOTO, "image/png")

    import opora.asgi
    from opora.accounts.actions import create_team, create_user

    # The application `opora serve` runs (the lean webhook path first, where there is one).
    django_application = getattr(opora.asgi, "web_application", opora.asgi.django_application)
    from opora.messengers.actions import create_bot
    from opora.messengers.tasks import (
        deliver_replies_task,
        drain_telegram_task,
        drain_vk_task,
        drain_whatsapp_task,
    )
    from opora.messengers.vk.actions import create_community
    from opora.messengers.whatsapp.actions import create_number
    from opora.tickets.actions import add_message
    from opora.tickets.models import Ticket

    admin = create_user(email="admin@bench.test", name="Admin", role="admin", by=None)
    agent = create_user(
        email="agent@bench.test", name="Agent", role="agent", support_line=1, by=admin
    )
    team = create_team(name="Messengers", by=admin, members=[agent.pk])
    bot = create_bot(
        by=admin,
        values={"name": "Bench bot", "token": TG_TOKEN, "api_base": telegram.url,
                "team": team.pk, "mode": "webhook"},
    )  # fmt: skip
    community = create_community(
        by=admin,
        values={"name": "Bench VK", "group_id": GROUP_ID, "token": VK_TOKEN,
                "secret_key": VK_SECRET, "api_base": vk.url, "team": team.pk},
    )  # fmt: skip
    number = create_number(
        by=admin,
        values={"name": "Bench WhatsApp", "phone_number_id": PHONE_NUMBER_ID,
                "access_token": WA_TOKEN, "app_secret": WA_SECRET, "api_base": whatsapp.url,
                "api_version": WA_VERSION, "team": team.pk},
    )  # fmt: skip
    # The warm-up's updates are the mix's last ones: other ids, other people.
    mix = plan(args.n + args.warm, follow_ups=0.3, photos=0.05, seed=7)
    updates = [json.dumps(u).encode() for _x, u in telegram_updates(mix)]
    events = [json.dumps(e).encode() for _x, e in vk_events(mix, f"{vk.url}/files")]
    bodies = [b for _x, b in whatsapp_bodies(mix)]
    profile = set(args.profile)
    headers = {"X-Telegram-Bot-Api-Secret-Token": bot.webhook_secret}
    paths = {
        "telegram": f"/channels/telegram/{bot.pk}/webhook",
        "vk": f"/channels/vk/{community.pk}/callback",
        "whatsapp": f"/channels/whatsapp/{number.pk}/webhook",
    }
    # Warm up (the URLconf, the first connection): a refused request of each kind.
    for path in paths.values():
        wsgi_post(django_application, path, b"{}", {})
    if args.warm:
        for body in updates[args.n :]:
            wsgi_post(django_application, paths["telegram"], body, headers)
        for body in events[args.n :]:
            wsgi_post(django_application, paths["vk"], body, {})
        for body in bodies[args.n :]:
            wsgi_post(django_application, paths["whatsapp"], body, whatsapp_signature(body))
        with measured("warm-up drains", 3 * args.warm, False):
            drain_telegram_task.call()
            drain_vk_task.call()
            drain_whatsapp_task.call()
        updates, events, bodies = updates[: args.n], events[: args.n], bodies[: args.n]
    try:
        with measured("telegram webhook", len(updates), "webhook" in profile):
            if args.asgi:
                statuses = asgi_post_all(
                    opora.asgi.application, f"/channels/telegram/{bot.pk}/webhook", updates,
                    headers, args.concurrency,
                )  # fmt: skip
                assert set(statuses) == {200}, statuses
            for body in updates if not args.asgi else []:
                status = wsgi_post(
                    django_application, f"/channels/telegram/{bot.pk}/webhook", body, headers
                )
                assert status == 200, status
        with measured("telegram drain", len(updates), "drain" in profile):
            drain_telegram_task.call()
        with measured("vk callback", len(events), "vk" in profile):
            if args.asgi:
                statuses = asgi_post_all(
                    opora.asgi.application, f"/channels/vk/{community.pk}/callback", events,
                    {}, args.concurrency,
                )  # fmt: skip
                assert set(statuses) == {200}, statuses
            for body in events if not args.asgi else []:
                status = wsgi_post(
                    django_application, f"/channels/vk/{community.pk}/callback", body, {}
                )
                assert status == 200, status
        with measured("vk drain", len(events), "vkdrain" in profile):
            drain_vk_task.call()
        with measured("whatsapp webhook", len(bodies), "whatsapp" in profile):
            if args.asgi:
                statuses = asgi_post_all(
                    opora.asgi.application, paths["whatsapp"], bodies, whatsapp_signature,
                    args.concurrency,
                )  # fmt: skip
                assert set(statuses) == {200}, statuses
            for body in bodies if not args.asgi else []:
                status = wsgi_post(
                    django_application, paths["whatsapp"], body, whatsapp_signature(body)
                )
                assert status == 200, status
        with measured("whatsapp drain", len(bodies), "wadrain" in profile):
            drain_whatsapp_task.call()
        tickets = list(Ticket.objects.filter(channel__in=["telegram", "vk"]).order_by("id"))
        for i in range(args.n):
            add_message(tickets[i % len(tickets)], by=agent, body="Found it: arrives tomorrow.")
        with measured("replies", args.n, "replies" in profile):
            deliver_replies_task.call("telegram", str(bot.pk))
            deliver_replies_task.call("vk", str(community.pk))
    finally:
        telegram.stop()
        vk.stop()
        whatsapp.stop()


if __name__ == "__main__":
    main()
