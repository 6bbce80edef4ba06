from __future__ import annotations

from opora.tickets.models import Event, Message, Ticket
from tests.writes import nothing_written


def test_it_opens_a_ticket_for_the_customer_herself(api, dana, support):
    # when Dana opens a ticket with the fields the API promises
    response = api(dana).post(
        "/tickets",
        {"subject": "  VPN   drops ", "body": "Every hour", "priority": "high", "type": "problem"},
    )
    # then it is hers, in her organization, new, on line 1, with the first message
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["subject"] == "VPN drops"
    assert body["status"] == "new"
    assert body["priority"] == "high"
    assert body["type"] == "problem"
    assert body["line"] == 1
    assert body["requester"]["email"] == "dana@acme.test"
    assert body["organization"]["name"] == "Acme"
    ticket = Ticket.objects.get(number=body["number"])
    assert ticket.messages.get().body == "Every hour"
    assert ticket.messages.get().author == dana


def test_it_records_a_created_event(api, dana, support):
    response = api(dana).post("/tickets", {"subject": "Hi", "body": "Help"})
    ticket = Ticket.objects.get(number=response.json()["number"])
    kinds = list(ticket.events.values_list("kind", "actor_id", "new"))
    assert kinds[0] == ("created", dana.pk, "new")
    assert kinds[1][0] == "reply_added"


def test_it_numbers_tickets_sequentially(api, dana, support):
    numbers = [
        api(dana).post("/tickets", {"subject": f"T{i}", "body": "x"}).json()["number"]
        for i in range(3)
    ]
    assert numbers[1] == numbers[0] + 1
    assert numbers[2] == numbers[1] + 1


def test_an_agent_opens_a_ticket_on_behalf_of_a_new_customer(api, alice, support, acme):
    # when Alice logs a phone call from someone at an Acme address unknown so far
    response = api(alice).post(
        "/tickets",
        {
            "subject": "Invoice question",
            "body": "Customer called about invoice 42",
            "requester": "New.Person@ACME.test",
            "requester_name": "New Person",
            "channel": "phone",
            "team": support.pk,
            "tags": ["Billing", "invoice"],
        },
    )
    # then the customer account exists, joined Acme by domain, and the ticket is theirs
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["requester"]["email"] == "new.person@acme.test"
    assert body["organization"]["name"] == "Acme"
    assert body["channel"] == "phone"
    assert body["team"]["name"] == "Support"
    assert body["tags"] == ["billing", "invoice"]
    created = Event.objects.get(ticket__number=body["number"], kind="created")
    assert created.actor == alice


def test_an_agent_opens_a_ticket_for_a_customer_given_by_id(api, alice, dana, charlie, acme):
    # given customers with and without an organization, named by their user id
    for customer, organization in ((dana, acme.pk), (charlie, None)):
        response = api(alice).post(
            "/tickets", {"subject": "Printer", "body": "It jams.", "requester": customer.pk}
        )
        assert response.status_code == 201, response.content
        body = response.json()
        # then the ticket is theirs, with their organization
        assert body["requester"]["email"] == customer.email
        assert (body["organization"] or {}).get("id") == organization
        ticket = Ticket.objects.get(number=body["number"])
        assert (ticket.requester_id, ticket.organization_id) == (customer.pk, organization)


def test_a_customer_cannot_open_a_ticket_for_someone_else(api, dana, charlie):
    customer = api(dana)
    for requester in ("charlie@outside.test", "newcomer@outside.test", charlie.pk):
        with nothing_written(charlie):
            response = customer.post(
                "/tickets", {"subject": "x", "body": "y", "requester": requester}
            )
        assert response.status_code == 403
        assert response.json()["errors"][0]["field"] == "requester"
        assert response.json()["code"] == "agents_only"


def test_a_customer_cannot_file_an_incident_or_set_tags_or_team_or_channel(api, dana, support):
    customer = api(dana)
    for extra, field in (
        ({"type": "incident"}, "type"),
        ({"tags": ["vip"]}, "tags"),
        ({"team": support.pk}, "team"),
        ({"channel": "phone"}, "channel"),
    ):
        with nothing_written():
            response = customer.post("/tickets", {"subject": "x", "body": "y", **extra})
        assert response.status_code == 403, extra
        assert response.json()["errors"][0]["field"] == field
        assert response.json()["code"] == "agents_only"


def test_it_accepts_a_multipart_ticket_with_attachments(api, dana, settings, support):
    # given a screenshot
    from django.core.files.uploadedfile import SimpleUploadedFile

    shot = SimpleUploadedFile("screen.png", b"\x89PNG fake image", content_type="image/png")
    # when Dana posts a form with it
    response = api(dana).upload(
        "/tickets", {"subject": "Broken screen", "body": "See attached", "attachments": [shot]}
    )
    # then the file is stored with its size and hash and can be downloaded back
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    messages = api(dana).get(f"/tickets/{number}/messages").json()
    (attachment,) = messages[0]["attachments"]
    assert attachment["filename"] == "screen.png"
    assert attachment["size"] == len(b"\x89PNG fake image")
    assert len(attachment["sha256"]) == 64
    download = api(dana).client.get(attachment["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"\x89PNG fake image"


def test_html_bodies_are_sanitized(api, dana, support):
    response = api(dana).post(
        "/tickets",
        {
            "subject": "x",
            "body": "hello",
            "body_html": '<p onclick="steal()">hello<script>alert(1)</script></p>',
        },
    )
    number = response.json()["number"]
    html = Message.objects.get(ticket__number=number).body_html
    assert "script" not in html
    assert "onclick" not in html
    assert "hello" in html
