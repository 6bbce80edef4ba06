# ruff: noqa: E501 - mail lines and typography read better unwrapped
"""How the common mail clients write a reply, in ten languages: the pieces the reply
fixtures are built from (`_generate.py` here and in `replies_holdout/`).

Each client function returns the reply as the client would send it: the plain part
and/or the HTML part, with the customer's new words, the attribution or header block
of the quoted original, and the original itself. The expected visible text is the
customer's words alone, written next to each message as `<case>.expected.txt`.
"""

from __future__ import annotations

import datetime as dt
import html
import textwrap
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

DESK = "support@desk.test"

MONTHS = {
    "en": "January February March April May June July August September October November December",
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "pl": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia",
    "uk": "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня",
}
MONTHS_SHORT = {
    "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
    "ru": "янв. февр. мар. апр. мая июн. июл. авг. сент. окт. нояб. дек.",
    "de": "Jan. Feb. März Apr. Mai Juni Juli Aug. Sept. Okt. Nov. Dez.",
    "fr": "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.",
    "es": "ene feb mar abr may jun jul ago sept oct nov dic",
    "pt": "jan. fev. mar. abr. mai. jun. jul. ago. set. out. nov. dez.",
    "it": "gen feb mar apr mag giu lug ago set ott nov dic",
    "nl": "jan feb mrt apr mei jun jul aug sep okt nov dec",
    "pl": "sty lut mar kwi maj cze lip sie wrz paź lis gru",
    "uk": "січ. лют. бер. квіт. трав. черв. лип. серп. вер. жовт. лист. груд.",
}
WEEKDAYS = {
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    "ru": "понедельник вторник среда четверг пятница суббота воскресенье",
    "de": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag",
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche",
    "es": "lunes martes miércoles jueves viernes sábado domingo",
    "pt": "segunda-feira terça-feira quarta-feira quinta-feira sexta-feira sábado domingo",
    "it": "lunedì martedì mercoledì giovedì venerdì sabato domenica",
    "nl": "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag",
    "pl": "poniedziałek wtorek środa czwartek piątek sobota niedziela",
    "uk": "понеділок вівторок середа четвер пʼятниця субота неділя",
}
WEEKDAYS_SHORT = {
    "en": "Mon Tue Wed Thu Fri Sat Sun",
    "ru": "пн вт ср чт пт сб вс",
    "de": "Mo. Di. Mi. Do. Fr. Sa. So.",
    "fr": "lun. mar. mer. jeu. ven. sam. dim.",
    "es": "lun mar mié jue vie sáb dom",
    "pt": "seg. ter. qua. qui. sex. sáb. dom.",
    "it": "lun mar mer gio ven sab dom",
    "nl": "ma di wo do vr za zo",
    "pl": "pon. wt. śr. czw. pt. sob. niedz.",
    "uk": "пн вт ср чт пт сб нд",
}

