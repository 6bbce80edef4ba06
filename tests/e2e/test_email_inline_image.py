"""An e-mail's pasted picture (cid:) shows in the agent's ticket page in a real browser."""

from __future__ import annotations

import pytest

from opora.inbox.email.models import Mailbox
from opora.inbox.email.pipeline import receive_and_process
from opora.tickets.models import Attachment
from tests.inbox.images import png, related_mail

pytestmark = pytest.mark.e2e


def test_the_agent_sees_the_inline_image_of_a_mail(open_session, alice, dana, support):
    # given Dana's mail whose HTML shows a picture carried in the same message
    mailbox = Mailbox.objects.create(address="support@desk.test", team=support)
    raw = receive_and_process(related_mail(image=png(240, 120, (40, 90, 200))), mailbox=mailbox)
    assert raw.ticket is not None
    image = Attachment.objects.get(content_type="image/png")

    # when Alice opens the ticket
    agent = open_session("en-US")
    agent.sign_in(alice.email)
    agent.go(f"/agent/tickets/{raw.ticket.number}")
    page = agent.page

    # then the picture is in the message, loaded from its download address
    picture = page.locator(".msg-body img[alt='dialog']")
    assert picture.get_attribute("src") == f"/attachments/{image.pk}"
    picture.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
    )
    assert picture.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [240, 120]
    # and it is not listed again as a file of the message
    assert page.locator(f".files a[href='/attachments/{image.pk}']").count() == 0
    agent.screenshot("email-inline-image")
