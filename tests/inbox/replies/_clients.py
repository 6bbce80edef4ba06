# ruff: noqa: E501 - mail lines read better unwrapped
"""Replies as each client composes them: plain text, HTML, or both (see `_mail.py`)."""

from __future__ import annotations

from tests.inbox.replies._mail import (
    ATTRIBUTIONS,
    CUSTOMERS,
    DESK,
    DESK_NAME,
    ORIGINAL,
    OUTLOOK,
    OUTLOOK_HEAD,
    SUBJECT,
    ZIMBRA,
    Built,
    When,
    brs,
    esc,
    mso,
    outlook_block,
    outlook_date,
    page,
    paras,
    quote,
    wrap,
)


def _attr(client: str, lang: str, w: When) -> str:
    return ATTRIBUTIONS[client](lang, w, DESK_NAME[lang], DESK)


def _subject(lang: str) -> str:
    s = SUBJECT[lang]
    return s[s.index(":") + 2 :]


# ---- plain text ---------------------------------------------------------------


def text_top(
    reply: str, lang: str, w: When, client: str, *, width: int = 0, footer: str = ""
) -> Built:
    """Top-posting with an attribution line and "> " quotes (Gmail, Thunderbird, ...)."""
    attr = _attr(client, lang, w)
    if width:
        attr = wrap(attr, width)
    tail = f"\n\n{footer}" if footer else ""
    return Built(f"{reply}{tail}\n\n{attr}\n{quote(ORIGINAL[lang])}\n", None)


def text_bottom(reply: str, lang: str, w: When, client: str) -> Built:
    """Bottom-posting: the attribution and the quote first, the answer below."""
    attr = _attr(client, lang, w)
    return Built(f"{attr}\n{quote(ORIGINAL[lang])}\n\n{reply}\n", None)


def text_inline(
    answers: list[str], lang: str, w: When, client: str, *, with_attr: bool = True
) -> Built:
    """Interleaved: each of the desk's paragraphs quoted, the answer under it."""
    parts = ORIGINAL[lang].split("\n\n")
    out = [_attr(client, lang, w)] if with_attr else []
    for i, part in enumerate(parts):
        out.append(quote(part))
        if i < len(answers) and answers[i]:
            out.append("")
            out.append(answers[i])
            out.append("")
    return Built("\n".join(out) + "\n", None)


def text_outlook(
    reply: str, lang: str, w: When, *, divider: str = "dashes", bold: bool = False, footer: str = ""
) -> Built:
    """Outlook's plain text: a divider (or none) and the From/Sent/To/Subject block,
    the original below unquoted."""
    name, addr = CUSTOMERS[lang]
    block = outlook_block(lang, w, to=f"{name} <{addr}>", bold="*" if bold else "")
    lead = {
        "dashes": [OUTLOOK[lang][0]],
        "underscores": ["_" * 32],
        "none": [],
        "blank": [""],
    }[divider]
    tail = f"\n\n{footer}" if footer else ""
    body = "\n".join([*lead, *block])
    return Built(f"{reply}{tail}\n\n{body}\n\n{ORIGINAL[lang]}\n", None)


def text_zimbra(reply: str, lang: str, w: When) -> Built:
    div, frm, to, sent, subj = ZIMBRA[lang]
    name, addr = CUSTOMERS[lang]
    block = [
        div,
        f'{frm}: "{DESK_NAME[lang]}" <{DESK}>',
        f'{to}: "{name}" <{addr}>',
        f"{sent}: {outlook_date(lang, w)}",
        f"{subj}: {_subject(lang)}",
    ]
    return Built(f"{reply}\n\n" + "\n".join(block) + f"\n\n{quote(ORIGINAL[lang])}\n", None)


def text_lotus(reply: str, lang: str, w: When) -> Built:
    """Lotus Notes: the sender and date on their own lines, then To/cc/Subject."""
    name, addr = CUSTOMERS[lang]
    _, _, _, to_l, cc_l, subj = OUTLOOK[lang]
    block = [
        f'"{DESK_NAME[lang]}" <{DESK}>',
        f"{w.at:%d.%m.%Y} {w.hm}",
        "",
        f"{to_l}: {name} <{addr}>",
        f"{cc_l}:",
        f"{subj}: {_subject(lang)}",
    ]
    return Built(f"{reply}\n\n" + "\n".join(block) + f"\n\n{ORIGINAL[lang]}\n", None)


def text_windows_mail(reply: str, lang: str, w: When) -> Built:
    from tests.inbox.replies._mail import WINDOWS_MAIL

    name, addr = CUSTOMERS[lang]
    block = outlook_block(lang, w, to=f"{name} <{addr}>")
    return Built(
        f"{reply}\n\n{WINDOWS_MAIL[lang]}\n\n" + "\n".join(block) + f"\n\n{ORIGINAL[lang]}\n", None
    )


