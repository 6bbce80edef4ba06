"""The ASGI application: HTTP (Django) and WebSocket (Channels) in one process.

HTTP requests run Django's WSGI handler in a fixed pool of threads (a2wsgi). Django's
own ASGI handler runs every request's synchronous code in a thread of its own, created
for that request: with the views, the ORM and most middleware synchronous, that thread
and the switches around it cost several times what the cheapest requests themselves
cost, and each request opened its own database connection. Measured on the reference
machine, one process answered /healthz 4-5 times and an authenticated API read twice
as often through the thread pool (bench/RESULTS.md). WebSocket connections, which are
asynchronous all the way, stay with Channels.
"""

from __future__ import annotations

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")

from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.wsgi import get_wsgi_application

# Django is set up first: the WebSocket routes import models.
django_application = get_wsgi_application()

from opora.api import grouped  # noqa: E402
from opora.core.lean import LeanAsgi, LeanPaths  # noqa: E402

# Providers' webhooks skip the pages' middleware (`core/lean.py`); the rest is Django's.
web_application = LeanPaths(django_application)
# Their usual updates do not even cross into a thread of the pool: answered in the
# event loop, their writes grouped into one commit (`LeanAsgi`, messengers/webhooks.py);
# so are the API's usual new tickets and replies (api/grouped.py), everything else of
# theirs going through Django whole.
grouped.install()
http_application = LeanAsgi(
    WSGIMiddleware(
        web_application,
        workers=settings.WEB_THREADS,
    )
)

from typing import Any  # noqa: E402

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from opora.agent.presence import presence_urlpatterns  # noqa: E402
from opora.chat.consumers import (  # noqa: E402
    VISITOR_PREFIX,
    agent_urlpatterns,
    visitor_urlpatterns,
)
from opora.core.realtime import websocket_urlpatterns  # noqa: E402
from opora.telephony.consumers import phone_urlpatterns  # noqa: E402

# Browsers must come from an allowed host: their cookies would otherwise let another
# site's page listen in (cross-site WebSocket hijacking). Scripts authenticate with a
# bearer token instead, which no browser page can attach to a WebSocket, and often send
# no Origin at all: for them the origin proves nothing and is not checked.
staff_routes = AuthMiddlewareStack(
    URLRouter(
        [*websocket_urlpatterns, *agent_urlpatterns, *presence_urlpatterns, *phone_urlpatterns]
    )
)
browser_sockets = AllowedHostsOriginValidator(staff_routes)


def _bearer(scope: dict[str, Any]) -> bool:
    return any(
        name == b"authorization" and value[:7].lower() == b"bearer "
        for name, value in scope.get("headers", [])
    )


async def staff_sockets(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if _bearer(scope):
        await staff_routes(scope, receive, send)
    else:
        await browser_sockets(scope, receive, send)


# The chat widget runs on customers' sites: its visitors connect from any origin and
# carry no cookies; the widget key and the signed visitor token say who they are.
visitor_sockets = URLRouter(visitor_urlpatterns)


async def websocket_application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if str(scope.get("path", "")).startswith(VISITOR_PREFIX):
        await visitor_sockets(scope, receive, send)
    else:
        await staff_sockets(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": websocket_application,
    }
)

# Everything loaded so far (Django, the apps, their modules) lives as long as the
# process: kept out of the garbage collector's full passes, which otherwise walk it all
# every few seconds under load and paused live chat deliveries for 150-230 ms
# (bench/chat.py). Collections of young objects run a tenth as often.
gc.collect()
gc.freeze()
_gen0, _gen1, _gen2 = gc.get_threshold()
gc.set_threshold(_gen0 * 10, _gen1, _gen2)
