from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from opora.api.main import api
from opora.console.people import accept_invitation
from opora.core.health import healthz, internal_only, readyz
from opora.core.metrics import metrics_view
from opora.feedback import views as feedback_views
from opora.inbox.unsubscribe import unsubscribe
from opora.portal.urls import root_redirect
from opora.reports import views as report_views

urlpatterns = [
    path("api/v1/", api.urls),
    # Django's own admin, for superusers; the desk's admin console is /admin/.
    path("django-admin/", admin.site.urls),
    path("admin/", include("opora.console.urls")),
    path("invite/<str:token>", accept_invitation, name="invitation-accept"),
    path("healthz", healthz),
    # Help center (knowledge base), public.
    path("help/", include("opora.kb.urls")),
    # The public status page and its badge, from one cached snapshot.
    path("status/", include("opora.monitoring.urls")),
    # Live chat: the widget's script and its HTTP endpoints (any origin).
    path("chat/", include("opora.chat.urls")),
    # Messengers' webhooks (Telegram), authenticated by each bot's secret.
    # Remote-assistance tools' signed reports of a session's start and end.
    path("channels/remote/", include("opora.remote.urls")),
    path("channels/", include("opora.messengers.urls")),
    # Phone lines' webhooks (generic, Twilio, Zadarma), signed with each line's secret.
    path("channels/phone/", include("opora.telephony.urls")),
    # SLA, satisfaction and reports
    path("feedback/<str:token>/", feedback_views.rate, name="feedback-rate"),
    # The List-Unsubscribe link of the desk's notices (signed, one-click POST too).
    path("notices/unsubscribe/<str:token>", unsubscribe, name="notifications-unsubscribe"),
    path("reports/", report_views.dashboard, name="reports-dashboard"),
    path("reports/tickets", report_views.tickets, name="reports-tickets"),
    path("reports/digest", report_views.digest_setting, name="reports-digest"),
    # Production mode: readiness for load balancers, Prometheus metrics.
    path("readyz", internal_only(readyz)),
    path("metrics", internal_only(metrics_view)),
    # Live chat: the widget's script and the demo page.
    path("chat/", include("opora.chat.urls_widget")),
    # Agent workspace, customer portal, sign-in pages.
    path("", root_redirect, name="root"),
    path("agent/", include("opora.agent.urls")),
    path("", include("opora.portal.urls")),
]
