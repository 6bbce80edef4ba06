"""The admin console's shell and its knowledge-base editor, as people use the pages."""

# ruff: noqa: RUF001

from __future__ import annotations

import re

import pytest
from django.test import Client

from opora.kb import actions
from opora.kb.models import Article, ArticleVersion, Category
from opora.tickets import actions as tickets
from tests.writes import nothing_written


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def draft(by, title="Reset the router", body="Unplug it for **ten** seconds.", **kw) -> Article:
    return actions.create_article(by=by, title=title, body=body, **kw)


def editor_form(**fields) -> dict[str, str]:
    return {
        "title": "Reset the router",
        "language": "en",
        "category": "",
        "tags": "router, network",
        "body": "Unplug it for **ten** seconds.",
        **fields,
    }


# The shell and who may use it


@pytest.mark.parametrize("who", ["ada", "lena", "alice"])
def test_admins_leads_and_agents_who_may_edit_articles_open_the_console(who, request, db):
    # given someone of the desk signed in
    client = signed_in(request.getfixturevalue(who))
    # when they open /admin/
    home = client.get("/admin/")
    # then they land in the knowledge base, with the section in the sidebar and the
    # Admin link in the main navigation
    assert (home.status_code, home["Location"]) == (302, "/admin/kb/")
    page = client.get("/admin/kb/").content.decode()
    assert 'data-section="kb"' in page
    assert "data-console-nav" in page
    assert 'href="/admin/kb/categories/"' in page


def test_customers_get_the_403_page_and_visitors_are_asked_to_sign_in(dana):
    for path in ("/admin/", "/admin/kb/", "/admin/kb/categories/"):
        refused = signed_in(dana).get(path)
        assert refused.status_code == 403
        assert "data-forbidden" in refused.content.decode()
        visitor = Client().get(path)
        assert visitor.status_code == 302 and visitor["Location"].startswith("/signin")


def test_the_agent_navigation_links_the_console(client, alice, dana, make_ticket):
    ticket = make_ticket(dana)
    client.force_login(alice)
    page = client.get(f"/agent/tickets/{ticket.number}").content.decode()
    assert 'href="/admin/"' in page


def test_djangos_admin_moved_to_django_admin_for_administrators_only(ada, alice):
    assert signed_in(ada).get("/django-admin/").status_code == 200
    refused = signed_in(alice).get("/django-admin/")
    assert refused.status_code == 302 and "/django-admin/login/" in refused["Location"]
    assert "site-name" not in signed_in(ada).get("/admin/kb/").content.decode()


def test_a_customer_posting_to_the_editor_writes_nothing(dana, alice):
    article = draft(alice)
    client = signed_in(dana)
    with nothing_written(article):
        answers = [
            client.post("/admin/kb/articles/new", editor_form(action="publish")),
            client.post(f"/admin/kb/articles/{article.pk}/", editor_form(action="publish")),
            client.post(f"/admin/kb/articles/{article.pk}/versions/1/restore"),
            client.post(f"/admin/kb/articles/{article.pk}/translations/add"),
            client.post("/admin/kb/categories/", {"slug": "x", "name_en": "X", "name_ru": "Х"}),
            client.post("/admin/kb/preview", {"body": "hi"}),
        ]
    assert [a.status_code for a in answers] == [403] * 6


# The editor and each state change


def test_an_agent_writes_saves_submits_and_publishes_an_article(alice):
    client = signed_in(alice)
    # when Alice writes a new article and saves the draft
    saved = client.post("/admin/kb/articles/new", editor_form(action="save"))
    article = Article.objects.get()
    assert saved["Location"] == f"/admin/kb/articles/{article.pk}/"
    assert (article.status, article.tags, article.author) == ("draft", ["router", "network"], alice)
    assert Client().get(f"/help/articles/{article.pk}/").status_code == 404
    # then sends it for review, publishes it
    client.post(f"/admin/kb/articles/{article.pk}/", editor_form(action="review"))
    article.refresh_from_db()
    assert article.status == "in_review"
    client.post(f"/admin/kb/articles/{article.pk}/", editor_form(action="publish"))
    article.refresh_from_db()
    assert article.status == "published"
    assert "ten" in Client().get(f"/help/articles/{article.pk}/").content.decode()
    # and unpublishes it: the help center no longer shows it
    client.post(f"/admin/kb/articles/{article.pk}/", editor_form(action="unpublish"))
    article.refresh_from_db()
    assert article.status == "archived"
    assert Client().get(f"/help/articles/{article.pk}/").status_code == 404
    notes = list(article.versions.order_by("number").values_list("status", flat=True))
    assert notes == ["draft", "in_review", "published", "archived"]


