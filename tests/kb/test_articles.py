"""Articles through the API: fields, permissions, versions with diffs, votes and views."""

from __future__ import annotations

import pytest
from django.test import Client

from opora.kb.actions import ArticleChanges, update_article
from opora.kb.models import Category
from tests.writes import nothing_written

ARTICLE_FIELDS = {
    "id", "title", "body", "body_html", "language", "status", "internal", "category", "tags",
    "author", "version", "view_count", "helpful_yes", "helpful_no", "translations", "url",
    "created_at", "updated_at",
}  # fmt: skip


def test_an_agent_creates_gets_lists_and_updates_an_article(api, alice):
    # given
    desk = api(alice)
    category = desk.post(
        "/kb/categories", {"slug": "billing", "name_en": "Billing", "name_ru": "Оплата"}
    ).json()
    # when
    created = desk.post(
        "/kb/articles",
        {
            "title": "Download an invoice",
            "body": "Open **Billing** → Documents.",
            "language": "en",
            "status": "published",
            "category": category["id"],
        },
    )
    # then
    assert created.status_code == 201
    article = created.json()
    assert set(article) == ARTICLE_FIELDS
    assert article["body_html"] == "<p>Open <strong>Billing</strong> → Documents.</p>\n"
    assert (article["language"], article["status"], article["category"]) == (
        "en",
        "published",
        category["id"],
    )
    got = desk.get(f"/kb/articles/{article['id']}").json()
    assert got["title"] == "Download an invoice"
    listed = desk.get("/kb/articles", {"lang": "en"}).json()
    assert [a["id"] for a in listed["items"]] == [article["id"]]
    changed = desk.patch(f"/kb/articles/{article['id']}", {"title": "Get an invoice"}).json()
    assert changed["title"] == "Get an invoice"
    assert changed["version"] == 2


def test_markdown_cannot_smuggle_scripts(api, alice):
    body = "<script>alert(1)</script>\n\n[click](javascript:alert(1))"
    article = api(alice).post("/kb/articles", {"title": "x", "body": body}).json()
    assert "<script>" not in article["body_html"]
    assert 'href="javascript' not in article["body_html"]


@pytest.mark.parametrize("who", ["dana", "anonymous"])
def test_customers_and_visitors_cannot_write_articles(api, who, request, make_article, make_ticket):
    # given a published article, a category and a solved ticket of Dana's
    article = make_article("Reset your router")
    category = Category.objects.create(slug="network", name_en="Network", name_ru="Сеть")
    ticket = make_ticket(request.getfixturevalue("dana"))
    client = api(None if who == "anonymous" else request.getfixturevalue(who))
    # when they try every write of the desk
    with nothing_written(article, category, ticket):
        answers = [
            client.post("/kb/articles", {"title": "Mine", "body": "text"}),
            client.post(
                "/kb/articles", {"title": "Мой", "body": "x", "translation_of": article.pk}
            ),
            client.patch(f"/kb/articles/{article.pk}", {"title": "Hijacked"}),
            client.delete(f"/kb/articles/{article.pk}"),
            client.post("/kb/categories", {"slug": "mine", "name_en": "Mine", "name_ru": "Моё"}),
            client.post(f"/kb/articles/from-ticket/{ticket.number}"),
        ]
    # then a customer is refused and a visitor asked to sign in
    expected = (403, "agents_only") if who == "dana" else (401, "unauthorized")
    assert [(a.status_code, a.json()["code"]) for a in answers] == [expected] * len(answers)


def test_bad_input_is_a_clear_error(api, alice, make_article):
    desk = api(alice)
    article = make_article("Reset your router")
    with nothing_written(article):
        answers = [
            desk.post("/kb/articles", {"title": "x", "body": "y", "status": "secret"}),
            desk.post("/kb/articles", {"title": " ", "body": "y"}),
            desk.post("/kb/articles", {"title": "x", "body": "y", "category": 4242}),
            desk.patch(f"/kb/articles/{article.pk}", {"title": " ", "note": "blank"}),
            desk.patch(f"/kb/articles/{article.pk}", {"body": "y", "status": "secret"}),
            desk.post("/kb/categories", {"slug": "Not A Slug", "name_en": "x", "name_ru": "x"}),
        ]
    assert [(a.status_code, a.json()["errors"][0]["field"]) for a in answers] == [
        (422, "status"),
        (422, "title"),
        (422, "category"),
        (422, "title"),
        (422, "status"),
        (422, "slug"),
    ]


@pytest.fixture
def three(make_article):
    return {
        "published": make_article("Reset your router", "Unplug the router for ten seconds."),
        "internal": make_article(
            "Router reset for staff", "Staff reset the router remotely.", status="internal"
        ),
        "draft": make_article("Router reset draft", "Router notes.", status="draft"),
    }


@pytest.mark.parametrize("who", ["anonymous", "dana", "charlie"])
def test_only_published_articles_reach_customers_and_visitors(api, three, who, request):
    client = api(None if who == "anonymous" else request.getfixturevalue(who))
    # search
    found = {r["id"] for r in client.get("/kb/search", {"q": "router reset"}).json()}
    assert found == {three["published"].pk}
    # list
    listed = {a["id"] for a in client.get("/kb/articles").json()["items"]}
    assert listed == {three["published"].pk}
    # direct access answers "not found", as if it did not exist, and counts no view or vote
    for hidden in ("internal", "draft"):
        with nothing_written(three[hidden]):
            assert client.get(f"/kb/articles/{three[hidden].pk}").status_code == 404
            vote = client.post(f"/kb/articles/{three[hidden].pk}/vote", {"helpful": True})
        assert (vote.status_code, vote.json()["code"]) == (404, "not_found")
    # suggestions while typing
    suggested = {r["id"] for r in client.get("/kb/suggest", {"q": "router"}).json()}
    assert suggested == {three["published"].pk}


