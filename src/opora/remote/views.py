"""`POST /channels/remote/<tool id>/events`: a self-hosted tool reports that a session
started or ended.

Signed as the desk's own outbound webhooks are: `X-Opora-Timestamp` and
`X-Opora-Signature: sha256=HMAC(secret, "<timestamp>.<body>")` with the tool's secret,
within five minutes of now. A request without the right signature (or for a tool
without a secret) gets 403 before its body is read and stores nothing. The body:

    {"event": "started" | "ended", "session": <the desk's session id>
     | "session_id": "<the id given in the invitation>", "at": "<ISO 8601>" (optional)}

A report of what is recorded already (a retry) answers 200 with `"outcome":
"already"` and writes nothing.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from opora.core import jsonin
from opora.core.errors import NOT_FOUND, OporaError
from opora.remote import actions, errors
from opora.remote.models import RemoteSession, RemoteTool
from opora.sla.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

logger = logging.getLogger("opora.remote")
MAX_BODY_BYTES = 16 * 1024
EVENTS = ("started", "ended")


def _refusal(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    return JsonResponse(
        {
            "detail": message,
            "code": code,
            "errors": [{"field": field, "code": code, "message": message}],
        },
        status=status,
    )


def _body(request: HttpRequest) -> bytes | None:
    """At most MAX_BODY_BYTES of the body; None when it is longer."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return None
    body = request.read(MAX_BODY_BYTES + 1)
    return None if len(body) > MAX_BODY_BYTES else body


def _session(tool: RemoteTool, data: dict[str, Any]) -> RemoteSession | None:
    sessions = RemoteSession.objects.filter(tool=tool)
    pk = data.get("session")
    if isinstance(pk, int) and not isinstance(pk, bool):
        return sessions.filter(pk=pk).first()
    code = data.get("session_id")
    if isinstance(code, str) and code.strip():
        # The latest session with that id: an id is reused for the customer's next one.
        return sessions.filter(code=" ".join(code.split())).order_by("-invited_at", "-id").first()
    return None


def _at(value: Any) -> datetime | bool | None:
    """The reported moment; False when it cannot be read."""
    if value is None:
        return None
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return False


@csrf_exempt
@require_POST
def tool_events(request: HttpRequest, tool_id: int) -> HttpResponse:
    tool = RemoteTool.objects.filter(pk=tool_id).first()
    secret = tool.secret if tool is not None else ""
    body = _body(request)
    if body is None:
        return _refusal(413, errors.TOO_LARGE, _("The request is too large."))
    signed = verify(
        secret,
        request.headers.get(TIMESTAMP_HEADER, ""),
        request.headers.get(SIGNATURE_HEADER, ""),
        body,
        now=time.time(),
    )
    if tool is None or not signed:
        logger.warning("remote tool %s: event refused, bad signature", tool_id)
        return _refusal(403, errors.BAD_SIGNATURE, _("The signature is missing or wrong."))
    try:
        data = jsonin.loads(body)
    except jsonin.BadJson:
        return _refusal(400, errors.BAD_EVENT, _("The body is not valid JSON."))
    if not isinstance(data, dict) or data.get("event") not in EVENTS:
        return _refusal(400, errors.BAD_EVENT, _("Say which event: “started” or “ended”."), "event")
    at = _at(data.get("at"))
    if at is False:
        return _refusal(400, errors.INVALID_TIME, _("Give the time in ISO 8601."), "at")
    session = _session(tool, data)
    if session is None:
        return _refusal(404, NOT_FOUND, _("No such session of this tool."), "session")
    already = session.ended_at if data["event"] == "ended" else session.started_at
    if already is not None:
        return JsonResponse({"ok": True, "outcome": "already", "session": session.pk})
    step = actions.start_session if data["event"] == "started" else actions.end_session
    try:
        step(session, by=None, at=at if isinstance(at, datetime) else None)
    except OporaError as exc:
        return _refusal(exc.status, exc.code, exc.message, exc.field)
    return JsonResponse({"ok": True, "outcome": data["event"], "session": session.pk})