# Outlook's header labels: divider, From, Sent, To, Cc, Subject.
OUTLOOK = {
    "en": ("-----Original Message-----", "From", "Sent", "To", "Cc", "Subject"),
    "ru": ("-----Исходное сообщение-----", "От", "Отправлено", "Кому", "Копия", "Тема"),
    "de": ("-----Ursprüngliche Nachricht-----", "Von", "Gesendet", "An", "Cc", "Betreff"),
    "fr": ("-----Message d'origine-----", "De", "Envoyé", "À", "Cc", "Objet"),
    "es": ("-----Mensaje original-----", "De", "Enviado el", "Para", "CC", "Asunto"),
    "pt": ("-----Mensagem original-----", "De", "Enviada em", "Para", "Cc", "Assunto"),
    "it": ("-----Messaggio originale-----", "Da", "Inviato", "A", "Cc", "Oggetto"),
    "nl": ("-----Oorspronkelijk bericht-----", "Van", "Verzonden", "Aan", "CC", "Onderwerp"),
    "pl": ("-----Wiadomość oryginalna-----", "Od", "Wysłano", "Do", "DW", "Temat"),
    "uk": ("-----Оригінальне повідомлення-----", "Від", "Надіслано", "Кому", "Копія", "Тема"),
}
# Zimbra / Roundcube-style "----- Original Message -----" and the labels they use.
ZIMBRA = {
    "en": ("----- Original Message -----", "From", "To", "Sent", "Subject"),
    "ru": ("----- Исходное сообщение -----", "От", "Кому", "Отправлено", "Тема"),
    "de": ("----- Ursprüngliche Mail -----", "Von", "An", "Gesendet", "Betreff"),
    "fr": ("----- Mail original -----", "De", "À", "Envoyé", "Objet"),
    "es": ("----- Mensaje original -----", "De", "Para", "Enviados", "Asunto"),
    "pt": ("----- Mensagem original -----", "De", "Para", "Enviadas", "Assunto"),
    "it": ("----- Messaggio originale -----", "Da", "A", "Inviato", "Oggetto"),
    "nl": ("----- Oorspronkelijk bericht -----", "Van", "Aan", "Verzonden", "Onderwerp"),
    "pl": ("----- Oryginalna wiadomość -----", "Od", "Do", "Wysłane", "Temat"),
    "uk": ("----- Оригінальне повідомлення -----", "Від", "Кому", "Надіслано", "Тема"),
}
MOBILE = {
    "en": ["Sent from my iPhone", "Sent from my Galaxy", "Get Outlook for Android"],
    "ru": [
        "Отправлено с iPhone",
        "Отправлено из мобильной Яндекс Почты",
        "Отправлено из мобильной Почты Mail.ru",
    ],
    "de": ["Von meinem iPhone gesendet", "Gesendet von meinem Samsung Galaxy Smartphone."],
    "fr": ["Envoyé de mon iPhone", "Envoyé depuis mon smartphone Samsung Galaxy."],
    "es": ["Enviado desde mi iPhone", "Enviado desde mi smartphone Samsung Galaxy."],
    "pt": ["Enviado do meu iPhone", "Enviado do meu smartphone Galaxy"],
    "it": ["Inviato da iPhone", "Inviato dal mio smartphone Samsung Galaxy."],
    "nl": ["Verstuurd vanaf mijn iPhone", "Verzonden vanaf mijn Samsung Galaxy-smartphone."],
    "pl": ["Wysłane z mojego iPhone'a", "Wysłane z mojego smartfona Galaxy"],
    "uk": ["Надіслано з iPhone", "Надіслано з мого Galaxy"],
}
WINDOWS_MAIL = {
    "en": "Sent from Mail for Windows",
    "ru": "Отправлено из приложения Почта для Windows",
    "de": "Gesendet von Mail für Windows",
    "fr": "Envoyé à partir de Courrier pour Windows",
    "es": "Enviado desde Correo para Windows",
    "pt": "Enviado do Email para Windows",
    "it": "Inviato da Posta per Windows",
    "nl": "Verzonden vanuit Mail voor Windows",
    "pl": "Wysłano z aplikacji Poczta dla Windows",
    "uk": "Надіслано з Пошти для Windows",
}
CUSTOMERS = {
    "en": ("John Miller", "john.miller@acme.test"),
    "ru": ("Ирина Соколова", "i.sokolova@yandex.test"),
    "de": ("Jürgen Weiß", "j.weiss@firma.test"),
    "fr": ("Amélie Dubois", "amelie.dubois@societe.test"),
    "es": ("Lucía Fernández", "lucia.fernandez@empresa.test"),
    "pt": ("João Pereira", "joao.pereira@empresa.test"),
    "it": ("Giulia Rossi", "giulia.rossi@azienda.test"),
    "nl": ("Sanne de Vries", "sanne@bedrijf.test"),
    "pl": ("Małgorzata Wójcik", "m.wojcik@firma.test"),
    "uk": ("Олена Ковальчук", "olena.k@ukr.test"),
}
DESK_NAME = {
    "en": "Opora Support",
    "ru": "Служба поддержки",
    "de": "Opora Kundendienst",
    "fr": "Support Opora",
    "es": "Soporte Opora",
    "pt": "Suporte Opora",
    "it": "Assistenza Opora",
    "nl": "Opora Klantenservice",
    "pl": "Wsparcie Opora",
    "uk": "Служба підтримки",
}
# What the desk wrote (the quoted original), per language.
ORIGINAL = {
    "en": "Hello John,\n\nCould you send us the exact error message and a screenshot?\n\nBest regards,\nOpora Support\n[#4521]",
    "ru": "Здравствуйте, Ирина!\n\nПришлите, пожалуйста, точный текст ошибки и снимок экрана.\n\nС уважением,\nСлужба поддержки\n[#4521]",
    "de": "Hallo Herr Weiß,\n\nkönnten Sie uns die genaue Fehlermeldung und einen Screenshot schicken?\n\nMit freundlichen Grüßen\nOpora Kundendienst",
    "fr": "Bonjour Amélie,\n\nPouvez-vous nous envoyer le message d'erreur exact et une capture d'écran ?\n\nCordialement,\nSupport Opora",
    "es": "Hola Lucía:\n\n¿Podría enviarnos el mensaje de error exacto y una captura de pantalla?\n\nSaludos cordiales,\nSoporte Opora",
    "pt": "Olá João,\n\nPoderia nos enviar a mensagem de erro exata e uma captura de tela?\n\nAtenciosamente,\nSuporte Opora",
    "it": "Gentile Giulia,\n\npotrebbe inviarci il messaggio di errore esatto e uno screenshot?\n\nCordiali saluti,\nAssistenza Opora",
    "nl": "Beste Sanne,\n\nKunt u ons de exacte foutmelding en een schermafbeelding sturen?\n\nMet vriendelijke groet,\nOpora Klantenservice",
    "pl": "Dzień dobry Pani Małgorzato,\n\nczy może Pani przesłać dokładny komunikat błędu i zrzut ekranu?\n\nPozdrawiamy,\nWsparcie Opora",
    "uk": "Доброго дня, Олено!\n\nНадішліть, будь ласка, точний текст помилки та знімок екрана.\n\nЗ повагою,\nСлужба підтримки",
}
SUBJECT = {
    "en": "Re: Report does not open [#4521]",
    "ru": "Re: Не открывается отчёт [#4521]",
    "de": "AW: Bericht lässt sich nicht öffnen [#4521]",
    "fr": "RE: Le rapport ne s'ouvre pas [#4521]",
    "es": "RE: El informe no se abre [#4521]",
    "pt": "RES: O relatório não abre [#4521]",
    "it": "R: Il report non si apre [#4521]",
    "nl": "Antw: Rapport opent niet [#4521]",
    "pl": "Odp: Raport się nie otwiera [#4521]",
    "uk": "Re: Не відкривається звіт [#4521]",
}


