# ruff: noqa: E501 - one message per line reads better than wrapped byte strings
"""Corpus cases about replies: auto-replies and bounces, and the quote styles of the
common mail clients in Russian and English (see corpus.py for the rest)."""

from __future__ import annotations

import base64

from tests.inbox.corpus import BASE_ID, Case, Expected, _encode, _multipart, _single


def noise_cases() -> list[Case]:
    c: list[Case] = []
    ref = [f"In-Reply-To: <{BASE_ID}>".encode()]
    for name, headers in [
        ("auto-submitted-replied", [b"Auto-Submitted: auto-replied"]),
        ("auto-submitted-generated", [b"Auto-Submitted: auto-generated"]),
        ("auto-submitted-notified", [b"Auto-Submitted: auto-notified"]),
        ("x-autoreply", [b"X-Autoreply: yes"]),
        ("x-autorespond", [b"X-Autorespond: vacation"]),
        ("precedence-junk", [b"Precedence: junk"]),
        ("x-failed-recipients", [b"X-Failed-Recipients: gone@acme.test"]),
    ]:
        c.append(
            Case(
                f"noise-{name}",
                _single(b"I am away.", msgid=f"{name}@acme.test", extra=headers + ref),
                Expected("ignored"),
            )
        )
    # A person writing through a list or in bulk is a customer (RFC 3834 only keeps
    # automatic answers from such mail): the reply goes into the ticket.
    for name, headers in [
        ("precedence-bulk", [b"Precedence: bulk"]),
        ("precedence-list", [b"Precedence: list", b"List-Id: <users.lists.acme.test>"]),
    ]:
        c.append(
            Case(
                f"list-{name}",
                _single(b"I am away.", msgid=f"{name}@acme.test", extra=headers + ref),
                Expected("reply", body=["I am away."]),
            )
        )
    for i, subject in enumerate(
        [
            "Out of Office: Hello",
            "Automatic reply: Hello",
            "Autoreply: Hello",
            "Auto-Reply: Hello",
            "Автоответ: Hello",
            "Автоматический ответ: Hello",
            "Вне офиса",
            "Undeliverable: Hello",
            "Delivery Status Notification (Failure)",
            "Mail delivery failed: returning message to sender",
            "Недоставленное сообщение",
        ]
    ):
        c.append(
            Case(
                f"noise-subject-{i}",
                _single(
                    b"Away",
                    msgid=f"ooo{i}@acme.test",
                    subject=f"=?utf-8?B?{base64.b64encode(subject.encode()).decode()}?=".encode(),
                ),
                Expected("ignored"),
            )
        )
    original = _single(b"Original text", msgid=BASE_ID)
    dsn = _multipart(
        [
            (
                b"Content-Type: text/plain",
                b"Delivery to the following recipient failed permanently.",
            ),
            (
                b"Content-Type: message/delivery-status",
                b"Reporting-MTA: dns; mx.acme.test\r\n\r\nFinal-Recipient: rfc822; x@y\r\nAction: failed\r\nStatus: 5.1.1",
            ),
            (b"Content-Type: message/rfc822", original),
        ],
        msgid="dsn@mx.acme.test",
        kind=b'report; report-type="delivery-status"',
        subject=b"Returned mail",
    ).replace(
        b"From: Dana <dana@acme.test>",
        b"From: Mail Delivery Subsystem <mailer-daemon@mx.acme.test>",
    )
    c.append(Case("bounce-dsn", dsn, Expected("ignored")))
    c.append(
        Case(
            "bounce-mailer-daemon",
            _single(
                b"could not deliver",
                msgid="md@acme.test",
                sender=b"MAILER-DAEMON@mx.acme.test",
                subject=b"failure notice",
            ),
            Expected("ignored"),
        )
    )
    c.append(
        Case(
            "bounce-postmaster",
            _single(
                b"could not deliver",
                msgid="pm@acme.test",
                sender=b"postmaster@acme.test",
                subject=b"Notice",
            ),
            Expected("ignored"),
        )
    )
    mdn = _multipart(
        [
            (b"Content-Type: text/plain", b"Your message was read."),
            (
                b"Content-Type: message/disposition-notification",
                b"Final-Recipient: rfc822;dana@acme.test\r\nDisposition: manual-action/MDN-sent-manually; displayed",
            ),
        ],
        msgid="mdn@acme.test",
        kind=b'report; report-type="disposition-notification"',
        subject=b"Read: Hello",
    )
    c.append(Case("read-receipt", mdn, Expected("ignored")))
    c.append(
        Case(
            "loop-own-address",
            _single(b"loop", msgid="loop@desk.test", sender=b"Support <support@desk.test>"),
            Expected("ignored"),
        )
    )
    c.append(
        Case(
            "loop-own-token-address",
            _single(b"loop", msgid="loop2@desk.test", sender=b"support+1-abcdef0123@desk.test"),
            Expected("ignored"),
        )
    )
    c.append(
        Case(
            "auto-submitted-no-is-human",
            _single(b"A person wrote this.", msgid="asno@acme.test", extra=[b"Auto-Submitted: no"]),
            Expected("new", body=["A person wrote this."]),
        )
    )
    return c