def test_an_internal_article_is_published_for_the_desk_only(alice):
    client = signed_in(alice)
    client.post("/admin/kb/articles/new", editor_form(internal="on", action="publish"))
    article = Article.objects.get()
    assert (article.status, article.internal) == ("internal", True)
    assert Client().get(f"/help/articles/{article.pk}/").status_code == 404


def test_the_editor_shows_only_the_state_changes_that_apply(alice):
    article = draft(alice, status="published")
    page = signed_in(alice).get(f"/admin/kb/articles/{article.pk}/").content.decode()
    assert 'data-action="unpublish"' in page
    assert 'data-action="publish"' not in page
    assert 'data-action="review"' not in page
    assert "console/kb-editor.js" in page


def test_a_refused_state_change_saves_nothing_either(alice):
    article = draft(alice, status="published")
    client = signed_in(alice)
    with nothing_written(article):
        answer = client.post(
            f"/admin/kb/articles/{article.pk}/", editor_form(title="Changed", action="review")
        )
    assert answer.status_code == 400
    assert "Only a draft or an unpublished article" in answer.content.decode()


def test_bad_input_is_shown_beside_the_form_and_writes_nothing(alice):
    client = signed_in(alice)
    with nothing_written():
        answer = client.post("/admin/kb/articles/new", editor_form(title="", body=""))
        unknown = client.post("/admin/kb/articles/new", editor_form(category="999"))
    assert (answer.status_code, unknown.status_code) == (400, 400)


# Live preview


def test_the_preview_renders_markdown_with_the_help_centers_renderer(alice):
    answer = signed_in(alice).post("/admin/kb/preview", {"body": "Open **Billing**."})
    assert answer.status_code == 200
    assert answer.content.decode() == "<p>Open <strong>Billing</strong>.</p>\n"


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "[click](javascript:alert(1))",
        '<img src=x onerror="alert(1)">',
        "![x](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a> <iframe src="https://evil.test"></iframe>',
    ],
)
def test_the_preview_never_returns_script(alice, hostile):
    html = signed_in(alice).post("/admin/kb/preview", {"body": hostile}).content.decode()
    tags = re.findall(r"<[a-z][^>]*>", html.lower())  # real tags; escaped text has &lt;
    assert not [t for t in tags if t.startswith(("<script", "<iframe", "<img"))]
    assert not [t for t in tags if "javascript:" in t or "onerror" in t]


def test_the_preview_needs_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/admin/kb/preview", {"body": "x"}).status_code == 403


# Translations side by side


def test_add_translation_makes_a_prefilled_draft_beside_the_original(alice):
    english = draft(alice, status="published")
    client = signed_in(alice)
    # when Alice adds the Russian translation
    client.post(f"/admin/kb/articles/{english.pk}/translations/add")
    # then a Russian draft of the same group holds the English text to translate
    russian = Article.objects.get(language="ru")
    assert (russian.group, russian.status, russian.body) == (english.group, "draft", english.body)
    page = client.get(f"/admin/kb/articles/{english.pk}/translations").content.decode()
    assert 'data-column="en"' in page and 'data-column="ru"' in page
    assert "data-add-translation" not in page
    # and saving the Russian column changes only the Russian article
    client.post(
        f"/admin/kb/articles/{russian.pk}/translations/save",
        {"title": "Перезагрузите роутер", "body": "Выключите его на десять секунд."},
    )
    russian.refresh_from_db()
    english.refresh_from_db()
    assert russian.title == "Перезагрузите роутер"
    assert english.title == "Reset the router"