# ---- HTML ---------------------------------------------------------------------


def _orig_html(lang: str) -> str:
    return paras(ORIGINAL[lang])


def html_outlook2010(reply: str, lang: str, w: When, *, label_sent: str = "") -> Built:
    """Outlook 2010-2019: a border-top separator with the header block in MsoNormal."""
    name, addr = CUSTOMERS[lang]
    _, frm, sent, to_l, _, subj = OUTLOOK[lang]
    header = (
        f'<p class="MsoNormal"><b><span lang="EN-US">{frm}:</span></b><span lang="EN-US"> {esc(DESK_NAME[lang])} '
        f"&lt;{DESK}&gt; <br><b>{label_sent or sent}:</b> {esc(outlook_date(lang, w))}<br><b>{to_l}:</b> {esc(name)} &lt;{addr}&gt;<br>"
        f"<b>{subj}:</b> {esc(_subject(lang))}<o:p></o:p></span></p>"
    )
    body = (
        f'<div class="WordSection1">{mso(reply)}\n<p class="MsoNormal"><o:p>&nbsp;</o:p></p>\n'
        f'<div><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">{header}</div></div>'
        f'<p class="MsoNormal"><o:p>&nbsp;</o:p></p>{mso(ORIGINAL[lang])}</div>'
    )
    return Built(None, page(body, OUTLOOK_HEAD))


def html_outlook2003(reply: str, lang: str, w: When) -> Built:
    name, _addr = CUSTOMERS[lang]
    _, frm, sent, to_l, _, subj = OUTLOOK[lang]
    body = (
        f'<div dir="ltr" align="left"><span class="483151008-12032026"><font face="Arial" color="#0000ff" size="2">{brs(reply)}</font></span></div>\n'
        f'<br>\n<div class="OutlookMessageHeader" lang="en-us" dir="ltr" align="left"><hr tabindex="-1">'
        f'<font face="Tahoma" size="2"><b>{frm}:</b> {esc(DESK_NAME[lang])} [mailto:{DESK}] <br><b>{sent}:</b> {esc(outlook_date(lang, w))}<br>'
        f"<b>{to_l}:</b> {esc(name)}<br><b>{subj}:</b> {esc(_subject(lang))}<br></font><br></div>\n<div></div>{_orig_html(lang)}"
    )
    return Built(None, page(body))


def html_outlook365(reply: str, lang: str, w: When) -> Built:
    name, addr = CUSTOMERS[lang]
    _, frm, sent, to_l, _, subj = OUTLOOK[lang]
    body = (
        f'<div style="font-family: Aptos, sans-serif; font-size: 12pt;">{paras(reply)}</div>\n'
        '<div id="appendonsend"></div>\n<hr style="display:inline-block;width:98%" tabindex="-1">\n'
        f'<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">'
        f"<b>{frm}:</b> {esc(DESK_NAME[lang])} &lt;{DESK}&gt;<br><b>{sent}:</b> {esc(outlook_date(lang, w))}<br>"
        f"<b>{to_l}:</b> {esc(name)} &lt;{addr}&gt;<br><b>{subj}:</b> {esc(_subject(lang))}</font>"
        f"<div>&nbsp;</div></div>\n<div>{_orig_html(lang)}</div>"
    )
    return Built(None, page(body))


def html_windows_mail(reply: str, lang: str, w: When, footer: str) -> Built:
    name, _addr = CUSTOMERS[lang]
    _, frm, sent, to_l, _, subj = OUTLOOK[lang]
    body = (
        f'<div class="WordSection1">{mso(reply)}<p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
        f'<p class="MsoNormal">{esc(footer)}</p><p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
        f'<div style="mso-element:para-border-div;border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        f'<p class="MsoNormal" style="border:none;padding:0cm"><b>{frm}: </b>{esc(DESK_NAME[lang])}<br><b>{sent}: </b>{esc(outlook_date(lang, w))}<br>'
        f"<b>{to_l}: </b>{esc(name)}<br><b>{subj}: </b>{esc(_subject(lang))}</p></div>"
        f'<p class="MsoNormal"><o:p>&nbsp;</o:p></p>{mso(ORIGINAL[lang])}</div>'
    )
    return Built(None, page(body, OUTLOOK_HEAD))