# Quote styles of the common clients: (name, new text, quoted history).
QUOTES: list[tuple[str, str, str]] = [
    (
        "gmail-en",
        "Thanks, that fixed it.",
        "On Thu, Mar 12, 2026 at 10:00 AM Support <support@desk.test> wrote:\n> Please restart the printer.\n> QUOTED-MARK",
    ),
    (
        "gmail-en-wrapped",
        "Thanks, that fixed it.",
        "On Thu, Mar 12, 2026 at 10:00 AM Support Team of Acme Incorporated <support@desk.test>\nwrote:\n> QUOTED-MARK",
    ),
    (
        "gmail-ru",
        "Спасибо, помогло.",
        "чт, 12 мар. 2026 г. в 10:00, Support <support@desk.test>:\n> QUOTED-MARK",
    ),
    (
        "gmail-ru-pishet",
        "Спасибо, помогло.",
        "12 марта 2026 г., 10:00 пользователь Support <support@desk.test> написал:\n> QUOTED-MARK",
    ),
    (
        "outlook-en",
        "Thanks, that fixed it.",
        "-----Original Message-----\nFrom: Support <support@desk.test>\nSent: Thursday, March 12, 2026 10:00 AM\nTo: Dana\nSubject: Printer\n\nQUOTED-MARK",
    ),
    (
        "outlook-en-underscores",
        "Thanks, that fixed it.",
        "________________________________\nFrom: Support <support@desk.test>\nSent: Thursday, March 12, 2026 10:00 AM\nTo: Dana\nSubject: Printer\n\nQUOTED-MARK",
    ),
    (
        "outlook-en-header-only",
        "Thanks, that fixed it.",
        "From: Support <support@desk.test>\nSent: Thursday, March 12, 2026 10:00 AM\nTo: Dana\nSubject: Printer\n\nQUOTED-MARK",
    ),
    (
        "outlook-ru",
        "Спасибо, помогло.",
        "-----Исходное сообщение-----\nОт: Support <support@desk.test>\nОтправлено: 12 марта 2026 г. 10:00\nКому: Dana\nТема: Принтер\n\nQUOTED-MARK",
    ),
    (
        "outlook-ru-header-only",
        "Спасибо, помогло.",
        "От: Support <support@desk.test>\nОтправлено: 12 марта 2026 г. 10:00\nКому: Dana\nТема: Принтер\n\nQUOTED-MARK",
    ),
    (
        "outlook-ru-bold",
        "Спасибо, помогло.",
        "*От:* Support <support@desk.test>\n*Отправлено:* 12 марта 2026 г. 10:00\n*Кому:* Dana\n\nQUOTED-MARK",
    ),
    (
        "thunderbird-en",
        "Thanks, that fixed it.",
        "On 12.03.2026 10:00, Support wrote:\n> QUOTED-MARK",
    ),
    ("thunderbird-ru", "Спасибо, помогло.", "12.03.2026 10:00, Support пишет:\n> QUOTED-MARK"),
    (
        "apple-en",
        "Thanks, that fixed it.",
        "On 12 Mar 2026, at 10:00, Support <support@desk.test> wrote:\n\n> QUOTED-MARK",
    ),
    (
        "apple-ru",
        "Спасибо, помогло.",
        "12 марта 2026 г., в 10:00, Support <support@desk.test> написал(а):\n\n> QUOTED-MARK",
    ),
    (
        "yandex",
        "Спасибо, помогло.",
        '12.03.2026, 10:00, "Support" <support@desk.test>:\n> QUOTED-MARK',
    ),
    (
        "yandex-pishet",
        "Спасибо, помогло.",
        '12.03.2026, 10:00, "Support" <support@desk.test> пишет:\n> QUOTED-MARK',
    ),
    (
        "mailru",
        "Спасибо, помогло.",
        "Четверг, 12 марта 2026, 10:00 +03:00 от Support <support@desk.test>:\n> QUOTED-MARK",
    ),
    (
        "mailru-short",
        "Спасибо, помогло.",
        ">Четверг, 12 марта 2026, 10:00 +03:00 от Support:\n>QUOTED-MARK",
    ),
    ("angle-only", "Thanks, that fixed it.", "> Please restart the printer.\n>\n> QUOTED-MARK"),
    ("signature-dashes", "Thanks, that fixed it.", "-- \nDana Smith\nAcme Inc. QUOTED-MARK"),
    ("signature-iphone", "Thanks, that fixed it.", "Sent from my iPhone QUOTED-MARK"),
    ("signature-iphone-ru", "Спасибо, помогло.", "Отправлено с iPhone QUOTED-MARK"),
    (
        "signature-mailru-mobile",
        "Спасибо, помогло.",
        "Отправлено из мобильной Почты Mail.ru QUOTED-MARK",
    ),
    ("signature-outlook-mobile", "Thanks, that fixed it.", "Get Outlook for Android QUOTED-MARK"),
    # A sign-off stays (it is the customer's words); the "-- " signature below it goes.
    ("signature-regards-ru", "Спасибо, помогло.\n\nС уважением,\nДана", "-- \nДана QUOTED-MARK"),
    (
        "signature-regards-en",
        "Thanks, that fixed it.\n\nBest regards,\nDana",
        "-- \nDana QUOTED-MARK",
    ),
    (
        "french",
        "Merci, ça marche.",
        "Le jeu. 12 mars 2026 à 10:00, Support <support@desk.test> a écrit :\n> QUOTED-MARK",
    ),
]
HTML_QUOTES: list[tuple[str, str, str]] = [
    (
        "gmail-html",
        '<div dir="ltr">Thanks, that fixed it.</div>',
        '<div class="gmail_quote"><div class="gmail_attr">On Thu wrote:</div><blockquote>QUOTED-MARK</blockquote></div>',
    ),
    (
        "thunderbird-html",
        "<p>Thanks, that fixed it.</p>",
        '<div class="moz-cite-prefix">On 12.03.2026 Support wrote:</div><blockquote type="cite">QUOTED-MARK</blockquote>',
    ),
    (
        "apple-html",
        "<div>Thanks, that fixed it.</div>",
        '<div><blockquote type="cite">QUOTED-MARK</blockquote></div>',
    ),
    (
        "outlook-html",
        "<p>Thanks, that fixed it.</p>",
        '<div id="appendonsend"></div><hr><div id="divRplyFwdMsg">From: Support</div><div>QUOTED-MARK</div>',
    ),
    (
        "yandex-html",
        "<div>Спасибо, помогло.</div>",
        '<div>12.03.2026, 10:00, "Support":</div><blockquote>QUOTED-MARK</blockquote>',
    ),
    (
        "mailru-html",
        "<div>Спасибо, помогло.</div>",
        '<div class="mailru_quote">Четверг от Support:<blockquote>QUOTED-MARK</blockquote></div>',
    ),
]


