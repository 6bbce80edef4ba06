# ruff: noqa: E501 - mail lines and typography read better unwrapped
# mypy: disable-error-code="misc"
"""Writes the held-out reply fixtures: `python -m tests.inbox.replies_holdout._generate`.

Written before the cutter was tuned, never tuned against: other words, other dates,
and client variants the main set does not have (Yahoo, GMX, Outlook with "Date:",
attributions over three lines, other footers). The figure on this set is the honest one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.inbox.replies import _clients as c
from tests.inbox.replies._generate import Writer
from tests.inbox.replies._mail import (
    DESK,
    DESK_NAME,
    ORIGINAL,
    Built,
    When,
    esc,
    paras,
    quote,
    wrap,
)

HERE = Path(__file__).parent

WORDS = {
    "en": "Morning,\n\nWe updated the browser and the problem is gone. You can close the ticket.\n\nCheers,\nMike",
    "ru": "Коллеги, добрый вечер.\nПосле очистки кэша всё заработало, заявку можно закрывать.\nАлексей",
    "de": "Hallo zusammen,\nnach dem Update funktioniert alles wieder.\nDanke für die schnelle Hilfe!\nAnna",
    "fr": "Re-bonjour,\nle problème revient chaque lundi matin vers 9 h.\nC'est peut-être lié à la sauvegarde ?",
    "es": "Buenas tardes:\nya no aparece el error, muchas gracias por la ayuda.\nUn saludo,\nPablo",
    "pt": "Oi, pessoal,\no relatório voltou a abrir depois da atualização.\nValeu!",
    "it": "Ciao,\nil problema si ripresenta solo sul PC della reception.\nMarco",
    "nl": "Hoi,\nhet werkt weer na het legen van de cache. Bedankt!\nGroetjes, Pieter",
    "pl": "Cześć,\nbłąd wraca po każdym restarcie serwera.\nTomasz",
    "uk": "Добрий вечір!\nПісля оновлення браузера все працює, дякую.\nАндрій",
}


def yahoo(reply: str, lang: str, w: When) -> Built:
    a = w.at
    attr = f"On {w.day('en')}, {w.month('en')} {a.day}, {a.year}, {w.at:%I:%M:%S} {w.at:%p} GMT+3, {DESK_NAME[lang]} <{DESK}> wrote:"
    return Built(f"{reply}\n\n\n{attr}\n\n\n{quote(ORIGINAL[lang])}\n", None)


def gmx(reply: str, lang: str, w: When) -> Built:
    head = [
        "-------- Original-Nachricht --------",
        f"Betreff: {w.at:%d.%m.%Y}",
        f"Datum: {w.at:%d.%m.%Y} {w.hm}",
        f"Von: {DESK_NAME[lang]} <{DESK}>",
        "An: anna@gmx.test",
    ]
    return Built(f"{reply}\n\n" + "\n".join(head) + f"\n\n{ORIGINAL[lang]}\n", None)


def outlook_date_label(reply: str, lang: str, w: When) -> Built:
    labels = {
        "en": ("From", "Date", "To", "Subject"),
        "es": ("De", "Fecha", "Para", "Asunto"),
        "pt": ("De", "Data", "Para", "Assunto"),
        "nl": ("Van", "Datum", "Aan", "Onderwerp"),
    }[lang]
    head = [
        f"{labels[0]}: {DESK_NAME[lang]} <{DESK}>",
        f"{labels[1]}: {w.at:%d/%m/%Y} {w.hm}",
        f"{labels[2]}: client@example.test",
        f"{labels[3]}: Ticket 4521",
    ]
    return Built(f"{reply}\n\n" + "\n".join(head) + f"\n\n{ORIGINAL[lang]}\n", None)


def three_line_attr(reply: str, lang: str, w: When) -> Built:
    attr = c._attr("gmail", lang, w)
    return Built(f"{reply}\n\n{wrap(attr, 30)}\n\n{quote(ORIGINAL[lang])}\n", None)


def nested_quote(reply: str, lang: str, w: When) -> Built:
    older = f"{c._attr('thunderbird', lang, w)}\n{quote(ORIGINAL[lang])}"
    return Built(f"{reply}\n\n{c._attr('gmail', lang, w)}\n{quote(older)}\n", None)


def html_gmail_mobile_footer(reply: str, lang: str, w: When, footer: str) -> Built:
    body = (
        f'<div dir="auto">{paras(reply)}<div dir="auto"><br></div><div dir="auto">{esc(footer)}</div></div><br>'
        f'<div class="gmail_quote"><div dir="ltr" class="gmail_attr">{esc(c._attr("gmail", lang, w))}<br></div>'
        f'<blockquote class="gmail_quote" style="margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex">{paras(ORIGINAL[lang])}</blockquote></div>'
    )
    return Built(None, body)


def html_outlook_web_nested(reply: str, lang: str, w: When) -> Built:
    built = c.html_outlook365(reply, lang, w)
    assert built.html is not None
    return Built(None, built.html.replace('<div id="appendonsend"></div>', ""))


def main() -> None:
    for kind in HERE.iterdir():
        if kind.is_dir() and not kind.name.startswith("_"):
            shutil.rmtree(kind)
    out = Writer(HERE, seed=4242)
    for lang in ["de", "fr", "en", "pl", "uk"]:
        out.add(
            "attribution",
            f"three-lines-{lang}",
            lang,
            lambda w, r=WORDS[lang], lg=lang: three_line_attr(r, lg, w),
            WORDS[lang],
        )
    for lang in ["en", "ru", "it"]:
        out.add(
            "attribution",
            f"nested-{lang}",
            lang,
            lambda w, r=WORDS[lang], lg=lang: nested_quote(r, lg, w),
            WORDS[lang],
        )
    for lang in ["en", "es"]:
        out.add(
            "attribution",
            f"yahoo-{lang}",
            lang,
            lambda w, r=WORDS[lang], lg=lang: yahoo(r, lg, w),
            WORDS[lang],
        )
    for lang, client in [("nl", "apple"), ("pt", "k9"), ("ru", "datefirst"), ("uk", "mailru")]:
        out.add(
            "attribution",
            f"{client}-{lang}",
            lang,
            lambda w, r=WORDS[lang], lg=lang, cl=client: c.text_top(r, lg, w, cl),
            WORDS[lang],
        )
    out.add("divider", "gmx-de", "de", lambda w: gmx(WORDS["de"], "de", w), WORDS["de"])
    for lang in ["pl", "it", "ru"]:
        out.add(
            "divider",
            f"outlook-{lang}",
            lang,
            lambda w, r=WORDS[lang], lg=lang: c.text_outlook(r, lg, w, divider="dashes"),
            WORDS[lang],
        )
    for lang in ["en", "es", "pt", "nl"]:
        out.add(
            "header_block",
            f"date-label-{lang}",
            lang,
            lambda w, r=WORDS[lang], lg=lang: outlook_date_label(r, lg, w),
            WORDS[lang],
        )
    for lang in ["fr", "uk"]:
        out.add(
            "header_block",
            f"underscores-{lang}",
            lang,
            lambda w, r=WORDS[lang], lg=lang: c.text_outlook(r, lg, w, divider="underscores"),
            WORDS[lang],
        )
    for lang, client in [("de", "thunderbird"), ("es", "gmail"), ("ru", "yandex")]:
        out.add(
            "interleaved",
            f"bottom-{lang}",
            lang,
            lambda w, r=WORDS[lang], lg=lang, cl=client: c.text_bottom(r, lg, w, cl),
            WORDS[lang],
        )
    answers = [
        "Здравствуйте!",
        "Текст ошибки: «Нет доступа к базе».\nСнимок не получается сделать.",
    ]
    out.add(
        "interleaved",
        "inline-both-ru",
        "ru",
        lambda w: c.text_inline(answers, "ru", w, "thunderbird"),
        "\n\n".join(answers),
    )
    en_answers = ["", 'It says "Access denied" and nothing else.']
    out.add(
        "interleaved",
        "inline-en",
        "en",
        lambda w: c.text_inline(en_answers, "en", w, "k9"),
        en_answers[1],
    )
    out.add(
        "html",
        "outlook2010-sent-label-de",
        "de",
        lambda w: c.html_outlook2010(WORDS["de"], "de", w),
        WORDS["de"],
    )
    out.add(
        "html",
        "outlook-web-no-appendonsend-fr",
        "fr",
        lambda w: html_outlook_web_nested(WORDS["fr"], "fr", w),
        WORDS["fr"],
    )
    out.add(
        "html",
        "gmail-container-es",
        "es",
        lambda w: c.html_gmail(WORDS["es"], "es", w, container=True),
        WORDS["es"],
    )
    out.add(
        "html",
        "gmail-android-footer-it",
        "it",
        lambda w: html_gmail_mobile_footer(WORDS["it"], "it", w, "Inviato da Gmail per Android"),
        WORDS["it"],
    )
    out.add("html", "apple-nl", "nl", lambda w: c.html_apple(WORDS["nl"], "nl", w), WORDS["nl"])
    out.add("html", "mailru-uk", "uk", lambda w: c.html_mailru(WORDS["uk"], "uk", w), WORDS["uk"])
    out.add("html", "yandex-ru", "ru", lambda w: c.html_yandex(WORDS["ru"], "ru", w), WORDS["ru"])
    out.add(
        "html",
        "thunderbird-sig-pl",
        "pl",
        lambda w: c.html_thunderbird(
            WORDS["pl"], "pl", w, signature="Tomasz Nowak\ntel. 600 100 200"
        ),
        WORDS["pl"],
    )
    out.add("html", "zimbra-pt", "pt", lambda w: c.html_zimbra(WORDS["pt"], "pt", w), WORDS["pt"])
    out.add(
        "html",
        "ios-en",
        "en",
        lambda w: c.html_apple(WORDS["en"], "en", w, ios=True, footer="Sent from my iPad"),
        WORDS["en"],
    )
    for lang, footer in [
        ("de", "Gesendet von meinem iPad"),
        ("ru", "Отправлено из мобильной Почты Mail.ru"),
        ("fr", "Envoyé de mon iPad"),
        ("es", "Enviado desde mi dispositivo Huawei"),
        ("nl", "Verzonden vanaf mijn iPad"),
    ]:
        out.add(
            "signature",
            f"mobile-{lang}",
            lang,
            lambda w, r=WORDS[lang], lg=lang, f=footer: c.text_top(r, lg, w, "gmail", footer=f),
            WORDS[lang],
        )
    out.add(
        "signature",
        "dashdash-en",
        "en",
        lambda w: c.text_top(
            WORDS["en"] + "\n\n--\nMike Brown\nHead of IT, Brown & Sons", "en", w, "apple"
        ),
        WORDS["en"],
    )
    out.add(
        "untouched",
        "sent-from-sentence-de",
        "de",
        lambda w: Built("Von meinem Handy aus geht es auch nicht.\nGruß\nAnna\n", None),
        "Von meinem Handy aus geht es auch nicht.\nGruß\nAnna",
    )
    out.add(
        "untouched",
        "from-colon-ru",
        "ru",
        lambda w: Built("От: бухгалтерии пришёл новый запрос.\nКому его переслать?\n", None),
        "От: бухгалтерии пришёл новый запрос.\nКому его переслать?",
    )
    print(f"{out.count} cases written to {HERE}")


if __name__ == "__main__":
    main()
