# ruff: noqa: RUF001
"""The reply coach: etiquette rules an agent's public reply is checked against.

One module for both uses: the composer asks it live while the agent types (through the
API), and every public agent reply is checked once more when it is sent, the result
stored per message (`CoachCheck`) so that reports show each agent's share of replies
meeting the etiquette.

The rules are data: each rule kind below has defaults here, and admins change its
phrases per language, the phrases that lift its warning, the text its one-click fix
inserts, or turn it off (a `CoachRule` row in the console's "Reply coach" section).

Phrases match case-insensitively as whole words; a trailing `*` matches any ending
("тикет*": тикет, тикета, тикеты); an entry starting with `re:` is a regular expression.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import Language, User
from opora.automation.models import CoachCheck, CoachRule
from opora.core import audit
from opora.core import clock as wall_clock
from opora.tickets.models import Message, Ticket

# What a rule looks for: a phrase that must be there, or one that must not.
REQUIRED = "required"
FORBIDDEN = "forbidden"


@dataclass(frozen=True)
class RuleKind:
    key: str
    kind: str  # REQUIRED or FORBIDDEN
    label: object  # lazy text
    hint: object  # lazy text: what the agent sees
    phrases: Mapping[str, tuple[str, ...]]
    unless: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    fix: Mapping[str, str] = field(default_factory=dict)  # {name}: the customer's name


_DATE_OR_TIME = (
    r"re:\b\d{1,2}[:.]\d{2}\b",
    r"re:\b\d{1,2}[./]\d{1,2}([./]\d{2,4})?\b",
)

RULE_KINDS: tuple[RuleKind, ...] = (
    RuleKind(
        key="greeting",
        kind=REQUIRED,
        label=_("Greeting by name"),
        hint=_("Greet the customer by name."),
        phrases={
            Language.EN: ("hello", "hi", "dear", "good morning", "good afternoon", "good evening"),
            Language.RU: (
                "здравствуйте",
                "добрый день",
                "доброе утро",
                "добрый вечер",
                "приветствую",
            ),
        },
        fix={Language.EN: "Hello, {name}!", Language.RU: "Здравствуйте, {name}!"},
    ),
    RuleKind(
        key="thanks",
        kind=REQUIRED,
        label=_("Thanks for the request"),
        hint=_("Thank the customer for the request."),
        phrases={
            Language.EN: ("thank you", "thanks", "thank you for contacting", "we appreciate"),
            Language.RU: ("спасибо", "благодарим", "благодарю"),
        },
    ),
    RuleKind(
        key="closing",
        kind=REQUIRED,
        label=_("Positive closing"),
        hint=_("Close positively and offer further help."),
        phrases={
            Language.EN: (
                "let us know",
                "let me know",
                "happy to help",
                "glad to help",
                "feel free",
                "any other questions",
                "any further questions",
                "have a great day",
                "have a nice day",
            ),
            Language.RU: (
                "обращайтесь",
                "будем рады помочь",
                "буду рад помочь",
                "буду рада помочь",
                "остались вопросы",
                "появятся вопросы",
                "хорошего дня",
                "пишите",
            ),
        },
        fix={
            Language.EN: "If you have any other questions, just reply — we are happy to help.",
            Language.RU: "Если остались вопросы, просто ответьте на это письмо — "
            "будем рады помочь.",
        },
    ),
    RuleKind(
        key="blame",
        kind=FORBIDDEN,
        label=_("Blaming the customer"),
        hint=_("Do not blame the customer."),
        phrases={
            Language.EN: (
                "you should have",
                "you didn't read",
                "you did not read",
                "your fault",
                "as I already said",
                "you failed to",
            ),
            Language.RU: (
                "вы сами виноваты",
                "сами виноваты",
                "надо было",
                "нужно было",
                "вы не прочитали",
                "вы невнимательно",
                "как я уже говорил*",
                "ваша вина",
            ),
        },
    ),
    RuleKind(
        key="shouting",
        kind=FORBIDDEN,
        label=_("Shouting"),
        hint=_("Do not write in capitals: it reads as shouting."),
        # Three capitalised words in a row, or one of ten capitals and more.
        phrases={
            Language.EN: (
                r"re:\b[A-ZА-ЯЁ]{2,}(?:[\s,.!?-]+[A-ZА-ЯЁ]{2,}){2,}\b",
                r"re:\b[A-ZА-ЯЁ]{10,}\b",
            ),
            Language.RU: (
                r"re:\b[A-ZА-ЯЁ]{2,}(?:[\s,.!?-]+[A-ZА-ЯЁ]{2,}){2,}\b",
                r"re:\b[A-ZА-ЯЁ]{10,}\b",
            ),
        },
    ),
    RuleKind(
        key="empty_apology",
        kind=FORBIDDEN,
        label=_("Empty apology"),
        hint=_("An apology needs an action: say what you did or will do."),
        phrases={
            Language.EN: (
                "sorry for the inconvenience",
                "we apologize for the inconvenience",
                "we apologise for the inconvenience",
                "sorry for any inconvenience",
            ),
            Language.RU: (
                "приносим извинения за неудобства",
                "извините за неудобства",
                "просим прощения за неудобства",
                "приносим свои извинения",
            ),
        },
        unless={
            Language.EN: (
                "I have",
                "I've",
                "we have",
                "we've",
                "I will",
                "I'll",
                "we will",
                "we'll",
                "fixed",
                "refunded",
            ),
            Language.RU: (
                "исправил*",
                "вернул*",
                "сделал*",
                "уже",
                "я проверил*",
                "мы проверил*",
                "отправил*",
                "передал*",
            ),
        },
    ),
    RuleKind(
        key="jargon",
        kind=FORBIDDEN,
        label=_("Internal jargon"),
        hint=_("Internal jargon: say it in the customer's words."),
        phrases={
            Language.EN: (
                "L1",
                "L2",
                "L3",
                "SLA",
                "escalate*",
                "backlog",
                r"re:\b(?:JIRA|OPS|DEV|INC)-\d+\b",
            ),
            Language.RU: (
                "L1",
                "L2",
                "L3",
                "SLA",
                "тикет*",
                "эскалир*",
                "бэклог*",
                r"re:\b(?:JIRA|OPS|DEV|INC)-\d+\b",
            ),
        },
    ),
    RuleKind(
        key="callback",
        kind=FORBIDDEN,
        label=_("Callback without a time"),
        hint=_("A promised callback needs a date or a time."),
        phrases={
            Language.EN: ("call you back", "we will call you", "I will call you", "I'll call you"),
            Language.RU: ("перезвоним", "перезвоню", "свяжемся с вами", "свяжусь с вами"),
        },
        unless={
            Language.EN: (
                *_DATE_OR_TIME,
                "today",
                "tomorrow",
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
                "sunday",
                "in an hour",
                "within an hour",
            ),
            Language.RU: (
                *_DATE_OR_TIME,
                "сегодня",
                "завтра",
                "понедельник",
                "вторник",
                "сред*",
                "четверг",
                "пятниц*",
                "суббот*",
                "воскресень*",
                "через час",
                "в течение часа",
                r"re:\b\d{1,2}\s+(?:январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр)",
            ),
        },
    ),
)
KINDS_BY_KEY = {k.key: k for k in RULE_KINDS}
FIXES = ("greeting", "closing")
# How far into a reply its greeting may be, and how near its end its closing.
OPENING_CHARS = 160
CLOSING_CHARS = 300
INVALID_PATTERN = "invalid_pattern"


@dataclass(frozen=True)
class Rule:
    """A rule as it applies now: the kind's defaults overlaid with the admins' row."""

    key: str
    kind: str
    enabled: bool
    phrases: dict[str, list[str]]
    unless: dict[str, list[str]]
    fix: dict[str, str]

    @property
    def label(self) -> str:
        return str(KINDS_BY_KEY[self.key].label)


def _plain(values: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    return {str(lang): list(items) for lang, items in values.items()}


def default_rules() -> list[Rule]:
    """Every rule kind as it ships, before admins change anything."""
    return _rules({})


def rule_set() -> list[Rule]:
    """Every rule kind, with what admins changed (one query)."""
    return _rules({row.key: row for row in CoachRule.objects.all()})


def _rules(rows: dict[str, CoachRule]) -> list[Rule]:
    rules = []
    for kind in RULE_KINDS:
        row = rows.get(kind.key)
        rules.append(
            Rule(
                key=kind.key,
                kind=kind.kind,
                enabled=row.enabled if row else True,
                phrases=_plain(row.phrases) if row and row.phrases else _plain(kind.phrases),
                unless=_plain(row.unless) if row and row.unless else _plain(kind.unless),
                fix=dict(row.fix) if row and row.fix else {str(k): v for k, v in kind.fix.items()},
            )
        )
    return rules


@lru_cache(maxsize=512)
def _pattern(phrase: str) -> re.Pattern[str]:
    """A phrase as a pattern: whole words, any case; `*` at the end: any ending."""
    if phrase.startswith("re:"):
        # Capitals matter to a pattern of capitals (shouting, ticket ids).
        return re.compile(phrase[3:])
    stem = phrase.rstrip("*").strip()
    ending = r"\w*" if phrase.endswith("*") else ""
    words = r"\s+".join(re.escape(w) for w in stem.split())
    return re.compile(rf"(?<!\w){words}{ending}(?!\w)", re.IGNORECASE)


def valid_phrase(phrase: str) -> bool:
    try:
        _pattern(phrase)
    except re.error:
        return False
    return bool(phrase.strip().rstrip("*").strip()) and phrase != "re:"


def _find(text: str, phrases: Iterable[str]) -> str:
    """The first of the phrases the text holds, as written there ("" when none)."""
    for phrase in phrases:
        try:
            found = _pattern(phrase).search(text)
        except re.error:
            continue  # a broken pattern saved before validation: skipped, never a 500
        if found:
            return found.group(0)
    return ""


_PATRONYMIC = re.compile(r"(вич|вна|ична|инична)$", re.IGNORECASE)


def address_name(full_name: str) -> str:
    """How a reply addresses the customer: the first name as the customer wrote it, and
    the patronymic only when the customer wrote one ("Иван Петрович", never guessed).

    "Анна" → "Анна"; "Иван Петрович Сидоров" and "Сидоров Иван Петрович" → "Иван
    Петрович"; "Anna Smith" → "Anna"; an e-mail-like name → "" (no name to use)."""
    words = [w.strip(",") for w in full_name.split() if w.strip(",")]
    if not words or "@" in full_name:
        return ""
    for i, word in enumerate(words[1:], 1):
        if _PATRONYMIC.search(word):
            return f"{words[i - 1]} {word}"
    return words[0]


