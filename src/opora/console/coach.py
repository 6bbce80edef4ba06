"""The reply coach's screens of the console: each agent's share of public replies that
met the etiquette in a period (team leads and admins), and the rules (admins): on/off,
phrases per language, the phrases that lift a warning, the text of a one-click fix."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from opora.accounts.models import Language
from opora.automation import actions, coach
from opora.automation.selectors import access_coach_report, access_coach_rules
from opora.console.access import forbidden, section_required
from opora.console.context import console_context
from opora.core import clock
from opora.core.errors import Forbidden, OporaError
from opora.pages import current_user

coach_section = section_required("coach")
DEFAULT_DAYS = 30
LANGUAGES = (Language.EN, Language.RU)


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@require_http_methods(["GET"])
@coach_section
def report_page(request: HttpRequest) -> HttpResponse:
    try:
        access_coach_report(current_user(request))
    except Forbidden:
        return forbidden(request)
    today = clock.now().astimezone(UTC).date()
    end = _day(request.GET.get("end", "")) or today
    start = _day(request.GET.get("start", "")) or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    rows = coach.etiquette_by_agent(
        start=datetime.combine(start, time.min, tzinfo=UTC),
        end=datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC),
    )
    context = console_context(
        request, "coach_report", rows=rows, start=start.isoformat(), end=end.isoformat()
    )
    return render(request, "console/coach_report.html", context)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@require_http_methods(["GET", "POST"])
@coach_section
def rules_page(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    try:
        access_coach_rules(user)
    except Forbidden:
        return forbidden(request)
    status = 200
    error = ""
    if request.method == "POST":
        key = request.POST.get("key", "")
        try:
            actions.configure_coach_rule(
                by=user,
                key=key,
                enabled=request.POST.get("enabled") == "on",
                phrases={
                    lang: _lines(request.POST.get(f"phrases_{lang}", "")) for lang in LANGUAGES
                },
                unless={lang: _lines(request.POST.get(f"unless_{lang}", "")) for lang in LANGUAGES},
                fix={
                    lang: request.POST.get(f"fix_{lang}", "").strip()
                    for lang in LANGUAGES
                    if request.POST.get(f"fix_{lang}", "").strip()
                }
                or None,
            )
        except OporaError as exc:
            error, status = exc.message, 400
        else:
            messages.success(request, _("Saved."))
            return redirect(f"{request.path}#rule-{key}")
    rules = [
        {
            "rule": rule,
            "hint": coach.KINDS_BY_KEY[rule.key].hint,
            "phrases": [(lang, "\n".join(rule.phrases.get(lang, []))) for lang in LANGUAGES],
            "unless": [(lang, "\n".join(rule.unless.get(lang, []))) for lang in LANGUAGES],
            "fix": [(lang, rule.fix.get(lang, "")) for lang in LANGUAGES] if rule.fix else [],
        }
        for rule in coach.rule_set()
    ]
    context = console_context(request, "coach", rules=rules, error=error)
    return render(request, "console/coach_rules.html", context, status=status)