def test_a_second_translation_in_the_same_language_is_refused(alice):
    english = draft(alice)
    actions.add_translation(english, by=alice)
    client = signed_in(alice)
    with nothing_written(english):
        client.post(f"/admin/kb/articles/{english.pk}/translations/add")
    assert Article.objects.count() == 2


# History


def test_restoring_a_version_adds_a_new_version_and_keeps_history(alice):
    article = draft(alice, body="First text.")
    actions.update_article(article, actions.ArticleChanges(body="Second text."), by=alice)
    client = signed_in(alice)
    page = client.get(f"/admin/kb/articles/{article.pk}/history?diff=1").content.decode()
    assert "data-diff" in page and "-First text." in page and "+Second text." in page
    # when Alice restores version 1
    client.post(f"/admin/kb/articles/{article.pk}/versions/1/restore")
    # then version 3 has the first text, and versions 1 and 2 are as they were
    article.refresh_from_db()
    assert (article.version, article.body) == (3, "First text.")
    bodies = list(ArticleVersion.objects.filter(article=article).values_list("number", "body"))
    assert bodies == [(1, "First text."), (2, "Second text."), (3, "First text.")]
    assert "restored v1" in client.get(f"/admin/kb/articles/{article.pk}/history").content.decode()


def test_restoring_a_missing_version_is_a_404(alice):
    article = draft(alice)
    client = signed_in(alice)
    with nothing_written(article):
        answer = client.post(f"/admin/kb/articles/{article.pk}/versions/9/restore")
    assert answer.status_code == 404


# Turn a solved ticket into an article


def test_turn_into_article_opens_the_editor_with_the_agents_answer(alice, dana, make_ticket):
    # given a solved ticket: the customer's question, the agent's answer with a signature
    # and quoted history, and the customer's thanks
    ticket = make_ticket(dana, subject="Invoice missing", body="Where is my March invoice???")
    tickets.add_message(
        ticket,
        by=alice,
        body="Invoices are under Billing → Documents.\n\n-- \nAlice, Support\n\n"
        "On Mon, 2 Mar 2026, Dana <dana@acme.test> wrote:\n> Where is my March invoice???",
    )
    tickets.update_ticket(ticket, tickets.TicketChanges(status="solved"), by=alice)
    client = signed_in(alice)
    assert (
        'action="/admin/kb/from-ticket/'
        in client.get(f"/agent/tickets/{ticket.number}").content.decode()
    )
    # when Alice turns it into an article
    answer = client.post(f"/admin/kb/from-ticket/{ticket.number}")
    # then the editor opens on a draft of the answer alone, titled by the subject
    article = Article.objects.get()
    assert answer["Location"] == f"/admin/kb/articles/{article.pk}/"
    assert (article.title, article.status) == ("Invoice missing", "draft")
    assert article.body == "Invoices are under Billing → Documents."
    assert "March invoice" not in article.body


def test_an_unsolved_ticket_stays_a_ticket(alice, dana, make_ticket):
    ticket = make_ticket(dana)
    client = signed_in(alice)
    with nothing_written(ticket):
        answer = client.post(f"/admin/kb/from-ticket/{ticket.number}")
    assert answer["Location"] == f"/agent/tickets/{ticket.number}"


def test_someone_elses_ticket_is_not_found(otto, dana, make_ticket, alice):
    ticket = make_ticket(dana)
    tickets.add_message(ticket, by=alice, body="Answer.")
    tickets.update_ticket(ticket, tickets.TicketChanges(status="solved"), by=alice)
    client = signed_in(otto)
    with nothing_written(ticket):
        answer = client.post(f"/admin/kb/from-ticket/{ticket.number}")
    assert answer.status_code == 404


# The list