@dataclass(frozen=True)
class Problem:
    rule: str
    label: str
    hint: str
    found: str = ""  # the words that set a warning off
    fix: str = ""  # the fix's key ("greeting", "closing"), when one click fixes it
    fixed: str = ""  # the whole reply once fixed


@dataclass(frozen=True)
class Advice:
    language: str
    problems: tuple[Problem, ...]

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def rules(self) -> list[str]:
        return [p.rule for p in self.problems]


def _opening(text: str) -> str:
    return text.strip()[:OPENING_CHARS]


def _closing(text: str) -> str:
    return text.strip()[-CLOSING_CHARS:]


def _check_required(rule: Rule, text: str, language: str, name: str) -> bool:
    """Whether a required element is there."""
    phrases = rule.phrases.get(language, [])
    if rule.key == "greeting":
        opening = _opening(text)
        if not _find(opening, phrases):
            return False
        first = name.split()[0] if name else ""
        return not first or _find(opening, [first + "*"]) != ""
    if rule.key == "closing":
        return bool(_find(_closing(text), phrases))
    return bool(_find(text, phrases))


def apply_fix(text: str, fix: str, *, language: str, name: str, rules: list[Rule]) -> str:
    """The reply with the greeting (by name) put first, or the closing put last.

    A greeting without the name is replaced, not doubled."""
    rule = next(r for r in rules if r.key == fix)
    template = rule.fix.get(language) or KINDS_BY_KEY[fix].fix.get(language, "")
    body = text.strip()
    if fix == "greeting":
        greeting = template.replace("{name}", name).replace(", !", "!").replace(" !", "!")
        if not name:
            greeting = re.sub(r",\s*!", "!", template.replace("{name}", "")).strip()
        lines = body.split("\n", 1)
        # A short greeting line of its own (without the name) is replaced.
        if len(lines[0]) <= 60 and _find(lines[0], rule.phrases.get(language, [])):
            body = lines[1].lstrip("\n") if len(lines) > 1 else ""
        return f"{greeting}\n\n{body}".rstrip() + ("\n" if not body else "")
    closing = template.replace("{name}", name)
    return f"{body}\n\n{closing}" if body else closing


