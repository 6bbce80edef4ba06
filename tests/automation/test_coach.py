# ruff: noqa: RUF001
"""The reply coach: each rule in English and Russian, its one-click fixes, the rules as
admins' data, the live check, and each agent's share of replies meeting the etiquette."""

from __future__ import annotations

import pytest
from django.utils.translation import override

from opora.automation import coach
from opora.automation.models import CoachCheck, CoachRule
from opora.tickets import actions
from tests.writes import nothing_written

GOOD = {
    "en": "Hello, Anna!\n\nThank you for your request. I have reset your password.\n\n"
    "If you have any other questions, let us know.",
    "ru": "Здравствуйте, Анна!\n\nСпасибо за обращение. Я сбросил ваш пароль.\n\n"
    "Если остались вопросы — обращайтесь.",
}


def problems(text: str, language: str, name: str = "Анна Смирнова", *, stored: bool = False):
    """The rules a reply misses: with the shipped rules, or (stored) the admins' ones."""
    rules = coach.rule_set() if stored else coach.default_rules()
    return coach.check(text, language=language, customer_name=name, rules=rules).rules


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_polite_reply_passes_every_rule(language):
    name = "Anna Smith" if language == "en" else "Анна Смирнова"
    assert problems(GOOD[language], language, name) == []


@pytest.mark.parametrize(
    ("language", "name", "text", "missing"),
    [
        ("en", "Anna Smith", "Your password is reset.", True),
        ("en", "Anna Smith", "Hello!\n\nYour password is reset.", True),  # no name
        ("en", "Anna Smith", "Hello Anna,\n\nYour password is reset.", False),
        ("ru", "Анна Смирнова", "Пароль сброшен.", True),
        ("ru", "Анна Смирнова", "Здравствуйте!\n\nПароль сброшен.", True),
        ("ru", "Анна Смирнова", "Здравствуйте, Анна!\n\nПароль сброшен.", False),
        ("ru", "Иван Петрович Сидоров", "Добрый день, Иван Петрович!\n\nГотово.", False),
    ],
)
def test_the_customer_is_greeted_by_name(language, name, text, missing):
    assert ("greeting" in problems(text, language, name)) is missing


@pytest.mark.parametrize(
    ("full", "address"),
    [
        ("Анна", "Анна"),
        ("Анна Смирнова", "Анна"),
        ("Иван Петрович Сидоров", "Иван Петрович"),
        ("Сидоров Иван Петрович", "Иван Петрович"),
        ("Anna Smith", "Anna"),
        ("anna@example.com", ""),
        ("", ""),
    ],
)
def test_the_name_is_the_customers_own_never_a_guessed_patronymic(full, address):
    assert coach.address_name(full) == address


@pytest.mark.parametrize(
    ("language", "text", "missing"),
    [
        ("en", "Hello Anna, the fix is live.", True),
        ("en", "Hello Anna, thanks for reporting this.", False),
        ("ru", "Здравствуйте, Анна! Исправление выложено.", True),
        ("ru", "Здравствуйте, Анна! Благодарим за обращение.", False),
    ],
)
def test_the_customer_is_thanked(language, text, missing):
    assert ("thanks" in problems(text, language)) is missing


@pytest.mark.parametrize(
    ("language", "text", "missing"),
    [
        ("en", "Hello Anna, thanks. Done.", True),
        ("en", "Hello Anna, thanks. Done. Feel free to write again.", False),
        ("ru", "Здравствуйте, Анна, спасибо. Готово.", True),
        ("ru", "Здравствуйте, Анна, спасибо. Готово. Будем рады помочь снова.", False),
    ],
)
def test_the_reply_closes_with_an_offer_of_help(language, text, missing):
    assert ("closing" in problems(text, language)) is missing