def words(lang: str, kind: str) -> list[str]:
    return (
        MONTHS
        if kind == "month"
        else MONTHS_SHORT
        if kind == "mon"
        else WEEKDAYS
        if kind == "day"
        else WEEKDAYS_SHORT
    )[lang].split()


@dataclass
class When:
    at: dt.datetime

    def month(self, lang: str) -> str:
        return words(lang, "month")[self.at.month - 1]

    def mon(self, lang: str) -> str:
        return words(lang, "mon")[self.at.month - 1]

    def day(self, lang: str) -> str:
        return words(lang, "day")[self.at.weekday()]

    def dy(self, lang: str) -> str:
        return words(lang, "dy")[self.at.weekday()]

    @property
    def hm(self) -> str:
        return self.at.strftime("%H:%M")

    @property
    def ampm(self) -> str:
        return self.at.strftime("%I:%M %p").lstrip("0")


# Attributions: how each client introduces the quoted original ("On ... wrote:").
def gmail_attr(lang: str, w: When, name: str, addr: str) -> str:
    a, d = w.at, w
    return {
        "en": f"On {d.dy('en')}, {d.mon('en')} {a.day}, {a.year} at {d.ampm} {name} <{addr}> wrote:",
        "ru": f"{d.dy('ru')}, {a.day} {d.mon('ru')} {a.year} г. в {d.hm}, {name} <{addr}>:",
        "de": f"Am {d.dy('de')}, {a.day}. {d.month('de')} {a.year} um {d.hm} Uhr schrieb {name} <{addr}>:",
        "fr": f"Le {d.dy('fr')} {a.day} {d.mon('fr')} {a.year} à {d.hm}, {name} <{addr}> a écrit :",
        "es": f"El {d.dy('es')}, {a.day} {d.mon('es')} {a.year} a las {d.hm}, {name} (<{addr}>) escribió:",
        "pt": f"Em {d.dy('pt')}, {a.day} de {d.mon('pt')} de {a.year} às {d.hm}, {name} <{addr}> escreveu:",
        "it": f"Il giorno {d.dy('it')} {a.day} {d.mon('it')} {a.year} alle ore {d.hm} {name} <{addr}> ha scritto:",
        "nl": f"Op {d.dy('nl')} {a.day} {d.mon('nl')} {a.year} om {d.hm} schreef {name} <{addr}>:",
        "pl": f"{d.dy('pl')}, {a.day} {d.mon('pl')} {a.year} o {d.hm} {name} <{addr}> napisał(a):",
        "uk": f"{d.dy('uk')}, {a.day} {d.mon('uk')} {a.year} р. о {d.hm} {name} <{addr}> пише:",
    }[lang]