def quote_cases() -> list[Case]:
    c: list[Case] = []
    ref = [f"In-Reply-To: <{BASE_ID}>".encode(), f"References: <{BASE_ID}>".encode()]
    for name, new, quoted in QUOTES:
        for cte in ("8bit", "quoted-printable"):
            body = f"{new}\n\n{quoted}\n".encode()
            c.append(
                Case(
                    f"quote-{name}-{cte}",
                    _single(
                        _encode(body, cte),
                        msgid=f"q-{name}-{cte}@acme.test",
                        cte=cte.encode(),
                        extra=ref,
                        subject=b"Re: Printer",
                    ),
                    Expected("reply", exact_body=new, not_body=["QUOTED-MARK"]),
                )
            )
    for name, new, quoted in HTML_QUOTES:
        html = f"<html><body>{new}{quoted}</body></html>".encode()
        c.append(
            Case(
                f"quote-{name}-html-only",
                _single(
                    html,
                    msgid=f"q-{name}@acme.test",
                    ctype=b"text/html; charset=utf-8",
                    extra=ref,
                    subject=b"Re: Printer",
                ),
                Expected("reply", not_body=["QUOTED-MARK"]),
            )
        )
    # Threading by Message-ID alone: a subject that says nothing.
    c.append(
        Case(
            "reply-references-only",
            _single(
                b"More details.",
                msgid="refonly@acme.test",
                extra=[f"References: <x@y> <{BASE_ID}>".encode()],
                subject=b"something else",
            ),
            Expected("reply", exact_body="More details."),
        )
    )
    c.append(
        Case(
            "reply-in-reply-to-only",
            _single(
                b"More details.",
                msgid="irtonly@acme.test",
                extra=[f"In-Reply-To: <{BASE_ID}>".encode()],
                subject=b"something else",
            ),
            Expected("reply", exact_body="More details."),
        )
    )
    c.append(
        Case(
            "reply-quote-only-kept",
            _single(b"> just a quote\n> nothing new\n", msgid="quoteonly@acme.test", extra=ref),
            Expected("reply", body=["just a quote"]),
        )
    )
    c.append(
        Case(
            "unknown-reference-new-ticket",
            _single(
                b"Brand new question.",
                msgid="unkref@acme.test",
                extra=[b"In-Reply-To: <never-seen@else.test>"],
            ),
            Expected("new", body=["Brand new question."]),
        )
    )
    return c
