# ruff: noqa: E501, B023 - mail lines read better unwrapped; each lambda runs at once
# mypy: disable-error-code="misc"
"""Writes the reply fixtures of this folder: `python -m tests.inbox.replies._generate`.

Each case is `<kind>/<case>.eml` (the reply as a client sends it) and
`<kind>/<case>.expected.txt` (what an agent should see of it). The files are committed;
this script is how they were made, kept so that a new case is one line.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.inbox.replies import _clients as c
from tests.inbox.replies._mail import CUSTOMERS, MOBILE, WINDOWS_MAIL, Built, When, write_case

HERE = Path(__file__).parent
LANGS = ["ru", "en", "de", "fr", "es", "pt", "it", "nl", "pl", "uk"]

# The customer's new words: several per language, of different shapes.
REPLIES: dict[str, list[str]] = {
    "en": [
        'Hi,\n\nThe error says "Report engine timeout (code 504)". Screenshot attached.\n\nThanks,\nJohn',
        "It happens only in Firefox; in Chrome the report opens fine.",
        "Hello,\nI tried again this morning and it still fails.\nCould you escalate this, please?\n\nJohn Miller\nACME Ltd.",
    ],
    "ru": [
        "Добрый день!\n\nОшибка: «Превышено время ожидания (код 504)». Снимок во вложении.\n\nСпасибо,\nИрина",
        "Проблема только в Firefox, в Chrome отчёт открывается.",
        "Здравствуйте,\nпопробовала ещё раз утром — всё так же.\nМожно ускорить решение?\n\nИрина Соколова\nООО «Ромашка»",
    ],
    "de": [
        "Hallo,\n\ndie Meldung lautet „Zeitüberschreitung (Code 504)“. Screenshot anbei.\n\nViele Grüße\nJürgen Weiß",
        "Der Fehler tritt nur im Firefox auf, im Chrome öffnet sich der Bericht.",
        "Guten Tag,\nich habe es heute früh noch einmal versucht, leider ohne Erfolg.\nKönnen Sie das bitte eskalieren?\n\nJürgen",
    ],
    "fr": [
        "Bonjour,\n\nLe message est « Délai dépassé (code 504) ». La capture est en pièce jointe.\n\nMerci,\nAmélie",
        "Cela n'arrive que sous Firefox ; sous Chrome le rapport s'ouvre.",
        "Bonjour,\nJ'ai réessayé ce matin, toujours la même erreur.\nPouvez-vous escalader ?\n\nAmélie Dubois\nSociété Dubois SARL",
    ],
    "es": [
        "Hola:\n\nEl error dice «Tiempo de espera agotado (código 504)». Adjunto la captura.\n\nGracias,\nLucía",
        "Solo pasa en Firefox; en Chrome el informe se abre bien.",
        "Buenos días,\nlo he vuelto a intentar esta mañana y sigue fallando.\n¿Pueden darle prioridad?\n\nLucía Fernández",
    ],
    "pt": [
        'Olá,\n\nO erro diz "Tempo limite esgotado (código 504)". Segue a captura em anexo.\n\nObrigado,\nJoão',
        "Só acontece no Firefox; no Chrome o relatório abre normalmente.",
        "Bom dia,\ntentei de novo hoje de manhã e continua com erro.\nPodem dar prioridade?\n\nJoão Pereira",
    ],
    "it": [
        'Buongiorno,\n\nl\'errore dice "Timeout del motore report (codice 504)". Allego lo screenshot.\n\nGrazie,\nGiulia',
        "Succede solo con Firefox; con Chrome il report si apre.",
        "Salve,\nho riprovato stamattina e non funziona ancora.\nPotete dare priorità?\n\nGiulia Rossi",
    ],
    "nl": [
        'Hallo,\n\nDe foutmelding is "Time-out van rapportage (code 504)". Schermafbeelding bijgevoegd.\n\nGroet,\nSanne',
        "Het gebeurt alleen in Firefox; in Chrome opent het rapport wel.",
        "Goedemorgen,\nik heb het vanochtend opnieuw geprobeerd, nog steeds hetzelfde.\nKunnen jullie dit met voorrang oppakken?\n\nSanne de Vries",
    ],
    "pl": [
        "Dzień dobry,\n\nKomunikat brzmi „Przekroczono limit czasu (kod 504)”. Zrzut w załączniku.\n\nDziękuję,\nMałgorzata",
        "Dzieje się tak tylko w Firefoksie, w Chrome raport się otwiera.",
        "Witam,\nspróbowałam jeszcze raz rano i nadal nie działa.\nCzy mogą Państwo to przyspieszyć?\n\nMałgorzata Wójcik",
    ],
    "uk": [
        "Добрий день!\n\nПомилка: «Час очікування вичерпано (код 504)». Знімок у вкладенні.\n\nДякую,\nОлена",
        "Проблема лише у Firefox, у Chrome звіт відкривається.",
        "Вітаю,\nспробувала ще раз зранку — те саме.\nЧи можна пришвидшити?\n\nОлена Ковальчук",
    ],
}
# Interleaved answers: one per quoted paragraph of the desk's message (empty: none).
INLINE: dict[str, list[str]] = {
    "en": ["", 'Sure, it is "Report engine timeout (code 504)".\nScreenshot attached.'],
    "ru": ["", "Конечно: «Превышено время ожидания (код 504)».\nСнимок приложила."],
    "de": ["", "Gern: „Zeitüberschreitung (Code 504)“.\nScreenshot anbei."],
    "fr": ["", "Bien sûr : « Délai dépassé (code 504) ».\nCapture jointe."],
    "es": ["", "Claro: «Tiempo de espera agotado (código 504)».\nAdjunto la captura."],
    "pt": ["", 'Claro: "Tempo limite esgotado (código 504)".\nCaptura em anexo.'],
    "it": ["", 'Certo: "Timeout del motore report (codice 504)".\nScreenshot allegato.'],
    "nl": ["", 'Zeker: "Time-out van rapportage (code 504)".\nSchermafbeelding bijgevoegd.'],
    "pl": ["", "Oczywiście: „Przekroczono limit czasu (kod 504)”.\nZrzut w załączniku."],
    "uk": ["", "Звісно: «Час очікування вичерпано (код 504)».\nЗнімок додала."],
}
CHARSETS = {
    "ru": "koi8-r",
    "uk": "windows-1251",
    "de": "iso-8859-1",
    "fr": "windows-1252",
    "pl": "iso-8859-2",
    "es": "iso-8859-15",
}


def _fits(built: Built, charset: str) -> bool:
    try:
        for part in (built.text, built.html):
            if part is not None:
                part.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


class Writer:
    def __init__(self, root: Path, seed: int) -> None:
        self.root = root
        self.rnd = random.Random(seed)
        self.count = 0

    def when(self) -> When:
        r = self.rnd
        start = dt.datetime(2025, 1, 6, 8, 0) + dt.timedelta(
            days=r.randrange(420), minutes=r.randrange(600)
        )
        return When(start)

    def encoding(self, lang: str, built: Built) -> tuple[str, str]:
        roll = self.rnd.random()
        if roll < 0.25 and lang in CHARSETS and _fits(built, CHARSETS[lang]):
            return CHARSETS[lang], "quoted-printable"
        if roll < 0.55:
            return "utf-8", "base64"
        if roll < 0.7:
            return "utf-8", "8bit"
        return "utf-8", "quoted-printable"

    def add(
        self,
        kind: str,
        name: str,
        lang: str,
        make: Callable[[When], Built],
        expected: str,
        mailer: str = "",
    ) -> None:
        w = self.when()
        built = make(w)
        charset, cte = self.encoding(lang, built)
        write_case(
            self.root / kind,
            name,
            built,
            expected,
            lang=lang,
            when=w,
            charset=charset,
            cte=cte,
            mailer=mailer,
        )
        self.count += 1


def main_set(out: Writer) -> None:
    attribution_clients = [
        "gmail",
        "thunderbird",
        "apple",
        "yandex",
        "mailru",
        "datefirst",
        "roundcube",
        "k9",
    ]
    for i, lang in enumerate(LANGS):
        for j, client in enumerate(attribution_clients):
            if (i + j) % 2:  # half of the pairs, each language with four clients
                continue
            reply = REPLIES[lang][(i + j) % 3]
            width = 72 if client in ("gmail", "apple") and j % 4 == 0 else 0
            out.add(
                "attribution",
                f"{client}-{lang}",
                lang,
                lambda w, r=reply, cl=client, wd=width: c.text_top(r, lang, w, cl, width=wd),
                reply,
            )
        # attributions wrapped over two or three lines
        reply = REPLIES[lang][1]
        out.add(
            "attribution",
            f"wrapped-gmail-{lang}",
            lang,
            lambda w, r=reply: c.text_top(r, lang, w, "gmail", width=40),
            reply,
        )
    for i, lang in enumerate(LANGS):
        reply = REPLIES[lang][i % 3]
        out.add(
            "divider",
            f"outlook-original-{lang}",
            lang,
            lambda w, r=reply: c.text_outlook(r, lang, w, divider="dashes"),
            reply,
            "Microsoft Outlook 16.0",
        )
        reply2 = REPLIES[lang][(i + 1) % 3]
        out.add(
            "divider",
            f"zimbra-{lang}",
            lang,
            lambda w, r=reply2: c.text_zimbra(r, lang, w),
            reply2,
            "Zimbra 9.0.0_GA_4546",
        )
    for i, lang in enumerate(LANGS):
        reply = REPLIES[lang][(i + 2) % 3]
        out.add(
            "header_block",
            f"outlook-underscores-{lang}",
            lang,
            lambda w, r=reply: c.text_outlook(r, lang, w, divider="underscores"),
            reply,
        )
        reply2 = REPLIES[lang][i % 3]
        out.add(
            "header_block",
            f"outlook-bare-{lang}",
            lang,
            lambda w, r=reply2: c.text_outlook(r, lang, w, divider="none"),
            reply2,
        )
        if i % 2 == 0:
            out.add(
                "header_block",
                f"outlook-bold-{lang}",
                lang,
                lambda w, r=reply: c.text_outlook(r, lang, w, divider="blank", bold=True),
                reply,
            )
        if i % 2 == 1:
            out.add(
                "header_block",
                f"windows-mail-{lang}",
                lang,
                lambda w, r=reply2: c.text_windows_mail(r, lang, w),
                reply2,
            )
        if i % 3 == 0:
            out.add(
                "header_block",
                f"lotus-{lang}",
                lang,
                lambda w, r=reply: c.text_lotus(r, lang, w),
                reply,
                "Lotus Notes Release 9.0.1",
            )
    for i, lang in enumerate(LANGS):
        reply = REPLIES[lang][1]
        client = ["thunderbird", "gmail", "k9", "roundcube"][i % 4]
        out.add(
            "interleaved",
            f"bottom-{client}-{lang}",
            lang,
            lambda w, r=reply, cl=client: c.text_bottom(r, lang, w, cl),
            reply,
        )
        answers = INLINE[lang]
        out.add(
            "interleaved",
            f"inline-{lang}",
            lang,
            lambda w, a=answers, cl=client: c.text_inline(a, lang, w, cl),
            answers[1],
        )
        if i % 2 == 0:
            both = [REPLIES[lang][1], answers[1]]
            out.add(
                "interleaved",
                f"inline-noattr-{lang}",
                lang,
                lambda w, a=both: c.text_inline(a, lang, w, "gmail", with_attr=False),
                "\n\n".join(both),
            )
        if i % 3 == 0:
            out.add(
                "interleaved",
                f"bottom-html-thunderbird-{lang}",
                lang,
                lambda w, r=reply: c.html_thunderbird(r, lang, w, bottom=True),
                reply,
            )
    html_makers: list[tuple[str, Callable[[str, str, When], Built]]] = [
        ("outlook2010", c.html_outlook2010),
        ("outlook2003", c.html_outlook2003),
        ("outlook365", c.html_outlook365),
        ("apple", c.html_apple),
        ("gmail", c.html_gmail),
        ("yandex", c.html_yandex),
        ("mailru", c.html_mailru),
        ("thunderbird", c.html_thunderbird),
        ("roundcube", c.html_roundcube),
        ("zimbra", c.html_zimbra),
    ]
    for i, lang in enumerate(LANGS):
        for j, (client, make) in enumerate(html_makers):
            if (i + j) % 3:
                continue
            reply = REPLIES[lang][(i + j) % 3]
            out.add(
                "html", f"{client}-{lang}", lang, lambda w, r=reply, m=make: m(r, lang, w), reply
            )
        if i % 2 == 0:
            footer = MOBILE[lang][0]
            reply = REPLIES[lang][1]
            out.add(
                "html",
                f"ios-{lang}",
                lang,
                lambda w, r=reply, f=footer: c.html_apple(r, lang, w, ios=True, footer=f),
                reply,
            )
        if i % 2 == 1:
            reply = REPLIES[lang][0]
            out.add(
                "html",
                f"windows-mail-{lang}",
                lang,
                lambda w, r=reply: c.html_windows_mail(r, lang, w, WINDOWS_MAIL[lang]),
                reply,
            )
    for i, lang in enumerate(LANGS):
        for k, footer in enumerate(MOBILE[lang]):
            reply = REPLIES[lang][(i + k) % 3]
            client = ["gmail", "apple", "yandex"][k % 3]
            out.add(
                "signature",
                f"mobile-{k}-{lang}",
                lang,
                lambda w, r=reply, f=footer, cl=client: c.text_top(r, lang, w, cl, footer=f),
                reply,
            )
        name = CUSTOMERS[lang][0]
        reply = REPLIES[lang][1]
        sig = f"{name}\n+7 495 123-45-67\nwww.example.test"
        if i % 2 == 0:
            out.add(
                "signature",
                f"dashdash-{lang}",
                lang,
                lambda w, r=reply, s=sig: c.text_top(f"{r}\n\n-- \n{s}", lang, w, "thunderbird"),
                reply,
            )
        else:
            out.add(
                "signature",
                f"gmail-sig-{lang}",
                lang,
                lambda w, r=reply, s=sig: c.html_gmail(r, lang, w, signature=s),
                reply,
            )
    negatives = {
        "sent-from-sentence-en": (
            "en",
            "Sent from my iPhone the report never loads, but from the laptop it does.\nPlease check.\n\nJohn",
        ),
        "sent-from-middle-en": (
            "en",
            "Thanks!\n\nSent from my iPhone\n\nP.S. The invoice number is 2026-118.",
        ),
        "from-in-text-en": (
            "en",
            "From: the accounting department we still get the old invoices.\nTo: whom should we write about it?\n\nJohn",
        ),
        "wrote-in-text-ru": (
            "ru",
            "Ваш коллега вчера написал:\nзадача будет решена к пятнице.\nЭто всё ещё так?",
        ),
        "schrieb-in-text-de": (
            "de",
            "Ihr Kollege schrieb mir gestern, dass es bis Freitag erledigt ist.\nStimmt das noch?",
        ),
        "otpravleno-sentence-ru": (
            "ru",
            "Отправлено с iPhone коллеги, поэтому пишу коротко: отчёт так и не открылся.",
        ),
        "signoff-only-fr": (
            "fr",
            "Merci pour votre aide, tout fonctionne maintenant.\n\nBien cordialement,\nAmélie",
        ),
        "dashes-in-text-pl": (
            "pl",
            "Kroki:\n-- otworzyć raport\n-- kliknąć „Eksport”\nI wtedy pojawia się błąd.",
        ),
    }
    for name, (lang, text) in negatives.items():
        out.add("untouched", name, lang, lambda w, t=text: Built(t + "\n", None), text)
    for i, lang in enumerate(LANGS):
        if i % 2:
            continue
        reply = REPLIES[lang][2]
        out.add(
            "untouched", f"only-new-{lang}", lang, lambda w, r=reply: Built(r + "\n", None), reply
        )


def main() -> None:
    for kind in HERE.iterdir():
        if kind.is_dir() and not kind.name.startswith("_"):
            shutil.rmtree(kind)
    out = Writer(HERE, seed=20260312)
    main_set(out)
    print(f"{out.count} cases written to {HERE}")


if __name__ == "__main__":
    main()