@pytest.mark.parametrize(
    ("language", "rule", "bad", "fine"),
    [
        ("en", "blame", "You should have read the manual.", "The manual explains it."),
        ("en", "blame", "You didn't read my last e-mail.", "As my last e-mail said, it works."),
        ("ru", "blame", "Вы сами виноваты, пароль был простой.", "Пароль был простой."),
        ("ru", "blame", "Вы не прочитали инструкцию.", "В инструкции это есть."),
        ("en", "shouting", "PLEASE DO NOT RESTART the server.", "Please do not restart it."),
        ("ru", "shouting", "НЕ ПЕРЕЗАГРУЖАЙТЕ СЕРВЕР.", "Не перезагружайте сервер, SLA."),
        (
            "en",
            "empty_apology",
            "Sorry for the inconvenience.",
            "Sorry for the inconvenience: I have refunded the order.",
        ),
        (
            "ru",
            "empty_apology",
            "Приносим извинения за неудобства.",
            "Приносим извинения за неудобства, я уже вернул деньги.",
        ),
        ("en", "jargon", "I moved it to L2.", "I passed it to our engineers."),
        ("en", "jargon", "See JIRA-1234.", "Our engineers are on it."),
        ("ru", "jargon", "Я эскалировал ваш тикет.", "Я передал обращение инженерам."),
        ("ru", "jargon", "По SLA ответим через час.", "Ответим в течение часа."),
        ("en", "callback", "We will call you back.", "We will call you back tomorrow at 10:00."),
        ("ru", "callback", "Мы вам перезвоним.", "Мы перезвоним завтра в 10:00."),
        ("ru", "callback", "Перезвоню.", "Перезвоню 12 марта."),
    ],
)
def test_warnings_in_both_languages(language, rule, bad, fine):
    assert rule in problems(bad, language)
    assert rule not in problems(fine, language)


def test_a_warning_names_the_words_that_set_it_off():
    with override("en"):  # the agent's language, whatever a previous test left active
        advice = coach.check(
            "Я эскалировал ваш тикет.",
            language="ru",
            customer_name="Анна",
            rules=coach.default_rules(),
        )
        jargon = next(p for p in advice.problems if p.rule == "jargon")
        assert jargon.found.lower() in ("эскалировал", "тикет")
        assert str(jargon.hint) == "Internal jargon: say it in the customer's words."
    with override("ru"):  # the hint is in the agent's language
        advice = coach.check("Тикет", language="ru", rules=coach.default_rules())
    assert advice.problems[-1].hint == "Внутренний жаргон: скажите это словами клиента."


@pytest.mark.parametrize(
    ("language", "name", "draft", "greeted"),
    [
        ("en", "Anna Smith", "Your password is reset.", "Hello, Anna!\n\nYour password is reset."),
        (
            "en",
            "Anna Smith",
            "Hi!\nYour password is reset.",
            "Hello, Anna!\n\nYour password is reset.",
        ),
        ("ru", "Анна Смирнова", "Пароль сброшен.", "Здравствуйте, Анна!\n\nПароль сброшен."),
        (
            "ru",
            "Сидоров Иван Петрович",
            "Пароль сброшен.",
            "Здравствуйте, Иван Петрович!\n\nПароль сброшен.",
        ),
        ("ru", "ivan@example.com", "Пароль сброшен.", "Здравствуйте!\n\nПароль сброшен."),
    ],
)
def test_one_click_inserts_the_greeting_with_the_first_name(language, name, draft, greeted):
    advice = coach.check(draft, language=language, customer_name=name, rules=coach.default_rules())
    greeting = next(p for p in advice.problems if p.rule == "greeting")
    assert greeting.fix == "greeting"
    assert greeting.fixed == greeted


@pytest.mark.parametrize("language", ["en", "ru"])
def test_one_click_inserts_the_closing_and_the_warning_is_gone(language):
    draft = GOOD[language].rsplit("\n\n", 1)[0]
    advice = coach.check(
        draft, language=language, customer_name="Anna / Анна", rules=coach.default_rules()
    )
    closing = next(p for p in advice.problems if p.rule == "closing")
    assert closing.fixed.startswith(draft)
    assert "closing" not in problems(closing.fixed, language)


def test_rules_are_data_admins_turn_off_and_extend(db):
    CoachRule.objects.create(key="jargon", enabled=True, phrases={"en": ["KB-team"]})
    assert "jargon" in problems("Ask the KB-team.", "en", stored=True)
    # the admins' list replaced the default one
    assert "jargon" not in problems("It is in L2.", "en", stored=True)
    CoachRule.objects.create(key="thanks", enabled=False)
    assert "thanks" not in problems("Hello Anna.", "en", stored=True)


def test_admins_edit_a_rule_through_the_api_and_others_may_not(api, ada, lena):
    body = {"enabled": True, "phrases": {"en": ["backend"], "ru": ["бэкенд*"]}}
    lead, admin = api(lena), api(ada)
    with nothing_written():
        refused = lead.post("/coach/rules/jargon", body)
    assert (refused.status_code, refused.json()["code"]) == (403, "admins_only")
    with nothing_written():
        bad = admin.post("/coach/rules/jargon", {"enabled": True, "phrases": {"en": ["re:("]}})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_phrase")
    assert admin.post("/coach/rules/nope", {"enabled": True}).status_code == 422
    saved = admin.post("/coach/rules/jargon", body)
    assert saved.status_code == 200
    assert saved.json()["phrases"] == body["phrases"]
    assert "jargon" in problems("Это ошибка бэкенда.", "ru", stored=True)
    keys = [r["key"] for r in admin.get("/coach/rules").json()]
    assert keys == [k.key for k in coach.RULE_KINDS]


