"""Remote images in a customer's HTML mail stay unloaded until the agent asks: the page's
policy blocks other sites' images (a tracking pixel learns nothing), and a link allows
them for that one view."""

from __future__ import annotations

from typing import Any

from django.test import Client

from opora.tickets.actions import add_message


def _page(client: Client, number: int, query: str = "") -> Any:
    return client.get(f"/agent/tickets/{number}{query}")


def test_remote_images_wait_for_the_agent(alice: Any, dana: Any, make_ticket: Any) -> None:
    ticket = make_ticket(dana)
    add_message(
        ticket,
        by=dana,
        body="see the picture",
        body_html='<p>see <img src="https://tracker.example/p.gif?u=42" alt="pixel"></p>',
    )
    client = Client()
    client.force_login(alice)

    blocked = _page(client, ticket.number)
    assert "img-src 'self' data: blob:;" in blocked["Content-Security-Policy"]
    assert b"data-remote-images" in blocked.content

    shown = _page(client, ticket.number, "?images=remote")
    assert "img-src 'self' data: blob: https:;" in shown["Content-Security-Policy"]
    assert b"data-remote-images" not in shown.content


def test_no_notice_without_remote_images(alice: Any, dana: Any, make_ticket: Any) -> None:
    ticket = make_ticket(dana)
    client = Client()
    client.force_login(alice)
    page = _page(client, ticket.number, "?images=remote")
    assert b"remote-images" not in page.content
    # asking for remote images where there are none changes nothing
    assert "https:" not in page["Content-Security-Policy"].split("img-src")[1].split(";")[0]
