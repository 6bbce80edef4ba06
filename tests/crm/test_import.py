"""CSV import of customers and organizations: a preview listing every bad row, then all
rows or none in a background job; odd encodings; a streamed export."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from opora.accounts.models import Organization, User
from opora.crm import importing
from opora.crm.models import ImportJob
from tests.writes import nothing_written

pytestmark = pytest.mark.django_db


def upload(client, text: str | bytes, kind: str = "customers", name: str = "people.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.upload(
        "/imports", {"kind": kind, "file": SimpleUploadedFile(name, data, "text/csv")}
    )


def big_file(rows: int, bad: dict[int, str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "name", "organization", "tier"])
    for n in range(rows):
        writer.writerow([f"person{n}@example.test", f"Person {n}", "Acme" if n % 2 else "", "gold"])
    text = out.getvalue()
    lines = text.splitlines()
    for line, content in (bad or {}).items():
        lines[line - 1] = content
    return "\n".join(lines) + "\n"


def test_ten_thousand_customers_with_bad_rows_listed_then_imported(api, ada, acme, tier, run_jobs):
    client = api(ada)
    bad = {
        5: "not-an-address,Bad,,gold",
        9: "person2@example.test,Twice,,gold",
        12: "x@example.test,Nobody,Initech,gold",
        20: "y@example.test,Shiny,,platinum",
    }
    answer = upload(client, big_file(10_000, bad))
    assert answer.status_code == 201, answer.content
    job = answer.json()
    assert job["total"] == 10_000
    assert job["mapping"] == {"0": "email", "1": "name", "2": "organization", "3": "field:tier"}
    assert len(job["preview"]) == 10
    assert [(p["line"], p["code"]) for p in job["problems"]] == [
        (5, "bad_email"),
        (9, "duplicate"),
        (12, "unknown_organization"),
        (20, "unknown_option"),
    ]
    assert User.objects.filter(email__endswith="@example.test").count() == 0
    with nothing_written():
        refused = client.post(f"/imports/{job['id']}/start")
    assert refused.status_code == 422
    # The fixed file imports completely, in the background.
    clean = upload(client, big_file(10_000)).json()
    assert clean["problems"] == []
    started = run_jobs(lambda: client.post(f"/imports/{clean['id']}/start"))
    assert started.status_code == 202
    done = client.get(f"/imports/{clean['id']}").json()
    assert (done["state"], done["imported"], done["done"]) == ("done", 10_000, 10_000)
    assert User.objects.filter(email__endswith="@example.test").count() == 10_000
    person = User.objects.get(email="person1@example.test")
    assert (person.organization, person.custom_fields, person.role) == (
        acme,
        {"tier": "gold"},
        "customer",
    )


def test_a_row_that_turns_bad_before_the_job_runs_imports_nothing(api, ada, acme):
    client = api(ada)
    job = upload(client, big_file(3000)).json()
    assert job["problems"] == []
    # Meanwhile someone with one of the addresses signs up.
    User.objects.create_user("person2999@example.test")
    assert client.post(f"/imports/{job['id']}/start").status_code == 202
    ran = importing.run(job["id"])
    assert ran is not None and ran.state == "failed"
    assert [(p["line"], p["code"]) for p in ran.problems] == [(3001, "duplicate")]
    assert User.objects.filter(email__startswith="person").count() == 1


def test_a_failure_while_writing_rolls_everything_back(api, ada, acme, monkeypatch):
    client = api(ada)
    job = upload(client, big_file(2500)).json()
    assert client.post(f"/imports/{job['id']}/start").status_code == 202
    from opora.core.bulk import insert_rows as original

    def failing(model, rows, **kwargs):
        original(model, list(rows)[:1000], **kwargs)  # a first part is written...
        raise RuntimeError("disk full")  # ...then the write fails

    monkeypatch.setattr(importing, "insert_rows", failing)
    ran = importing.run(job["id"])
    assert ran is not None and ran.state == "failed"
    assert "disk full" in ran.error
    assert User.objects.filter(email__startswith="person").count() == 0


@pytest.mark.parametrize(
    "data, encoding",
    [
        (
            "\ufeffe-mail;Имя;Организация\r\nivan@example.test;Иван Петров;Acme\r\n".encode(),
            "utf-8-sig",
        ),
        (
            "Почта;ФИО;Организация\r\nivan@example.test;Иван Петров;Acme\r\n".encode("cp1251"),
            "cp1251",
        ),
        ("email,name\nivan@example.test,Иван Петров\n".encode(), "utf-8"),
    ],
)
def test_odd_encodings_and_separators(api, ada, acme, data, encoding, run_jobs):
    client = api(ada)
    job = upload(client, data).json()
    assert job["encoding"] == encoding
    assert job["problems"] == []
    assert job["preview"][0][1] == "Иван Петров"
    run_jobs(lambda: client.post(f"/imports/{job['id']}/start"))
    person = User.objects.get(email="ivan@example.test")
    assert person.name == "Иван Петров"
    assert person.organization == (acme if ";" in job["delimiter"] else None)


def test_organizations_import_and_the_mapping_can_change(api, ada, acme, run_jobs):
    client = api(ada)
    text = "Company;Web;VIP\nGlobex;globex.test;да\nAcme;acme2.test;\nInitech;acme.test;\n"
    job = upload(client, text, kind="organizations").json()
    assert job["problems"][0]["code"] == "bad_mapping"  # no column is the name yet
    remapped = client.client.put(
        f"/api/v1/imports/{job['id']}/mapping",
        {"mapping": {"0": "name", "1": "domains", "2": "vip"}},
        content_type="application/json",
    ).json()
    assert [(p["line"], p["code"]) for p in remapped["problems"]] == [
        (3, "duplicate"),
        (4, "bad_value"),
    ]
    with nothing_written():
        bad_map = client.client.put(
            f"/api/v1/imports/{job['id']}/mapping",
            {"mapping": {"7": "name"}},
            content_type="application/json",
        )
    assert bad_map.status_code == 422
    good = upload(client, "name;domains;vip\nGlobex;globex.test;да\n", kind="organizations").json()
    run_jobs(lambda: client.post(f"/imports/{good['id']}/start"))
    globex = Organization.objects.get(name="Globex")
    assert globex.vip and [d.domain for d in globex.domains.all()] == ["globex.test"]


def test_bad_uploads_are_refused(api, ada, alice):
    client = api(ada)
    with nothing_written():
        assert upload(client, b"").status_code == 422
    agent = api(alice)
    with nothing_written():
        assert upload(agent, "email\na@b.test\n").status_code == 403
    assert ImportJob.objects.count() == 0


def test_export_streams_every_customer(api, ada, dana, dave, charlie, tier):
    from opora.crm.actions import set_customer_fields

    set_customer_fields(dana, {"tier": "gold"}, by=ada)
    User.objects.filter(pk=dave.pk).update(name="=HYPERLINK(1)")
    answer = api(ada).get("/exports/customers.csv")
    assert answer.status_code == 200
    assert answer.streaming
    text = b"".join(answer.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["email", "name", "organization", "phone", "language", "tags", "tier"]
    by_email = {r[0]: r for r in rows[1:]}
    assert set(by_email) == {dana.email, dave.email, charlie.email}
    assert by_email[dana.email][6] == "gold"
    assert by_email[dave.email][1] == "'=HYPERLINK(1)"


def test_agents_may_not_export(api, alice):
    assert api(alice).get("/exports/customers.csv").status_code == 403