def check(
    text: str, *, language: str, customer_name: str = "", rules: list[Rule] | None = None
) -> Advice:
    """What the coach says of this reply: missing etiquette and warnings, each with its
    one-click fix when there is one. Any language other than Russian is checked in English.

    The rules are the reply's language; the hints are in the agent's (the active) one."""
    language = Language.RU if language == Language.RU else Language.EN
    rules = rule_set() if rules is None else rules
    name = address_name(customer_name)
    problems: list[Problem] = []
    for rule in rules:
        if not rule.enabled:
            continue
        kind = KINDS_BY_KEY[rule.key]
        if rule.kind == REQUIRED:
            if _check_required(rule, text, language, name):
                continue
            fixed = ""
            if rule.key in FIXES:
                fixed = apply_fix(text, rule.key, language=language, name=name, rules=rules)
            problems.append(
                Problem(
                    rule.key,
                    rule.label,
                    str(kind.hint),
                    fix=rule.key if fixed else "",
                    fixed=fixed,
                )
            )
            continue
        found = _find(text, rule.phrases.get(language, []))
        if found and not _find(text, rule.unless.get(language, [])):
            problems.append(Problem(rule.key, rule.label, str(kind.hint), found=found))
    return Advice(language=language, problems=tuple(problems))


def check_reply(ticket: Ticket, text: str) -> Advice:
    """The coach on a reply to this ticket: in its language, addressing its requester."""
    return check(text, language=ticket.language, customer_name=ticket.requester.name)