def html_apple(reply: str, lang: str, w: When, *, ios: bool = False, footer: str = "") -> Built:
    attr = esc(_attr("apple", lang, w))
    if ios:
        foot = f'<div dir="ltr">{esc(footer)}</div>' if footer else ""
        body = (
            f'<div dir="ltr">{brs(reply)}<br><br>{foot}<div dir="ltr"><br><blockquote type="cite">{attr}<br><br></blockquote></div>'
            f'<blockquote type="cite"><div dir="ltr">{brs(ORIGINAL[lang])}</div></blockquote></div>'
        )
    else:
        body = (
            f'{paras(reply)}<div><br><blockquote type="cite"><div>{attr}</div><br class="Apple-interchange-newline">'
            f"{_orig_html(lang)}</blockquote></div><br>"
        )
    return Built(None, page(body))


def html_gmail(
    reply: str, lang: str, w: When, *, signature: str = "", container: bool = False
) -> Built:
    sig = (
        f'<br clear="all"><div><br></div><span class="gmail_signature_prefix">-- </span><br>'
        f'<div dir="ltr" class="gmail_signature">{brs(signature)}</div>'
        if signature
        else ""
    )
    klass = "gmail_quote gmail_quote_container" if container else "gmail_quote"
    body = (
        f'<div dir="ltr">{paras(reply)}{sig}</div><br><div class="{klass}"><div dir="ltr" class="gmail_attr">{esc(_attr("gmail", lang, w))}<br></div>'
        f'<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">{brs(ORIGINAL[lang])}</blockquote></div>'
    )
    text = (
        reply
        + (f"\n\n-- \n{signature}" if signature else "")
        + f"\n\n{_attr('gmail', lang, w)}\n{quote(ORIGINAL[lang])}\n"
    )
    return Built(text, body)


def html_yandex(reply: str, lang: str, w: When) -> Built:
    body = (
        f"{paras(reply)}<div>&nbsp;</div><div>&nbsp;</div><div>{esc(_attr('yandex', lang, w))}</div>"
        f"<blockquote>{_orig_html(lang)}</blockquote>"
    )
    text = f"{reply}\n\n{_attr('yandex', lang, w)}\n{quote(ORIGINAL[lang])}\n"
    return Built(text, body)


def html_mailru(reply: str, lang: str, w: When) -> Built:
    body = (
        f"{paras(reply)}<div>&nbsp;</div><div>&nbsp;</div><div>&nbsp;</div>"
        f'<blockquote style="border-left:1px solid #0857A6; margin:10px; padding:0 0 0 10px;">{esc(_attr("mailru", lang, w))}<br><br>'
        f'<div id=""><div class="js-helper js-readmsg-msg"><div><div id="style_17730000000000000000_BODY">{brs(ORIGINAL[lang])}</div></div></div></div></blockquote>'
    )
    return Built(None, body)


def html_thunderbird(
    reply: str, lang: str, w: When, *, bottom: bool = False, signature: str = ""
) -> Built:
    sig = f'<pre class="moz-signature" cols="72">-- \n{esc(signature)}</pre>' if signature else ""
    cite = (
        f'<div class="moz-cite-prefix">{esc(_attr("thunderbird", lang, w))}<br></div>'
        f'<blockquote type="cite" cite="mid:ticket-4521-1@desk.test">{_orig_html(lang)}</blockquote>'
    )
    mine = "".join(
        f"<p>{esc(p)}</p>" if "\n" not in p else f"<p>{brs(p)}</p>" for p in reply.split("\n\n")
    )
    body = f"{cite}{mine}{sig}" if bottom else f"{mine}{sig}{cite}"
    return Built(None, page(body))


def html_roundcube(reply: str, lang: str, w: When) -> Built:
    body = (
        f'<p>{brs(reply)}</p><p id="reply-intro">{esc(_attr("roundcube", lang, w))}</p>'
        f'<blockquote type="cite" style="padding: 0 0.4em; border-left: #1010ff 2px solid; margin: 0">{_orig_html(lang)}</blockquote>'
    )
    text = f"{reply}\n\n{_attr('roundcube', lang, w)}\n{quote(ORIGINAL[lang])}\n"
    return Built(text, page(body))


def html_zimbra(reply: str, lang: str, w: When) -> Built:
    _div, frm, to, sent, subj = ZIMBRA[lang]
    name, _ = CUSTOMERS[lang]
    body = (
        f'<div style="font-family: arial, helvetica, sans-serif; font-size: 12pt; color: #000000">{paras(reply)}<div><br></div>'
        f'<hr id="zwchr" data-marker="__DIVIDER__"><div data-marker="__HEADERS__"><b>{frm}: </b>"{esc(DESK_NAME[lang])}" &lt;{DESK}&gt;<br>'
        f"<b>{to}: </b>{esc(name)}<br><b>{sent}: </b>{esc(outlook_date(lang, w))}<br><b>{subj}: </b>{esc(_subject(lang))}<br></div>"
        f'<div><br></div><div data-marker="__QUOTED_TEXT__">{_orig_html(lang)}</div></div>'
    )
    return Built(None, page(body))