def test_the_list_filters_by_status_language_audience_category_and_title(alice):
    router = Category.objects.create(slug="router", name_en="Router", name_ru="Роутер")
    draft(alice, title="Reset the router", category=router.pk)
    draft(alice, title="VPN drops", status="published")
    draft(alice, title="Admin password", status="internal")
    draft(alice, title="Сброс пароля", language="ru")
    client = signed_in(alice)
    every = ("Reset the router", "VPN drops", "Admin password", "Сброс пароля")

    def titles(**query) -> list[str]:
        page = client.get("/admin/kb/", query).content.decode()
        return sorted(t for t in every if t in page)

    assert titles(status="published") == ["VPN drops"]
    assert titles(language="ru") == ["Сброс пароля"]
    assert titles(audience="internal") == ["Admin password"]
    assert titles(category=str(router.pk)) == ["Reset the router"]
    assert titles(q="vpn") == ["VPN drops"]
    assert titles(status="nonsense", page="x") == sorted(every)


def test_the_list_has_pages(alice):
    for n in range(27):
        draft(alice, title=f"Article {n:02}")
    client = signed_in(alice)
    first = client.get("/admin/kb/").content.decode()
    second = client.get("/admin/kb/", {"page": "2"}).content.decode()
    assert first.count("data-article=") == 25 and second.count("data-article=") == 2
    assert 'rel="next"' in first and 'rel="prev"' in second


# Categories


def test_categories_are_added_renamed_reordered_and_nested(alice):
    client = signed_in(alice)
    for slug, en, ru in [("billing", "Billing", "Оплата"), ("network", "Network", "Сеть")]:
        client.post(
            "/admin/kb/categories/",
            {"slug": slug, "name_en": en, "name_ru": ru, "parent": "", "position": "0"},
        )
    billing, network = Category.objects.get(slug="billing"), Category.objects.get(slug="network")
    # move Network up: it comes first
    client.post(f"/admin/kb/categories/{network.pk}/move", {"direction": "up"})
    assert list(Category.objects.order_by("position").values_list("slug", flat=True)) == [
        "network",
        "billing",
    ]
    # rename Billing and put it inside Network
    client.post(
        f"/admin/kb/categories/{billing.pk}/",
        {
            "slug": "invoices",
            "name_en": "Invoices",
            "name_ru": "Счета",
            "parent": str(network.pk),
            "position": "0",
        },
    )
    billing.refresh_from_db()
    assert (billing.slug, billing.name_ru, billing.parent_id) == ("invoices", "Счета", network.pk)
    page = client.get("/admin/kb/categories/").content.decode()
    assert page.index('data-category="network"') < page.index('data-category="invoices"')
    # a category cannot go inside its own child
    with nothing_written(network):
        answer = client.post(
            f"/admin/kb/categories/{network.pk}/",
            {
                "slug": "network",
                "name_en": "Network",
                "name_ru": "Сеть",
                "parent": str(billing.pk),
                "position": "0",
            },
        )
    assert answer.status_code == 400
    assert "inside itself" in answer.content.decode()


def test_a_category_with_articles_is_not_deleted(alice):
    category = Category.objects.create(slug="billing", name_en="Billing", name_ru="Оплата")
    draft(alice, category=category.pk)
    client = signed_in(alice)
    with nothing_written(category):
        answer = client.post(f"/admin/kb/categories/{category.pk}/delete", follow=True)
    assert "still has articles" in answer.content.decode()
    Article.objects.all().delete()
    client.post(f"/admin/kb/categories/{category.pk}/delete")
    assert not Category.objects.exists()


def test_a_duplicate_slug_is_refused_beside_the_field(alice):
    Category.objects.create(slug="billing", name_en="Billing", name_ru="Оплата")
    client = signed_in(alice)
    with nothing_written():
        answer = client.post(
            "/admin/kb/categories/",
            {"slug": "billing", "name_en": "B", "name_ru": "Б", "parent": "", "position": "0"},
        )
    assert answer.status_code == 400
    assert "slug exists" in answer.content.decode()


def test_the_console_speaks_russian(alice):
    alice.language = "ru"
    alice.save()
    page = signed_in(alice).get("/admin/kb/").content.decode()
    assert "База знаний" in page and "Новая статья" in page