def thunderbird_attr(lang: str, w: When, name: str, addr: str) -> str:
    a = w.at
    return {
        "en": f"On {a.month}/{a.day}/{a.strftime('%y')} {w.ampm}, {name} wrote:",
        "ru": f"{a:%d.%m.%Y} {w.hm}, {name} пишет:",
        "de": f"Am {a:%d.%m.%y} um {w.hm} schrieb {name}:",
        "fr": f"Le {a:%d/%m/%Y} à {w.hm}, {name} a écrit :",
        "es": f"El {a.day}/{a.month}/{a:%y} a las {w.hm}, {name} escribió:",
        "pt": f"Em {a:%d/%m/%Y} {w.hm}, {name} escreveu:",
        "it": f"Il {a:%d/%m/%y} {w.hm}, {name} ha scritto:",
        "nl": f"Op {a:%d-%m-%Y} om {w.hm} schreef {name}:",
        "pl": f"W dniu {a:%d.%m.%Y} o {w.hm}, {name} pisze:",
        "uk": f"{a:%d.%m.%Y} {w.hm}, {name} пише:",
    }[lang]


def apple_attr(lang: str, w: When, name: str, addr: str) -> str:
    a = w.at
    return {
        "en": f"On {a.day} {w.mon('en')} {a.year}, at {w.hm}, {name} <{addr}> wrote:",
        "ru": f"{a.day} {w.month('ru')} {a.year} г., в {w.hm}, {name} <{addr}> написал(а):",
        "de": f"Am {a:%d.%m.%Y} um {w.hm} schrieb {name} <{addr}>:",
        "fr": f"Le {a.day} {w.month('fr')} {a.year} à {w.hm}, {name} <{addr}> a écrit :",
        "es": f"El {a.day} {w.mon('es')} {a.year}, a las {w.hm}, {name} <{addr}> escribió:",
        "pt": f"No dia {a:%d/%m/%Y}, às {w.hm}, {name} <{addr}> escreveu:",
        "it": f"Il giorno {a.day} {w.mon('it')} {a.year}, alle ore {w.hm}, {name} <{addr}> ha scritto:",
        "nl": f"Op {a.day} {w.mon('nl')}. {a.year} om {w.hm} heeft {name} <{addr}> het volgende geschreven:",
        "pl": f"Wiadomość napisana przez {name} <{addr}> w dniu {a.day} {w.month('pl')} {a.year}, o godz. {w.hm}:",
        "uk": f"{a.day} {w.mon('uk')} {a.year} р. о {w.hm} {name} <{addr}> написав(-ла):",
    }[lang]