def test_agents_find_internal_articles_too(api, alice, three):
    found = {r["id"] for r in api(alice).get("/kb/search", {"q": "router reset"}).json()}
    assert found == {three["published"].pk, three["internal"].pk, three["draft"].pk}


def test_unpublishing_hides_an_article_from_search_at_once(api, alice, three):
    update_article(three["published"], ArticleChanges(status="internal"), by=alice)
    assert api(None).get("/kb/search", {"q": "router"}).json() == []


def test_every_change_is_a_version_with_a_diff(api, alice, make_article):
    # given
    article = make_article("Pay by card", "Add a card in Billing.\nWe charge it monthly.")
    desk = api(alice)
    # when the text changes twice
    desk.patch(
        f"/kb/articles/{article.pk}",
        {"body": "Add a card in Billing.\nWe charge it on the renewal date.", "note": "dates"},
    )
    desk.patch(f"/kb/articles/{article.pk}", {"status": "internal"})
    # then the history has three versions
    versions = desk.get(f"/kb/articles/{article.pk}/versions").json()
    assert [(v["number"], v["status"]) for v in versions] == [
        (1, "published"),
        (2, "published"),
        (3, "internal"),
    ]
    assert versions[1]["note"] == "dates"
    assert versions[1]["author"] == "Alice"
    # and the diff of version 2 shows the changed line
    diff = desk.get(f"/kb/articles/{article.pk}/versions/2/diff").json()
    assert diff["previous"] == 1
    assert "-We charge it monthly." in diff["diff"]
    assert "+We charge it on the renewal date." in diff["diff"]
    assert "+Add a card" not in diff["diff"]


def test_customers_cannot_read_the_history(api, dana, make_article):
    article = make_article("Pay by card")
    assert api(dana).get(f"/kb/articles/{article.pk}/versions").status_code == 403
    assert api(dana).get(f"/kb/articles/{article.pk}/versions/1/diff").status_code == 403


def test_saving_without_changes_adds_no_version(alice, make_article):
    article = make_article("Same", "Same text")
    article = update_article(article, ArticleChanges(title="Same", body="Same text"), by=alice)
    assert article.version == 1
    assert article.versions.count() == 1


def test_votes_count_once_per_visitor_and_can_change(api, dana, dave, make_article):
    # given
    article = make_article("Was I helpful?")
    path = f"/kb/articles/{article.pk}/vote"
    # when two customers vote yes, one of them twice
    api(dana).post(path, {"helpful": True})
    api(dana).post(path, {"helpful": True})
    last = api(dave).post(path, {"helpful": True}).json()
    # then each counts once
    assert (last["helpful_yes"], last["helpful_no"]) == (2, 0)
    # when one changes their mind
    last = api(dave).post(path, {"helpful": False}).json()
    assert (last["helpful_yes"], last["helpful_no"]) == (1, 1)


def test_anonymous_visitors_vote_once_per_session(make_article):
    article = make_article("Anonymous vote")
    visitor = Client()
    path = f"/api/v1/kb/articles/{article.pk}/vote"
    for _ in range(2):
        answer = visitor.post(path, {"helpful": False}, content_type="application/json")
    assert answer.status_code == 200
    assert (answer.json()["helpful_yes"], answer.json()["helpful_no"]) == (0, 1)
    other = Client().post(path, {"helpful": False}, content_type="application/json")
    assert other.json()["helpful_no"] == 2


def test_readers_views_are_counted_agents_views_are_not(api, alice, dana, make_article):
    article = make_article("Counted")
    api(None).get(f"/kb/articles/{article.pk}")
    api(dana).get(f"/kb/articles/{article.pk}")
    seen = api(alice).get(f"/kb/articles/{article.pk}").json()
    assert seen["view_count"] == 2


def test_translations_are_linked(api, alice):
    desk = api(alice)
    en = desk.post("/kb/articles", {"title": "Printer", "body": "x", "status": "published"}).json()
    ru = desk.post(
        "/kb/articles",
        {
            "title": "Принтер",
            "body": "x",
            "language": "ru",
            "status": "published",
            "translation_of": en["id"],
        },
    ).json()
    assert desk.get(f"/kb/articles/{en['id']}").json()["translations"] == {"ru": ru["id"]}
    with nothing_written():
        again = desk.post(
            "/kb/articles",
            {"title": "Ещё", "body": "x", "language": "ru", "translation_of": en["id"]},
        )
    assert again.status_code == 422
    assert again.json()["code"] == "translation_exists"


def test_a_solved_ticket_becomes_a_draft_article(api, alice, dana, make_ticket):
    # given a solved ticket with an agent's answer
    from opora.tickets import actions

    ticket = make_ticket(dana, subject="Invoice missing")
    actions.add_message(ticket, by=alice, body="Invoices are under Billing → Documents.")
    desk = api(alice)
    with nothing_written(ticket):
        assert desk.post(f"/kb/articles/from-ticket/{ticket.number}").status_code == 422
    actions.update_ticket(ticket, actions.TicketChanges(status="solved"), by=alice)
    # when
    draft = desk.post(f"/kb/articles/from-ticket/{ticket.number}")
    # then
    assert draft.status_code == 201
    article = draft.json()
    assert (article["title"], article["status"]) == ("Invoice missing", "draft")
    assert "Invoices are under Billing" in article["body"]
    assert api(dana).get(f"/kb/articles/{article['id']}").status_code == 404