def record_checks(messages: list[Message], *, fresh: bool = False) -> None:
    """Store the coach's verdict on public agent replies as they are sent (once each).

    `fresh`: the messages were written in this transaction, so none has a verdict yet
    (no need to look)."""
    if not messages:
        return
    rules = rule_set()
    done: set[int] = set()
    if not fresh:
        done = set(
            CoachCheck.objects.filter(message__in=messages).values_list("message_id", flat=True)
        )
    todo = [m for m in messages if m.pk not in done and m.author_id is not None]
    about = _languages_and_names(todo)
    rows = []
    for message in todo:
        assert message.author_id is not None  # kept above
        advice = check(
            message.body,
            language=about.get(message.ticket_id, ("", ""))[0],
            customer_name=about.get(message.ticket_id, ("", ""))[1],
            rules=rules,
        )
        rows.append(
            CoachCheck(
                message=message,
                agent_id=message.author_id,
                language=advice.language,
                passed=advice.passed,
                problems=advice.rules,
                created_at=message.created_at or wall_clock.now(),
            )
        )
    CoachCheck.objects.bulk_create(rows, ignore_conflicts=True)


def _languages_and_names(messages: list[Message]) -> dict[int, tuple[str, str]]:
    """Each message's ticket's language and requester's name, by ticket id: as loaded
    with the messages (a reply's ticket comes locked with its requester), the others in
    one look for the batch."""
    about: dict[int, tuple[str, str]] = {}
    for message in messages:
        ticket = message._state.fields_cache.get("ticket")
        if ticket is not None and "requester" in ticket._state.fields_cache:
            requester = ticket._state.fields_cache["requester"]
            about[message.ticket_id] = (ticket.language, requester.name or "")
    missing = {m.ticket_id for m in messages} - about.keys()
    if missing:
        about.update(
            (pk, (language, name or ""))
            for pk, language, name in Ticket.objects.filter(pk__in=missing).values_list(
                "pk", "language", "requester__name"
            )
        )
    return about


@dataclass(frozen=True)
class AgentEtiquette:
    agent_id: int
    name: str
    replies: int
    passed: int
    share: float


def etiquette_by_agent(
    *, start: datetime | None = None, end: datetime | None = None, team_id: int | None = None
) -> list[AgentEtiquette]:
    """Per agent, the share of their public replies sent in [start, end) that met the
    etiquette (every rule on when it was sent), best first."""
    checks = CoachCheck.objects.all()
    if start is not None:
        checks = checks.filter(created_at__gte=start)
    if end is not None:
        checks = checks.filter(created_at__lt=end)
    if team_id is not None:
        checks = checks.filter(message__ticket__team_id=team_id)
    rows = (
        checks.values("agent_id", "agent__name", "agent__email")
        .annotate(replies=Count("id"), ok=Count("id", filter=Q(passed=True)))
        .order_by("agent__name", "agent_id")
    )
    found = [
        AgentEtiquette(
            agent_id=row["agent_id"],
            name=row["agent__name"] or row["agent__email"],
            replies=row["replies"],
            passed=row["ok"],
            share=round(row["ok"] / row["replies"], 4) if row["replies"] else 0.0,
        )
        for row in rows
    ]
    return sorted(found, key=lambda a: (-a.share, a.name, a.agent_id))


RULE_FIELDS = ("enabled", "phrases", "unless", "fix")


@transaction.atomic
def save_rule(
    key: str,
    *,
    enabled: bool,
    phrases: dict[str, list[str]],
    unless: dict[str, list[str]],
    fix: dict[str, str],
    by: User | None,
) -> CoachRule:
    """Store an admin's version of one rule (validated by the caller), audited."""
    row = CoachRule.objects.select_for_update().filter(key=key).first()
    created = row is None
    if row is None:
        current = next(r for r in rule_set() if r.key == key)
        row = CoachRule(key=key, phrases=current.phrases, unless=current.unless, fix=current.fix)
    before = {} if created else audit.snapshot(row, RULE_FIELDS)
    row.enabled = enabled
    row.phrases = phrases
    row.unless = unless
    row.fix = fix
    row.updated_at = wall_clock.now()
    row.save()
    audit.record_change(
        actor=by,
        area="coach",
        action="created" if created else "changed",
        target=row,
        target_type="coach_rule",
        label=key,
        changes=audit.diff(before, audit.snapshot(row, RULE_FIELDS)),
    )
    return row