def yandex_attr(lang: str, w: When, name: str, addr: str) -> str:
    return f'{w.at:%d.%m.%Y}, {w.hm}, "{name}" <{addr}>:'


def mailru_attr(lang: str, w: When, name: str, addr: str) -> str:
    a = w.at
    day = w.day(lang if lang in ("ru", "uk") else "ru").capitalize()
    month = w.month(lang if lang in ("ru", "uk") else "ru")
    by = "від" if lang == "uk" else "от"
    return f"{day}, {a.day} {month} {a.year}, {w.hm} +03:00 {by} {name} <{addr}>:"


def date_first_attr(lang: str, w: When, name: str, addr: str) -> str:
    return f"{w.at:%Y-%m-%d} {w.hm} GMT+02:00 {name} <{addr}>:"


def roundcube_attr(lang: str, w: When, name: str, addr: str) -> str:
    a = w.at
    verb = {
        "en": "wrote",
        "ru": "написал",
        "de": "schrieb",
        "fr": "a écrit ",
        "es": "escribió",
        "pt": "escreveu",
        "it": "ha scritto",
        "nl": "schreef",
        "pl": "napisał",
        "uk": "написав",
    }[lang]
    if lang == "en":
        return f"On {a:%Y-%m-%d} {w.hm}, {name} wrote:"
    if lang == "de":
        return f"Am {a:%Y-%m-%d} {w.hm}, schrieb {name}:"
    if lang == "nl":
        return f"Op {a:%Y-%m-%d} {w.hm}, schreef {name}:"
    return f"{a:%d.%m.%Y} {w.hm}, {name} {verb}:"


def k9_attr(lang: str, w: When, name: str, addr: str) -> str:
    a = w.at
    verb = {
        "en": "wrote",
        "ru": "пишет",
        "de": "schrieb",
        "fr": "a écrit",
        "es": "escribió",
        "pt": "escreveu",
        "it": "ha scritto",
        "nl": "schreef",
        "pl": "napisał",
        "uk": "пише",
    }[lang]
    opener = {
        "en": "On",
        "de": "Am",
        "fr": "Le",
        "es": "El",
        "pt": "Em",
        "it": "Il",
        "nl": "Op",
        "pl": "Dnia",
    }.get(lang, "")
    stamp = f"{a.day} {w.month(lang)} {a.year} {w.hm}:00 GMT+03:00"
    head = f"{opener} {stamp}".strip()
    return f"{head}, {name} <{addr}> {verb}:"


ATTRIBUTIONS = {
    "gmail": gmail_attr,
    "thunderbird": thunderbird_attr,
    "apple": apple_attr,
    "yandex": yandex_attr,
    "mailru": mailru_attr,
    "datefirst": date_first_attr,
    "roundcube": roundcube_attr,
    "k9": k9_attr,
}


def outlook_date(lang: str, w: When) -> str:
    a = w.at
    return {
        "en": f"{w.day('en')}, {w.month('en')} {a.day}, {a.year} {w.ampm}",
        "ru": f"{w.day('ru')}, {a.day} {w.month('ru')} {a.year} г. {w.hm}",
        "de": f"{w.day('de')}, {a.day}. {w.month('de')} {a.year} {w.hm}",
        "fr": f"{w.day('fr')} {a.day} {w.month('fr')} {a.year} {w.hm}",
        "es": f"{w.day('es')}, {a.day} de {w.month('es')} de {a.year} {w.hm}",
        "pt": f"{w.day('pt')}, {a.day} de {w.month('pt')} de {a.year} {w.hm}",
        "it": f"{w.day('it')} {a.day} {w.month('it')} {a.year} {w.hm}",
        "nl": f"{w.day('nl')} {a.day} {w.month('nl')} {a.year} {w.hm}",
        "pl": f"{w.day('pl')}, {a.day} {w.month('pl')} {a.year} {w.hm}",
        "uk": f"{w.day('uk')}, {a.day} {w.month('uk')} {a.year} р. {w.hm}",
    }[lang]


