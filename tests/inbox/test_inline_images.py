"""Inline images (cid:) of an e-mail: stored with their Content-ID, shown in the message."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from django.test import Client

from opora.core.html import resolve_cid_urls, sanitize_html
from opora.tickets.models import Attachment, Ticket
from tests.inbox.images import png, related_mail

pytestmark = pytest.mark.django_db

LOGO = png(16, 10)  # what related_mail attaches


def _img_sources(page: str) -> list[str]:
    body = page.split('class="thread"', 1)[-1]
    return re.findall(r'<img [^>]*src="([^"]*)"', body)


def test_an_inline_image_is_stored_with_its_content_id(deliver, dana):
    # when Dana's mail with a pasted picture arrives
    deliver(related_mail())
    # then the picture is an attachment that remembers its Content-ID
    attachment = Attachment.objects.get()
    assert attachment.content_id == "logo.7f3a@acme.test"
    assert attachment.content_type == "image/png"
    assert attachment.file.read() == LOGO


def test_the_agent_sees_the_image_in_the_message_and_can_load_it(deliver, dana, alice):
    # given Dana's mail with a pasted picture and an ordinary attachment
    deliver(related_mail(extra_attachment=True))
    ticket = Ticket.objects.get()
    image = Attachment.objects.get(content_type="image/png")
    log = Attachment.objects.get(filename="log.txt")
    agent = Client()
    agent.force_login(alice)

    # when Alice opens the ticket
    page = agent.get(f"/agent/tickets/{ticket.number}").content.decode()

    # then the message shows the picture from its download address, not cid:
    assert _img_sources(page) == [f"/attachments/{image.pk}"]
    assert "cid:" not in page
    # and the picture is not listed again as a file, while the log file is
    assert f'href="/attachments/{log.pk}"' in page
    assert f'href="/attachments/{image.pk}"' not in page
    # and that address gives her the image bytes
    response = agent.get(f"/attachments/{image.pk}")
    assert response.status_code == 200
    assert response.getvalue() == LOGO
    assert response["Content-Type"] == "image/png"


def test_the_customer_sees_the_image_on_the_portal(deliver, dana):
    deliver(related_mail())
    ticket = Ticket.objects.get()
    image = Attachment.objects.get()
    customer = Client()
    customer.force_login(dana)

    page = customer.get(f"/portal/requests/{ticket.number}").content.decode()

    assert _img_sources(page) == [f"/attachments/{image.pk}"]
    assert customer.get(f"/attachments/{image.pk}").status_code == 200


def test_an_outsider_cannot_load_the_image(deliver, dana, charlie, otto, billing):
    deliver(related_mail())
    image = Attachment.objects.get()
    # a customer of another organization and an agent of another team get 404
    for person in (charlie, otto):
        other = Client()
        other.force_login(person)
        assert other.get(f"/attachments/{image.pk}").status_code == 404
    # and a visitor who is not signed in is sent to the sign-in page
    anonymous = Client().get(f"/attachments/{image.pk}")
    assert anonymous.status_code == 302 and "/signin" in anonymous["Location"]


def test_a_cid_nobody_sent_shows_no_image_and_the_part_stays_a_file(deliver, dana, alice):
    # given HTML that refers to a part the mail does not have, and a part it never shows
    msg = EmailMessage()
    msg["From"] = "dana@acme.test"
    msg["To"] = "support@desk.test"
    msg["Subject"] = "Two pictures"
    msg.set_content("text")
    msg.add_alternative('<p>See <img src="cid:missing@acme.test" alt="gone"></p>', subtype="html")
    html_part = msg.get_body(preferencelist=("html",))
    assert isinstance(html_part, EmailMessage)
    html_part.add_related(LOGO, maintype="image", subtype="png", cid="<unused@acme.test>")
    deliver(msg.as_bytes())
    ticket = Ticket.objects.get()
    image = Attachment.objects.get()
    agent = Client()
    agent.force_login(alice)

    page = agent.get(f"/agent/tickets/{ticket.number}").content.decode()

    # then the broken reference loses its source, and the unused picture is listed
    assert "cid:" not in page
    assert 'alt="gone"' in page
    assert f'href="/attachments/{image.pk}"' in page


def test_resolving_cids_lets_nothing_else_through():
    # given stored HTML (sanitized once) with hostile bits that survived as text or
    # were stripped, and cid: references
    stored = sanitize_html(
        '<p><img src="cid:a%40b" onerror="alert(1)"><a href="cid:a@b">file</a>'
        '<img src="javascript:alert(1)"><img src="data:image/png;base64,AAAA">'
        '<script>alert(2)</script><img src="cid:other@b"></p>'
    )
    # when the references are resolved to download addresses
    html, used = resolve_cid_urls(stored, {"a@b": "/attachments/7"})
    # then exactly the known cid: became that address, the rest stayed out
    assert used == {"a@b"}
    assert html == (
        '<p><img src="/attachments/7">'
        '<a href="/attachments/7" rel="noopener noreferrer nofollow">file</a>'
        "<img><img><img></p>"
    )
    # and a mapping cannot smuggle in a dangerous address either
    for bad in ("javascript:alert(1)", "//evil.test/x.png", "https://evil.test/x.png"):
        html, used = resolve_cid_urls('<img src="cid:x">', {"x": bad})
        assert (html, used) == ("<img>", set())


def test_the_api_names_the_content_id_so_clients_can_resolve_it(deliver, dana, api):
    deliver(related_mail())
    ticket = Ticket.objects.get()
    messages = api(dana).get(f"/tickets/{ticket.number}/messages").json()
    (message,) = messages["items"] if isinstance(messages, dict) else messages
    (attachment,) = message["attachments"]
    assert attachment["content_id"] == "logo.7f3a@acme.test"
    assert 'src="cid:logo.7f3a@acme.test"' in message["body_html"]
