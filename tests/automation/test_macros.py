"""Macros: placeholders filled in per language, each action applied, who may write which
macro, and applying one as a single change (all or nothing) that counts its use."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opora.accounts.actions import create_user
from opora.automation import macros
from opora.automation.macros import MacroInput, apply_macro, create_macro, first_name
from opora.automation.models import Macro
from opora.core import clock
from opora.core.errors import Forbidden, NotFound, ValidationFailed
from opora.core.models import AdminChange
from opora.kb import actions as kb
from opora.tickets import actions
from opora.tickets.models import Message
from tests.writes import nothing_written


def personal(by, **kw):
    kw.setdefault("title", "Thanks")
    kw.setdefault("body_en", "Hello {{customer.first_name}}")
    return create_macro(MacroInput(**kw), by=by)


@pytest.fixture
def ivan(db):
    return create_user(email="ivan@client.test", name="Иванов Иван Петрович", by=None)


# Placeholders -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Иванов Иван Петрович", "Иван"),
        ("Иван Петрович", "Иван"),
        ("Петрова Анна Сергеевна", "Анна"),
        ("Анна", "Анна"),
        ("Dana Scully", "Dana"),
        ("", "dana"),
    ],
)
def test_first_name_reads_russian_full_names(name, expected):
    assert first_name(name, "dana@acme.test") == expected


def test_each_placeholder_is_filled_in_the_tickets_language(alice, ivan, make_ticket):
    article = kb.create_article(by=alice, title="Reset", body="How to reset.", status="published")
    macro = personal(
        alice,
        body_en="Hi {{customer.first_name}}, #{{ticket.number}} by {{agent.name}}, "
        "due {{sla.due}}, see {{ kb.ARTICLE }}".replace("ARTICLE", str(article.pk)),
        body_ru="Здравствуйте, {{customer.first_name}}! Заявка {{ticket.number}}, "
        "{{agent.name}}, срок {{sla.due}}, {{kb.ARTICLE}}".replace("ARTICLE", str(article.pk)),
    )
    ticket = make_ticket(ivan, language="ru")
    due = datetime(2030, 1, 2, 9, 30, tzinfo=UTC)
    type(ticket).objects.filter(pk=ticket.pk).update(resolution_due_at=due)
    ticket.refresh_from_db()
    alice.time_zone = "Europe/Moscow"
    alice.save()

    ru = macros.preview_macro(ticket, macro, by=alice)
    assert ru.language == "ru"
    assert ru.body.startswith(
        f"Здравствуйте, Иван! Заявка {ticket.number}, Alice, срок 02.01.2030 12:30 "
        "(Europe/Moscow), http"
    )
    assert ru.body.endswith(f"/help/articles/{article.pk}/")

    ticket.language = "en"
    en = macros.preview_macro(ticket, macro, by=alice)
    assert en.language == "en"
    assert en.body.startswith(f"Hi Иван, #{ticket.number} by Alice, due 2030-01-02 12:30")
    assert en.body.endswith(f"/help/articles/{article.pk}/")


def test_text_falls_back_to_the_other_language(alice, dana, make_ticket):
    macro = personal(alice, body_en="", body_ru="Только по-русски")
    ticket = make_ticket(dana)
    assert ticket.language == "en"
    found = macros.preview_macro(ticket, macro, by=alice)
    assert (found.body, found.language) == ("Только по-русски", "ru")


def test_no_due_date_is_said_in_words(alice, dana, make_ticket):
    macro = personal(alice, body_en="Due: {{sla.due}}", body_ru="Срок: {{sla.due}}")
    ticket = make_ticket(dana)
    assert macros.preview_macro(ticket, macro, by=alice).body == "Due: no due date"


def test_values_are_text_never_placeholders_or_markup(alice, make_ticket):
    sly = create_user(email="sly@x.test", name="{{agent.name}}<b>x</b>", by=None)
    macro = personal(alice, body_en="Hi {{customer.first_name}}")
    ticket = make_ticket(sly)
    done = apply_macro(ticket, macro, by=alice)
    assert done.message is not None
    assert done.message.body == "Hi {{agent.name}}<b>x</b>"
    assert "<b>" not in done.message.body_html


@pytest.mark.parametrize(
    "text", ["{{customer.last_name}}", "{{ ticket.secret }}", "{{kb.999999}}", "{{}}"]
)
def test_unknown_placeholders_are_refused_at_save(alice, text):
    with pytest.raises(ValidationFailed) as refused:
        personal(alice, body_ru="Привет " + text)
    assert refused.value.code == "unknown_placeholder"
    assert refused.value.field == "body_ru"
    assert not Macro.objects.exists()


# Actions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actions_", "check"),
    [
        ({"status": "pending"}, lambda t, a: t.status == "pending"),
        ({"priority": "urgent"}, lambda t, a: t.priority == 4),
        ({"type": "incident"}, lambda t, a: t.type == "incident"),
        ({"line": 2}, lambda t, a: t.line == 2),
        ({"add_tags": ["vip", "Refund Asked"]}, None),
        ({"assignee": "me"}, lambda t, a: t.assignee_id == a.pk),
    ],
)
def test_each_action_is_applied_with_the_reply(alice, dana, make_ticket, actions_, check):
    ticket = make_ticket(dana)
    macro = personal(alice, actions=actions_)
    done = apply_macro(ticket, macro, by=alice)
    assert done.message is not None and not done.message.internal
    if check is None:
        assert set(done.ticket.tags.values_list("name", flat=True)) >= {"vip", "refund-asked"}
    else:
        assert check(done.ticket, alice)


def test_team_removing_tags_and_assigning_a_person(alice, bob, otto, dana, support, billing):
    ticket = actions.create_ticket(
        requester=dana, by=alice, team=support, subject="Bill", body="Wrong", tags=["billing"]
    )
    moved = personal(alice, actions={"team": billing.pk, "remove_tags": ["billing"]})
    done = apply_macro(ticket, moved, by=alice)
    assert done.ticket.team_id == billing.pk
    assert list(done.ticket.tags.values_list("name", flat=True)) == []
    to_otto = personal(alice, title="Otto", actions={"assignee": otto.pk})
    assert apply_macro(done.ticket, to_otto, by=alice).ticket.assignee_id == otto.pk


@pytest.mark.parametrize(
    ("actions_", "field"),
    [
        ({"status": "closed"}, "actions.status"),
        ({"priority": "huge"}, "actions.priority"),
        ({"type": "rant"}, "actions.type"),
        ({"team": 999999}, "actions.team"),
        ({"line": 7}, "actions.line"),
        ({"assignee": 999999}, "actions.assignee"),
        ({"explode": True}, "actions.explode"),
    ],
)
def test_bad_actions_are_refused_at_save(alice, actions_, field):
    with pytest.raises(ValidationFailed) as refused:
        personal(alice, actions=actions_)
    assert refused.value.field == field
    assert not Macro.objects.exists()


# All or nothing, usage ----------------------------------------------------------------


def test_a_refused_action_writes_nothing(alice, otto, dana, make_ticket):
    ticket = make_ticket(dana)  # in Support; Otto is in Billing only
    macro = personal(alice, actions={"priority": "urgent", "assignee": otto.pk})
    with nothing_written(ticket, macro), pytest.raises(ValidationFailed):
        apply_macro(ticket, macro, by=alice)
    assert not Message.objects.filter(ticket=ticket, author=alice).exists()


def test_usage_is_counted_per_apply(alice, dana, make_ticket):
    macro = personal(alice)
    assert (macro.usage_count, macro.last_used_at) == (0, None)
    apply_macro(make_ticket(dana), macro, by=alice)
    at = datetime(2031, 5, 1, 8, 0, tzinfo=UTC)
    with clock.use(lambda: at):
        apply_macro(make_ticket(dana), macro, by=alice)
    macro.refresh_from_db()
    assert (macro.usage_count, macro.last_used_at) == (2, at)


def test_the_agent_may_edit_the_text_before_it_is_sent(alice, dana, make_ticket):
    macro = personal(alice, actions={"status": "pending"})
    done = apply_macro(make_ticket(dana), macro, by=alice, body="My own words")
    assert done.message is not None and done.message.body == "My own words"
    assert done.ticket.status == "pending"


# Who may write and see which macro ----------------------------------------------------


def test_anyone_writes_personal_macros_only_their_own(alice, bob):
    mine = personal(alice)
    assert macros.may_edit_macro(alice, mine)
    assert not macros.may_edit_macro(bob, mine)
    with pytest.raises(NotFound):
        macros.access_macro(bob, mine.pk)  # not even visible


def test_team_macros_are_written_by_the_teams_leads(alice, lena, otto, ada, support, billing):
    team = MacroInput(title="Team", owner_kind="team", team=support.pk, body_en="Hi")
    with pytest.raises(Forbidden):
        create_macro(team, by=alice)  # an agent, not a lead
    other = MacroInput(title="Other", owner_kind="team", team=billing.pk, body_en="Hi")
    with pytest.raises(Forbidden):
        create_macro(other, by=lena)  # a lead, not of Billing
    made = create_macro(team, by=lena)
    assert create_macro(other, by=ada).team_id == billing.pk
    assert macros.access_macro(alice, made.pk) == made  # the team sees it
    with pytest.raises(NotFound):
        macros.access_macro(otto, made.pk)  # another team does not
    with pytest.raises(Forbidden):
        macros.access_macro_for_edit(alice, made.pk)


def test_shared_macros_are_written_by_admins_and_seen_by_all(alice, lena, otto, ada):
    shared = MacroInput(title="Shared", owner_kind="shared", body_en="Hi")
    for nobody in (alice, lena):
        with pytest.raises(Forbidden):
            create_macro(shared, by=nobody)
    made = create_macro(shared, by=ada)
    assert list(macros.picker_macros(otto)) == [made]
    assert not macros.may_edit_macro(lena, made)


def test_customers_have_no_macros(dana, alice):
    personal(alice)
    with pytest.raises(Forbidden):
        macros.visible_macros(dana)


def test_changes_are_audited(alice):
    macro = personal(alice)
    macros.update_macro(macro, MacroInput(title="Renamed", body_en="Hi"), by=alice)
    macros.delete_macro(macro, by=alice)
    kinds = list(AdminChange.objects.filter(area="macros").values_list("action", flat=True))
    assert sorted(kinds) == ["changed", "created", "deleted"]
