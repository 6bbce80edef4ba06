"""The editor's actions through the REST API: state changes, restore, translation,
preview and categories, with their refusals in the standard shape, writing nothing."""

from __future__ import annotations

import pytest

from opora.api.main import api as opora_api
from opora.kb import actions
from opora.kb.models import Article, ArticleVersion, Category
from tests.writes import nothing_written


@pytest.fixture
def article(alice) -> Article:
    return actions.create_article(by=alice, title="Reset the router", body="Unplug it.")


def test_an_article_goes_from_draft_to_review_to_published_to_unpublished(api, alice, article):
    desk = api(alice)
    url = f"/kb/articles/{article.pk}"
    reviewed = desk.post(f"{url}/submit-for-review")
    assert (reviewed.status_code, reviewed.json()["status"]) == (200, "in_review")
    published = desk.post(f"{url}/publish")
    assert (published.json()["status"], published.json()["version"]) == ("published", 3)
    assert api(None).get(url).status_code == 200
    unpublished = desk.post(f"{url}/unpublish")
    assert unpublished.json()["status"] == "archived"
    assert api(None).get(url).status_code == 404
    # the desk still opens it, and may publish it again
    assert desk.get(url).json()["status"] == "archived"
    assert desk.get("/kb/articles", {"status": "archived"}).json()["count"] == 1
    assert desk.post(f"{url}/publish").json()["status"] == "published"


@pytest.mark.parametrize(
    ("status", "move"),
    [("published", "publish"), ("draft", "unpublish"), ("published", "submit-for-review")],
)
def test_a_move_that_does_not_apply_is_a_422_and_writes_nothing(api, alice, status, move):
    article = actions.create_article(by=alice, title="Printer", body="Restart.", status=status)
    desk = api(alice)
    with nothing_written(article):
        answer = desk.post(f"/kb/articles/{article.pk}/{move}")
    assert answer.status_code == 422
    assert answer.json()["code"] == "bad_transition"
    assert answer.json()["detail"]


def test_an_internal_article_publishes_for_the_desk_only(api, alice):
    desk = api(alice)
    created = desk.post(
        "/kb/articles", {"title": "VPN keys", "body": "In the vault.", "internal": True}
    )
    assert (created.json()["status"], created.json()["internal"]) == ("draft", True)
    published = desk.post(f"/kb/articles/{created.json()['id']}/publish").json()
    assert published["status"] == "internal"
    assert api(None).get(f"/kb/articles/{published['id']}").status_code == 404
    public = desk.patch(f"/kb/articles/{published['id']}", {"internal": False}).json()
    assert public["status"] == "published"


@pytest.mark.parametrize(
    "move", ["publish", "unpublish", "submit-for-review", "versions/1/restore"]
)
def test_customers_cannot_change_articles(api, alice, dana, move):
    article = actions.create_article(by=alice, title="Printer", body="Restart.", status="published")
    customer = api(dana)
    with nothing_written(article):
        answer = customer.post(f"/kb/articles/{article.pk}/{move}")
    assert answer.status_code == 403
    assert answer.json()["code"] == "agents_only"


def test_a_draft_is_not_found_for_customers(api, dana, article):
    customer = api(dana)
    with nothing_written(article):
        answer = customer.post(f"/kb/articles/{article.pk}/publish")
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")


def test_restore_adds_a_version_with_the_old_text(api, alice, article):
    desk = api(alice)
    desk.patch(f"/kb/articles/{article.pk}", {"body": "Unplug it for ten seconds."})
    restored = desk.post(f"/kb/articles/{article.pk}/versions/1/restore")
    assert restored.status_code == 200
    assert (restored.json()["body"], restored.json()["version"]) == ("Unplug it.", 3)
    versions = desk.get(f"/kb/articles/{article.pk}/versions").json()
    assert [(v["number"], v["note"]) for v in versions] == [
        (1, "created"),
        (2, ""),
        (3, "restored v1"),
    ]
    diff = desk.get(f"/kb/articles/{article.pk}/versions/3/diff", {"since": 2}).json()
    assert "-Unplug it for ten seconds." in diff["diff"] and "+Unplug it." in diff["diff"]
    assert diff["previous"] == 2


def test_restore_refuses_the_current_text_and_a_missing_version(api, alice, article):
    desk = api(alice)
    with nothing_written(article):
        same = desk.post(f"/kb/articles/{article.pk}/versions/1/restore")
        missing = desk.post(f"/kb/articles/{article.pk}/versions/7/restore")
        no_diff = desk.get(f"/kb/articles/{article.pk}/versions/1/diff", {"since": 7})
    assert (same.status_code, same.json()["code"]) == (422, "same_as_current")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert no_diff.status_code == 404
    assert ArticleVersion.objects.count() == 1


def test_add_translation_starts_the_other_language(api, alice, article):
    desk = api(alice)
    russian = desk.post(f"/kb/articles/{article.pk}/translation")
    assert russian.status_code == 201
    body = russian.json()
    assert (body["language"], body["status"], body["body"]) == ("ru", "draft", "Unplug it.")
    assert body["translations"] == {"en": article.pk}
    with nothing_written(article):
        again = desk.post(f"/kb/articles/{article.pk}/translation")
    assert (again.status_code, again.json()["code"]) == (422, "translation_exists")


def test_the_preview_renders_and_sanitizes(api, alice, dana):
    desk, customer = api(alice), api(dana)
    html = desk.post(
        "/kb/preview", {"body": "**Hi** <script>alert(1)</script> [x](javascript:alert(1))"}
    ).json()["html"]
    assert "<strong>Hi</strong>" in html
    assert "<script" not in html and 'href="javascript' not in html
    with nothing_written():
        refused = customer.post("/kb/preview", {"body": "x"})
        bad = desk.post("/kb/preview", {"text": "x"})
    assert (refused.status_code, refused.json()["code"]) == (403, "agents_only")
    assert bad.status_code == 422


