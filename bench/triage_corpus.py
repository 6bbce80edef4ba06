"""A labelled corpus of help-desk requests for triage: intents written in Russian and
English, each with several phrasings and slots, shuffled clauses, shared greetings and
signatures, and (when asked) typos. Our own text; `bench/triage.py` and the triage
tests use it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

# intent: (type, priority, [English phrasings], [Russian phrasings]); {x} slots below.
INTENTS: dict[str, tuple[str, str, list[str], list[str]]] = {
    "billing-double-charge": (
        "problem",
        "high",
        [
            "I was charged twice for {plan} this month",
            "double payment on my card for the {plan} subscription",
            "you billed me two times, please refund the extra charge",
        ],
        [
            "с карты дважды списали оплату за {plan_ru}",
            "двойное списание за подписку {plan_ru} в этом месяце",
            "деньги сняли два раза, верните лишний платёж",
        ],
    ),
    "billing-invoice": (
        "question",
        "normal",
        [
            "please send an invoice for {plan} with our company details",
            "where can I download the invoice for last month",
            "need a closing invoice and act for the accountant",
        ],
        [
            "пришлите счёт на оплату {plan_ru} с реквизитами компании",
            "где скачать счёт за прошлый месяц",
            "бухгалтерии нужны закрывающие документы и акт",
        ],
    ),
    "billing-refund": (
        "question",
        "normal",
        [
            "I want a refund, cancel my {plan} plan",
            "how do I get my money back after cancelling",
            "requesting a refund for the unused period",
        ],
        [
            "хочу вернуть деньги и отменить тариф {plan_ru}",
            "как получить возврат средств после отмены",
            "прошу вернуть оплату за неиспользованный период",
        ],
    ),
    "login-password": (
        "question",
        "normal",
        [
            "I forgot my password and the reset link does not arrive",
            "cannot sign in, password reset email never comes",
            "how to change my password, the old one is lost",
        ],
        [
            "забыл пароль, ссылка для сброса не приходит",
            "не могу войти, письмо для восстановления пароля не пришло",
            "как поменять пароль, старый потерян",
        ],
    ),
    "login-2fa": (
        "incident",
        "high",
        [
            "lost my phone with the authenticator app, locked out by two-factor",
            "the 2FA code is always rejected as invalid",
            "two-factor authentication codes do not work after phone change",
        ],
        [
            "потерял телефон с приложением, не пускает двухфакторная аутентификация",
            "код 2FA всегда отклоняется как неверный",
            "после смены телефона не работают коды двухфакторной защиты",
        ],
    ),
    "account-delete": (
        "question",
        "low",
        [
            "please delete my account and all personal data",
            "how can I close my profile permanently",
            "remove my data under GDPR",
        ],
        [
            "удалите мой аккаунт и все персональные данные",
            "как навсегда закрыть профиль",
            "прошу удалить мои данные по закону о персональных данных",
        ],
    ),
    "account-email-change": (
        "question",
        "low",
        [
            "how do I change the email address on my account",
            "need to update my login email to a new one",
            "my address changed, replace the e-mail in the profile",
        ],
        [
            "как сменить адрес электронной почты в аккаунте",
            "нужно поменять почту для входа на новую",
            "почта поменялась, замените e-mail в профиле",
        ],
    ),
    "delivery-late": (
        "complaint",
        "high",
        [
            "my order {order} is late, it was due {days} days ago",
            "the parcel {order} still has not arrived",
            "where is my delivery, tracking for {order} has not moved",
        ],
        [
            "заказ {order} опаздывает, должен был прийти {days} дня назад",
            "посылка {order} до сих пор не доставлена",
            "где моя доставка, трек {order} не обновляется",
        ],
    ),
    "delivery-damaged": (
        "complaint",
        "high",
        [
            "the item in order {order} arrived broken",
            "package was damaged in transit, the box was crushed",
            "received a cracked product, want a replacement",
        ],
        [
            "товар из заказа {order} пришёл сломанным",
            "посылку повредили при доставке, коробка смята",
            "получил треснувший товар, хочу замену",
        ],
    ),
    "delivery-address": (
        "question",
        "normal",
        [
            "can I change the shipping address for order {order}",
            "wrong delivery address, please update it before dispatch",
            "I moved, send the order {order} to another address",
        ],
        [
            "можно изменить адрес доставки заказа {order}",
            "указал неверный адрес доставки, исправьте до отправки",
            "переехал, отправьте заказ {order} на другой адрес",
        ],
    ),
    "api-errors": (
        "incident",
        "urgent",
        [
            "the API returns 500 errors on every request since {time}",
            "our integration fails, endpoint answers internal server error",
            "REST API is down, all calls time out",
        ],
        [
            "API отвечает ошибкой 500 на каждый запрос с {time}",
            "интеграция сломалась, эндпоинт возвращает внутреннюю ошибку сервера",
            "REST API не работает, все вызовы падают по таймауту",
        ],
    ),
    "api-token": (
        "question",
        "normal",
        [
            "how do I create an API token with write scope",
            "my API key expired, where do I issue a new one",
            "which token scopes do I need for the webhook integration",
        ],
        [
            "как создать API токен с правом записи",
            "истёк ключ API, где выпустить новый",
            "какие права токена нужны для интеграции через вебхук",
        ],
    ),
    "site-down": (
        "incident",
        "urgent",
        [
            "the website is not loading at all, blank page",
            "your service is down for everyone in our office",
            "site shows 502 bad gateway since {time}",
        ],
        [
            "сайт вообще не открывается, белый экран",
            "сервис лежит у всех в нашем офисе",
            "сайт показывает 502 bad gateway с {time}",
        ],
    ),
    "app-crash": (
        "incident",
        "high",
        [
            "the mobile app crashes on start after the update",
            "android app closes immediately when I open the camera",
            "iphone app freezes and quits on the payment screen",
        ],
        [
            "мобильное приложение вылетает при запуске после обновления",
            "приложение на андроиде закрывается при открытии камеры",
            "приложение на айфоне зависает и закрывается на экране оплаты",
        ],
    ),
    "report-export": (
        "question",
        "low",
        [
            "how to export the monthly report to Excel",
            "the CSV export of the report is empty",
            "can I schedule the report to be sent by email",
        ],
        [
            "как выгрузить месячный отчёт в Excel",
            "выгрузка отчёта в CSV пустая",
            "можно ли настроить отправку отчёта по почте по расписанию",
        ],
    ),
    "feature-request": (
        "suggestion",
        "low",
        [
            "it would be great to have a dark theme",
            "please add an option to group items by tag",
            "suggestion: let us pin favourite filters",
        ],
        [
            "было бы здорово добавить тёмную тему",
            "добавьте, пожалуйста, группировку по тегам",
            "предложение: дайте закреплять избранные фильтры",
        ],
    ),
    "integration-crm": (
        "question",
        "normal",
        [
            "how to connect the CRM integration with our Bitrix",
            "contacts do not sync between the CRM and your system",
            "need help setting up the amoCRM connector",
        ],
        [
            "как подключить интеграцию с CRM Битрикс",
            "контакты не синхронизируются между CRM и вашей системой",
            "помогите настроить коннектор amoCRM",
        ],
    ),
    "mail-not-received": (
        "incident",
        "normal",
        [
            "our customers do not receive the notification emails",
            "emails from the system land in spam or never arrive",
            "notification letters stopped coming since {time}",
        ],
        [
            "клиенты не получают письма с уведомлениями",
            "письма из системы попадают в спам или не доходят",
            "уведомления на почту перестали приходить с {time}",
        ],
    ),
    "users-add": (
        "question",
        "low",
        [
            "how do I invite a new colleague to our workspace",
            "need to add five more users to the team",
            "please add seats for new employees",
        ],
        [
            "как пригласить нового коллегу в рабочее пространство",
            "нужно добавить ещё пять пользователей в команду",
            "добавьте места для новых сотрудников",
        ],
    ),
    "security-phishing": (
        "incident",
        "urgent",
        [
            "we got a phishing email pretending to be from you",
            "someone logged into my account from another country",
            "suspicious login, I think my account was hacked",
        ],
        [
            "пришло фишинговое письмо якобы от вас",
            "кто-то вошёл в мой аккаунт из другой страны",
            "подозрительный вход, похоже аккаунт взломали",
        ],
    ),
    "contract-terms": (
        "question",
        "normal",
        [
            "please send the contract draft for the annual {plan} plan",
            "we need to sign an agreement with changes to the terms",
            "legal asks about the liability clause in the contract",
        ],
        [
            "пришлите проект договора на годовой тариф {plan_ru}",
            "нужно подписать договор с изменёнными условиями",
            "юристы спрашивают про пункт об ответственности в договоре",
        ],
    ),
    "slow-performance": (
        "problem",
        "normal",
        [
            "pages load very slowly, about {days}0 seconds each",
            "search takes forever to show results",
            "the dashboard is extremely slow in the afternoon",
        ],
        [
            "страницы грузятся очень медленно, секунд по {days}0",
            "поиск очень долго показывает результаты",
            "дашборд страшно тормозит после обеда",
        ],
    ),
    "data-import": (
        "question",
        "normal",
        [
            "how do I import customers from a spreadsheet",
            "the CSV import fails with an encoding error",
            "bulk import of products stops at line {order}",
        ],
        [
            "как импортировать клиентов из таблицы",
            "импорт CSV падает с ошибкой кодировки",
            "массовый импорт товаров останавливается на строке {order}",
        ],
    ),
    "plan-upgrade": (
        "question",
        "normal",
        [
            "I want to upgrade from Basic to {plan}",
            "what is the price difference if we move to {plan}",
            "how to switch our subscription to a bigger plan",
        ],
        [
            "хочу перейти с тарифа Базовый на {plan_ru}",
            "какая разница в цене при переходе на {plan_ru}",
            "как перевести подписку на тариф побольше",
        ],
    ),
}

PLANS = [("Pro", "Про"), ("Business", "Бизнес"), ("Enterprise", "Корпоративный")]
GREETINGS = {
    "en": ["Hello,", "Hi team,", "Good afternoon.", "Dear support,", ""],
    "ru": ["Здравствуйте!", "Добрый день.", "Привет,", "Уважаемая поддержка,", ""],
}
EXTRAS = {
    "en": ["Please help.", "This is important for us.", "Thanks in advance.", "Any news?", ""],
    "ru": ["Помогите, пожалуйста.", "Это важно для нас.", "Заранее спасибо.", "Жду ответа.", ""],
}
SIGNATURES = {
    "en": ["Best regards, Anna", "Thanks, John", "--\nSent from my phone", ""],
    "ru": ["С уважением, Ольга", "Спасибо, Иван", "--\nОтправлено с телефона", ""],
}


@dataclass(frozen=True)
class Sample:
    intent: str
    type: str
    priority: str
    language: str
    subject: str
    body: str


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 2)
    kind = rng.randrange(3)
    if kind == 0:  # swap two letters
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:  # drop one
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]  # double one


def _noisy(text: str, rng: random.Random, typos: float) -> str:
    words = text.split(" ")
    words = [_typo(w, rng) if rng.random() < typos else w for w in words]
    if typos and len(words) > 4 and rng.random() < 0.3:  # move a phrase to the front
        cut = rng.randrange(2, len(words) - 1)
        words = words[cut:] + words[:cut]
    return " ".join(words)


def _fill(text: str, rng: random.Random) -> str:
    plan, plan_ru = rng.choice(PLANS)
    return text.format(
        plan=plan,
        plan_ru=plan_ru,
        order=rng.randrange(10_000, 99_999),
        days=rng.randrange(2, 9),
        time=f"{rng.randrange(0, 24):02d}:{rng.choice(['00', '15', '30', '45'])}",
    )


def generate(
    n: int,
    *,
    seed: int = 1,
    typos: float = 0.08,
    intents: list[str] | None = None,
    phrasings: tuple[int, ...] = (0, 1, 2),
) -> list[Sample]:
    """n requests over the intents (all by default), half Russian, half English, in the
    given phrasings of each intent (by index: hold one out to test on unseen wording)."""
    rng = random.Random(seed)
    names = intents or sorted(INTENTS)
    found = []
    for k in range(n):
        intent = names[k % len(names)]
        kind, priority, en, ru = INTENTS[intent]
        language = "ru" if rng.random() < 0.5 else "en"
        wording = [(ru if language == "ru" else en)[i] for i in phrasings]
        subject = _noisy(_fill(rng.choice(wording), rng), rng, typos)[:120]
        main = _noisy(_fill(rng.choice(wording), rng), rng, typos)
        parts = [rng.choice(GREETINGS[language]), main, rng.choice(EXTRAS[language])]
        if rng.random() < 0.5:
            parts[1:] = parts[1:][::-1]  # word order: the plea before the matter
        body = "\n\n".join(p for p in [*parts, rng.choice(SIGNATURES[language])] if p)
        found.append(Sample(intent, kind, priority, language, subject, body))
    rng.shuffle(found)
    return found


def import_history(samples: list[Sample], *, admin: Any, requester: Any) -> dict[str, Any]:
    """Open the samples as tickets in one team per intent, then mark them solved, as a
    desk's imported history; returns the teams by intent name."""
    from opora.accounts.actions import create_team
    from opora.accounts.models import Team
    from opora.core import clock
    from opora.tickets.actions import create_tickets, prepare_ticket
    from opora.tickets.models import Ticket

    teams = {t.name: t for t in Team.objects.filter(name__in={s.intent for s in samples})}
    for intent in sorted({s.intent for s in samples} - set(teams)):
        teams[intent] = create_team(name=intent, by=admin)
    for start in range(0, len(samples), 500):
        batch = samples[start : start + 500]
        opened = create_tickets(
            [
                prepare_ticket(
                    requester=requester,
                    subject=s.subject,
                    body=s.body,
                    by=admin,
                    team=teams[s.intent],
                    type=s.type,
                    priority=s.priority,
                    language=s.language,
                )
                for s in batch
            ]
        )
        # History: these were solved long ago, so no solve is replayed through the
        # actions (no SLA clocks, rating requests or notices for the past).
        Ticket.objects.filter(pk__in=[t.pk for t, _ in opened]).update(
            status="solved", solved_at=clock.now()
        )
    return teams
