"""Administrators edit the search synonym vocabulary in the console and through the API;
everyone else is refused and nothing is written."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from opora.core.models import AdminChange
from opora.kb.selectors import search_articles
from opora.search.models import SynonymGroup
from tests.writes import nothing_written

PAGE = "/admin/kb/synonyms/"


def put(client, path, body):
    return client.client.put("/api/v1" + path, json.dumps(body), content_type="application/json")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_shipped_vocabulary_is_there_in_both_languages(ada):
    languages = set(SynonymGroup.objects.values_list("language", flat=True))
    assert languages == {"en", "ru"}
    page = signed_in(ada).get(PAGE + "?language=ru")
    assert page.status_code == 200
    assert "платёж не зачислен" in page.content.decode()


def test_an_admin_adds_changes_and_deletes_a_group_in_the_console(ada, make_article):
    client = signed_in(ada)
    added = client.post(PAGE, {"language": "en", "phrases": "parcel locker\npickup box"})
    assert added.status_code == 302
    group = SynonymGroup.objects.get(phrases=["parcel locker", "pickup box"])
    assert AdminChange.objects.filter(area="kb", action="created", target_id=str(group.pk))
    # the search uses it at once
    box = make_article("Pickup box opening hours", "The box opens at eight.")
    assert search_articles(None, "parcel locker")[0].object_id == box.pk

    assert client.get(f"{PAGE}{group.pk}/").status_code == 200
    changed = client.post(
        f"{PAGE}{group.pk}/", {"language": "en", "phrases": "parcel locker\npickup point"}
    )
    assert changed.status_code == 302
    group.refresh_from_db()
    assert group.phrases == ["parcel locker", "pickup point"]
    assert AdminChange.objects.filter(action="changed", target_id=str(group.pk))

    assert client.post(f"{PAGE}{group.pk}/delete").status_code == 302
    assert not SynonymGroup.objects.filter(pk=group.pk).exists()
    assert AdminChange.objects.filter(action="deleted", target_id=str(group.pk))


def test_a_group_of_one_phrase_is_refused_beside_its_field(ada):
    client = signed_in(ada)
    with nothing_written():
        page = client.post(PAGE, {"language": "en", "phrases": "only one\n  \n"})
    assert page.status_code == 400
    assert "at least two phrases" in page.content.decode()


@pytest.mark.parametrize("who", ["alice", "dana"])
def test_agents_and_customers_may_not_open_or_post(who, request, db):
    user = request.getfixturevalue(who)
    group = SynonymGroup.objects.order_by("id")[0]
    client = signed_in(user)
    assert client.get(PAGE).status_code == 403
    with nothing_written(group):
        assert client.post(PAGE, {"language": "en", "phrases": "a b\nc d"}).status_code == 403
        assert client.post(f"{PAGE}{group.pk}/delete").status_code == 403


def test_the_api_lists_adds_changes_and_deletes_groups(api, ada):
    admin = api(ada)
    listed = admin.get("/kb/synonyms", {"language": "ru"})
    assert listed.status_code == 200
    assert all(g["language"] == "ru" for g in listed.json())
    created = admin.post("/kb/synonyms", {"language": "ru", "phrases": ["постамат", "ячейка"]})
    assert created.status_code == 201
    group_id = created.json()["id"]
    changed = put(
        admin,
        f"/kb/synonyms/{group_id}",
        {"language": "ru", "phrases": ["постамат", "пункт выдачи"]},
    )
    assert changed.json()["phrases"] == ["постамат", "пункт выдачи"]
    assert admin.get(f"/kb/synonyms/{group_id}").status_code == 200
    assert admin.delete(f"/kb/synonyms/{group_id}").status_code == 204
    assert admin.get(f"/kb/synonyms/{group_id}").status_code == 404


def test_the_api_refuses_agents_and_bad_groups_writing_nothing(api, ada, alice):
    agent = api(alice)
    admin = api(ada)
    group = SynonymGroup.objects.order_by("id")[0]
    with nothing_written(group):
        refused = agent.post("/kb/synonyms", {"language": "en", "phrases": ["a b", "c d"]})
        assert refused.status_code == 403
        assert agent.delete(f"/kb/synonyms/{group.pk}").status_code == 403
        one = admin.post("/kb/synonyms", {"language": "en", "phrases": ["alone"]})
        assert one.status_code == 422
        assert one.json()["code"] == "too_few_phrases"
        stop_words = admin.post("/kb/synonyms", {"language": "en", "phrases": ["the", "ok x"]})
        assert stop_words.status_code == 422
        wrong = put(admin, f"/kb/synonyms/{group.pk}", {"language": "de", "phrases": ["a", "b"]})
        assert wrong.status_code in (400, 422)


def test_shipped_groups_come_back_without_doubling_edited_ones(api, ada, alice):
    client = signed_in(ada)
    shipped = SynonymGroup.objects.filter(language="ru").count()
    groups = list(SynonymGroup.objects.filter(language="ru").order_by("id")[:2])
    edited, deleted = groups
    # an admin edits one shipped group and deletes another
    client.post(f"{PAGE}{edited.pk}/", {"language": "ru", "phrases": edited.phrases[0] + "\nmine"})
    client.post(f"{PAGE}{deleted.pk}/delete")
    assert SynonymGroup.objects.filter(language="ru").count() == shipped - 1
    # only the deleted one comes back: the edited one still holds a shipped phrase
    answer = client.post(PAGE + "restore?language=ru", follow=True)
    assert "1 shipped group was added back." in answer.content.decode()
    assert SynonymGroup.objects.filter(language="ru").count() == shipped
    assert SynonymGroup.objects.filter(phrases=deleted.phrases).exists()
    assert AdminChange.objects.filter(area="kb", action="restored").count() == 1
    admin, agent = api(ada), api(alice)
    # again: nothing to add, nothing written
    with nothing_written():
        assert admin.post("/kb/synonyms/restore").json() == {"added": 0}
    # agents may not
    with nothing_written():
        assert agent.post("/kb/synonyms/restore").status_code == 403