def quote(text: str, prefix: str = "> ") -> str:
    return "\n".join(
        (prefix + line).rstrip() if line else prefix.rstrip() for line in text.split("\n")
    )


def wrap(line: str, width: int) -> str:
    return "\n".join(textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False))


def outlook_block(
    lang: str, w: When, *, to: str, bold: str = "", date_label: str = ""
) -> list[str]:
    _, frm, sent, to_l, _, subj = OUTLOOK[lang]
    b = bold
    return [
        f"{b}{frm}:{b} {DESK_NAME[lang]} <{DESK}>",
        f"{b}{date_label or sent}:{b} {outlook_date(lang, w)}",
        f"{b}{to_l}:{b} {to}",
        f"{b}{subj}:{b} {SUBJECT[lang][SUBJECT[lang].index(':') + 2 :]}",
    ]


# HTML helpers
def esc(text: str) -> str:
    return html.escape(text, quote=False)


def paras(text: str, tag: str = "div") -> str:
    """The customer's words as the HTML editors write them: one block per line."""
    return "\n".join(f"<{tag}>{esc(line) if line else '<br>'}</{tag}>" for line in text.split("\n"))


def mso(text: str) -> str:
    out = []
    for line in text.split("\n"):
        body = esc(line) if line else "&nbsp;"
        out.append(f'<p class="MsoNormal"><span lang="EN-US">{body}<o:p></o:p></span></p>')
    return "\n".join(out)


def brs(text: str) -> str:
    return "<br>\n".join(esc(line) for line in text.split("\n"))


def page(body: str, head: str = "") -> str:
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        f"{head}</head><body>{body}</body></html>"
    )


OUTLOOK_HEAD = (
    "<style><!--\n/* Style Definitions */\np.MsoNormal, li.MsoNormal, div.MsoNormal\n"
    '\t{margin:0cm;font-size:11.0pt;font-family:"Calibri",sans-serif;}\n--></style>'
    '<!--[if gte mso 9]><xml><o:shapedefaults v:ext="edit" spidmax="1026" /></xml><![endif]-->'
)


@dataclass
class Built:
    text: str | None
    html: str | None


def write_case(
    folder: Path,
    name: str,
    built: Built,
    expected: str,
    *,
    lang: str,
    when: When,
    charset: str = "utf-8",
    cte: str = "quoted-printable",
    mailer: str = "",
) -> None:
    """One `<name>.eml` and its `<name>.expected.txt`."""
    who, addr = CUSTOMERS[lang]
    msg = EmailMessage()
    msg["From"] = f"{who} <{addr}>"
    msg["To"] = f"{DESK_NAME[lang]} <{DESK}>"
    msg["Subject"] = SUBJECT[lang]
    reply_at = when.at + dt.timedelta(hours=3, minutes=17)
    msg["Date"] = format_datetime(reply_at.replace(tzinfo=dt.timezone(dt.timedelta(hours=3))))
    msg["Message-ID"] = f"<{name}.{folder.name}@{addr.split('@')[1]}>"
    msg["In-Reply-To"] = "<ticket-4521-1@desk.test>"
    msg["References"] = "<ticket-4521-1@desk.test>"
    if mailer:
        msg["X-Mailer"] = mailer
    if built.text is not None:
        msg.set_content(built.text, charset=charset, cte=cte)
        if built.html is not None:
            msg.add_alternative(built.html, subtype="html", charset=charset, cte=cte)
    else:
        assert built.html is not None
        msg.set_content(built.html, subtype="html", charset=charset, cte=cte)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.eml").write_bytes(bytes(msg))
    (folder / f"{name}.expected.txt").write_text(expected.strip() + "\n", encoding="utf-8")