def test_the_list_filters_by_title_and_audience(api, alice):
    desk = api(alice)
    actions.create_article(by=alice, title="VPN drops", body="x", status="published")
    actions.create_article(by=alice, title="Vault keys", body="x", status="internal")
    assert [a["title"] for a in desk.get("/kb/articles", {"q": "vpn"}).json()["items"]] == [
        "VPN drops"
    ]
    internal = desk.get("/kb/articles", {"internal": "true"}).json()["items"]
    assert [a["title"] for a in internal] == ["Vault keys"]


# Categories


def test_a_category_is_renamed_moved_and_deleted_when_empty(api, alice):
    desk = api(alice)
    top = desk.post(
        "/kb/categories", {"slug": "billing", "name_en": "Billing", "name_ru": "Оплата"}
    )
    sub = desk.post(
        "/kb/categories",
        {"slug": "cards", "name_en": "Cards", "name_ru": "Карты", "parent": top.json()["id"]},
    ).json()
    renamed = desk.patch(
        f"/kb/categories/{sub['id']}", {"name_en": "Bank cards", "position": 3, "parent": None}
    )
    assert renamed.status_code == 200
    assert (renamed.json()["name_en"], renamed.json()["parent"], renamed.json()["position"]) == (
        "Bank cards",
        None,
        3,
    )
    assert desk.delete(f"/kb/categories/{sub['id']}").status_code == 204
    assert not Category.objects.filter(pk=sub["id"]).exists()


def test_a_category_with_articles_or_children_is_not_deleted(api, alice):
    desk = api(alice)
    top = Category.objects.create(slug="billing", name_en="Billing", name_ru="Оплата")
    child = Category.objects.create(slug="cards", name_en="Cards", name_ru="Карты", parent=top)
    actions.create_article(by=alice, title="Invoices", body="x", category=child.pk)
    with nothing_written(top, child):
        answers = [desk.delete(f"/kb/categories/{c.pk}") for c in (top, child)]
    for answer in answers:
        assert (answer.status_code, answer.json()["code"]) == (422, "category_not_empty")


def test_category_refusals(api, alice, dana):
    desk = api(alice)
    top = Category.objects.create(slug="billing", name_en="Billing", name_ru="Оплата")
    child = Category.objects.create(slug="cards", name_en="Cards", name_ru="Карты", parent=top)
    customer = api(dana)
    with nothing_written(top, child):
        cycle = desk.patch(f"/kb/categories/{top.pk}", {"parent": child.pk})
        taken = desk.patch(f"/kb/categories/{child.pk}", {"slug": "billing"})
        blank = desk.patch(f"/kb/categories/{child.pk}", {"name_en": "  "})
        missing = desk.delete("/kb/categories/999")
        forbidden = [
            customer.patch(f"/kb/categories/{top.pk}", {"name_en": "X"}),
            customer.delete(f"/kb/categories/{child.pk}"),
            customer.post("/kb/categories", {"slug": "x", "name_en": "X", "name_ru": "X"}),
        ]
    assert (cycle.status_code, cycle.json()["code"]) == (422, "bad_parent")
    assert (taken.status_code, taken.json()["errors"][0]["field"]) == (422, "slug")
    assert (blank.status_code, blank.json()["code"]) == (422, "required")
    assert missing.status_code == 404
    assert [(f.status_code, f.json()["code"]) for f in forbidden] == [(403, "agents_only")] * 3


def test_the_new_endpoints_are_documented():
    paths = opora_api.get_openapi_schema()["paths"]
    for path in (
        "/api/v1/kb/articles/{article_id}/publish",
        "/api/v1/kb/articles/{article_id}/unpublish",
        "/api/v1/kb/articles/{article_id}/submit-for-review",
        "/api/v1/kb/articles/{article_id}/versions/{number}/restore",
        "/api/v1/kb/articles/{article_id}/translation",
        "/api/v1/kb/preview",
    ):
        answers = {str(code) for code in paths[path]["post"]["responses"]}
        assert {"403", "404", "422"} <= answers and answers & {"200", "201"}
    assert {"patch", "delete"} <= set(paths["/api/v1/kb/categories/{category_id}"])


@pytest.mark.parametrize(
    "query",
    [{"page": 1362043675894719709184}, {"page": 2**63}, {"category": 2**64}, {"category": 0}],
)
def test_out_of_range_numbers_in_the_article_list_answer_422(api, alice, query):
    answer = api(alice).get("/kb/articles", query)
    assert answer.status_code == 422, answer.content[:200]


def test_publishing_and_category_changes_are_in_the_audit_log(api, alice, article):
    from opora.core.models import AdminChange

    desk = api(alice)
    assert desk.post(f"/kb/articles/{article.pk}/publish").status_code == 200
    published = AdminChange.objects.get(area="kb", target_type="article")
    assert (published.actor, published.action) == (alice, "changed")
    assert published.changes == {"status": ["draft", "published"]}

    category = actions.create_category(
        by=alice, slug="billing", name_en="Billing", name_ru="Оплата", parent=None
    )
    actions.update_category(category, actions.CategoryChanges(name_en="Payments"), by=alice)
    actions.delete_category(category, by=alice)
    rows = AdminChange.objects.filter(area="kb", target_type="category").order_by("id")
    assert [r.action for r in rows] == ["created", "changed", "deleted"]
    assert rows[1].changes == {"name_en": ["Billing", "Payments"]}
