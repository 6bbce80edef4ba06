"""The REST API under /api/v1: OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs."""

from __future__ import annotations

from opora.accounts.tokens import ADMIN, TICKETS
from opora.api import accounts, tickets
from opora.api import audit as audit_api
from opora.api import automation as automation_api
from opora.api import chat as chat_api
from opora.api import coach as coach_api
from opora.api import complaints as complaints_api
from opora.api import crm as crm_api
from opora.api import ideas as ideas_api
from opora.api import kb as kb_api
from opora.api import kb_synonyms as kb_synonyms_api
from opora.api import macros as macros_api
from opora.api import mailboxes as mailboxes_api
from opora.api import me as me_api
from opora.api import monitoring as monitoring_api
from opora.api import people as _people  # noqa: F401 - adds its operations to accounts.router
from opora.api import phone as phone_api
from opora.api import remote as remote_api
from opora.api import reports as reports_api
from opora.api import routing as routing_api
from opora.api import search as search_api
from opora.api import sla as sla_api
from opora.api import sso as sso_api
from opora.api import telegram as telegram_api
from opora.api import ticket_people as ticket_people_api
from opora.api import triage as triage_api
from opora.api import triggers as triggers_api
from opora.api import vk as vk_api
from opora.api import whatsapp as whatsapp_api
from opora.api.common import AUTH, OporaAPI, install_error_handlers

api = OporaAPI(
    title="Opora API",
    version="1",
    description=(
        "Help desk API. Get a token with POST /api/v1/auth/token, then send "
        "`Authorization: Bearer <token>`. A token has scopes (`read`: GET only; "
        "`tickets`: read and ticket work; `admin`: all the user's role allows); each "
        "operation names the scope it needs in `x-opora-scope`, and a token without it "
        "answers 403 `token_scope`. Errors answer 4xx with "
        '`{"detail", "code", "errors": [{"field", "code", "message"}]}`.'
    ),
    auth=AUTH,
    urls_namespace="api",
)
install_error_handlers(api)
# Which token scope each router's writes need (reads need `read`; single operations
# override with `needs_scope`): ticket work is `tickets`, settings and directories `admin`.
api.add_router("", accounts.router, writes=ADMIN)
api.add_router("", tickets.router, writes=TICKETS)
api.add_router("", sla_api.router, writes=TICKETS)
api.add_router("", reports_api.router, writes=ADMIN)
api.add_router("", kb_api.router, writes=ADMIN)
api.add_router("", kb_synonyms_api.router, writes=ADMIN)
api.add_router("", search_api.router, writes=TICKETS)
api.add_router("", automation_api.router, writes=ADMIN)
api.add_router("", coach_api.router, writes=ADMIN)
api.add_router("", mailboxes_api.router, writes=ADMIN)
api.add_router("", chat_api.router, writes=TICKETS)
api.add_router("", sso_api.router, writes=ADMIN)
api.add_router("", ticket_people_api.router, writes=TICKETS)
# One's own profile and password: the token's full power, as the accounts router.
api.add_router("", me_api.router, writes=ADMIN)
api.add_router("", audit_api.router, writes=ADMIN)
api.add_router("", routing_api.router, writes=ADMIN)
api.add_router("", macros_api.router, writes=TICKETS)
api.add_router("", triggers_api.router, writes=ADMIN)
api.add_router("", triage_api.router, writes=ADMIN)
api.add_router("", telegram_api.router, writes=ADMIN)
api.add_router("", vk_api.router, writes=ADMIN)
api.add_router("", remote_api.tools_router, writes=ADMIN)
api.add_router("", remote_api.sessions_router, writes=TICKETS)
api.add_router("", phone_api.router, writes=ADMIN)
api.add_router("", phone_api.calls_router, writes=TICKETS)
api.add_router("", whatsapp_api.router, writes=ADMIN)
api.add_router("", whatsapp_api.tickets_router, writes=TICKETS)
api.add_router("", monitoring_api.router, writes=ADMIN)
api.add_router("", ideas_api.router, writes=TICKETS)
api.add_router("", crm_api.router, writes=ADMIN)
api.add_router("", crm_api.records_router, writes=TICKETS)
api.add_router("", complaints_api.router, writes=ADMIN)