def test_the_composer_checks_a_draft_live_and_writes_nothing(api, alice, dana, make_ticket):
    ticket = make_ticket(dana)
    agent = api(alice)
    with nothing_written():
        answer = agent.post(
            f"/tickets/{ticket.number}/coach", {"body": "Done. YOU SHOULD HAVE ASKED"}
        )
    data = answer.json()
    assert answer.status_code == 200 and not data["passed"]
    rules = [p["rule"] for p in data["problems"]]
    assert {"greeting", "thanks", "closing", "blame", "shouting"} <= set(rules)
    greeting = next(p for p in data["problems"] if p["rule"] == "greeting")
    assert greeting["fixed"].startswith("Hello, Dana!")


def test_a_customer_cannot_use_the_coach(api, dana, make_ticket):
    ticket = make_ticket(dana)
    assert api(dana).post(f"/tickets/{ticket.number}/coach", {"body": "x"}).status_code == 403


def test_each_agent_sees_the_share_of_replies_meeting_the_etiquette(
    django_capture_on_commit_callbacks, api, alice, bob, lena, dana, make_ticket
):
    ticket = make_ticket(dana)
    polite = GOOD["en"].replace("Anna", "Dana")
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(ticket, by=alice, body=polite)
        actions.add_message(ticket, by=alice, body="Done.")
        actions.add_message(ticket, by=bob, body=polite)
        actions.add_message(ticket, by=bob, body="Internal: L2 please", internal=True)
        actions.add_message(ticket, by=dana, body="Thanks!")
    # one verdict per public agent reply, none for notes or the customer's words
    assert CoachCheck.objects.count() == 3
    shares = api(lena).get("/coach/report").json()
    assert [(r["name"], r["replies"], r["passed"], r["share"]) for r in shares] == [
        ("Bob", 1, 1, 1.0),
        ("Alice", 2, 1, 0.5),
    ]
    assert api(alice).get("/coach/report").status_code == 403
    bad = api(lena).get("/coach/report?start=2026-03-02&end=2026-03-01")
    assert bad.json()["code"] == "invalid_period"


def test_console_admins_edit_rules_and_leads_read_the_report(client, ada, lena, alice):
    client.force_login(ada)
    page = client.get("/admin/coach/rules")
    assert page.status_code == 200 and 'data-rule="callback"' in page.content.decode()
    saved = client.post(
        "/admin/coach/rules",
        {"key": "shouting", "phrases_en": "re:\\bHEY\\b", "phrases_ru": "re:\\bЭЙ\\b"},
    )
    assert saved.status_code == 302
    rule = CoachRule.objects.get(key="shouting")
    assert (rule.enabled, rule.phrases["en"]) == (False, ["re:\\bHEY\\b"])
    with nothing_written():
        refused = client.post("/admin/coach/rules", {"key": "jargon", "phrases_en": "re:("})
    assert refused.status_code == 400
    client.force_login(lena)
    assert client.get("/admin/coach/").status_code == 200
    assert client.get("/admin/coach/rules").status_code == 403
    client.force_login(alice)
    assert client.get("/admin/coach/").status_code == 403


def test_the_kpi_dashboard_shows_leads_each_agents_etiquette_share(
    django_capture_on_commit_callbacks, client, alice, bob, lena, dana, make_ticket
):
    ticket = make_ticket(dana)
    polite = GOOD["en"].replace("Anna", "Dana")
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(ticket, by=alice, body=polite)
        actions.add_message(ticket, by=alice, body="Done.")
        actions.add_message(ticket, by=bob, body=polite)
    client.force_login(lena)
    page = client.get("/reports/").content.decode()
    panel = page[page.index('data-panel="etiquette-by-agent"') :]
    panel = panel[: panel.index("</section>")]
    assert "Bob (1)" in panel and "100%" in panel
    assert "Alice (2)" in panel and "50%" in panel
    assert "/admin/coach/?start=" in panel
    # one agent's row with the agent filter
    only = client.get(f"/reports/?agent={alice.pk}").content.decode()
    only = only[only.index('data-panel="etiquette-by-agent"') :]
    only = only[: only.index("</section>")]
    assert "Alice (2)" in only and "Bob (1)" not in only
    # an agent sees the KPIs but not the colleagues' etiquette shares
    client.force_login(alice)
    page = client.get("/reports/")
    assert page.status_code == 200 and "etiquette-by-agent" not in page.content.decode()
