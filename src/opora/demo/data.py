# Russian text is intended here: Cyrillic letters that look like Latin ones are not typos.
# ruff: noqa: RUF001
"""The people, companies and conversations behind `opora demo`.

Kept apart from the command so the texts can be edited without touching the loading
logic. Every demo account shares one password, printed by the command.
"""

from __future__ import annotations

from dataclasses import dataclass

# Published on purpose: the demo is for trying Opora out, never for real data.
PASSWORD = "demo12345"  # noqa: S105
ADMIN_EMAIL = "admin@opora.local"


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    language: str
    line: int | None = None
    team_lead: bool = False


@dataclass(frozen=True)
class OrganizationSpec:
    name: str
    domains: tuple[str, ...]
    shared_tickets: bool = False


@dataclass(frozen=True)
class TeamSpec:
    name: str
    description: str
    members: str  # local parts of the agents' @opora.local addresses


ADMIN = Person(ADMIN_EMAIL, "Opora Admin", "en")

AGENTS = (
    Person("alice@opora.local", "Alice Walker", "en", line=1),
    Person("dmitry@opora.local", "Дмитрий Орлов", "ru", line=1),
    Person("olga@opora.local", "Ольга Кузнецова", "ru", line=1),
    Person("sergey@opora.local", "Sergey Volkov", "en", line=1),
    Person("bob@opora.local", "Bob Martin", "en", line=2),
    Person("carol@opora.local", "Carol Jensen", "en", line=3),
    Person("lena@opora.local", "Елена Соколова", "ru", line=3, team_lead=True),
)

ORGANIZATIONS = (
    OrganizationSpec("Acme Logistics", ("acme.example",)),
    OrganizationSpec("ООО Ромашка", ("romashka.example",), shared_tickets=True),
    OrganizationSpec("Northwind Traders", ("northwind.example",)),
)

# Customers join their organization through the e-mail domain, as real sign-ups do;
# the last three use personal mailboxes and belong to none.
CUSTOMERS = (
    Person("john.miller@acme.example", "John Miller", "en"),
    Person("sarah.chen@acme.example", "Sarah Chen", "en"),
    Person("mike.brown@acme.example", "Mike Brown", "en"),
    Person("i.petrov@romashka.example", "Иван Петров", "ru"),
    Person("m.sidorova@romashka.example", "Мария Сидорова", "ru"),
    Person("a.kozlov@romashka.example", "Алексей Козлов", "ru"),
    Person("n.volkova@romashka.example", "Наталья Волкова", "ru"),
    Person("emma.davis@northwind.example", "Emma Davis", "en"),
    Person("tom.wilson@northwind.example", "Tom Wilson", "en"),
    Person("p.smirnov@northwind.example", "Павел Смирнов", "ru"),
    Person("anna.morozova@mail.example", "Анна Морозова", "ru"),
    Person("t.belova@mail.example", "Татьяна Белова", "ru"),
    Person("david.lee@inbox.example", "David Lee", "en"),
)

# Each team has members on every support line its topics reach (see the topics below);
# its reply address is <name>@opora.local.
TEAMS = (
    TeamSpec(
        "Support", "First contact: accounts, delivery, equipment.", "alice dmitry olga sergey"
    ),
    TeamSpec("Billing", "Invoices, payments, refunds and plans.", "olga dmitry bob lena"),
    TeamSpec("Technical", "VPN, e-mail, the API and the apps.", "alice sergey bob carol lena"),
)

# Tags an agent may add during triage next to the topic's own tag.
EXTRA_TAGS = ("vip", "windows", "macos", "mobile", "follow-up", "sla", "onboarding")


@dataclass(frozen=True)
class Topic:
    """A kind of request: what the customer writes and how the desk answers it."""

    language: str
    tag: str
    team: str
    line: int  # the support line that ends up solving it
    type: str
    subject: str
    body: str  # the customer's first message
    answer: str  # the agent's first reply, usually asking for details
    fix: str  # the reply that solves it


# One topic per block: "@ tag | team | line | type | subject", then C: the customer's
# message, A: the agent's first answer, F: the agent's solution. Indented lines continue
# the entry above; plain text keeps long messages readable within the line limit.
def _parse_topics(language: str, text: str) -> tuple[Topic, ...]:
    topics = []
    for block in text.strip().split("\n@ "):
        head, *lines = block.removeprefix("@ ").splitlines()
        tag, team, line, kind, subject = (part.strip() for part in head.split("|", 4))
        entries: dict[str, str] = {}
        key = ""
        for raw in lines:
            if raw.startswith("  "):
                entries[key] += " " + raw.strip()
            else:
                key, _, rest = raw.partition(":")
                entries[key] = rest.strip()
        topics.append(
            Topic(language, tag, team, int(line), kind, subject,
                  entries["C"], entries["A"], entries["F"])
        )  # fmt: skip
    return tuple(topics)


EN_TOPICS = _parse_topics(
    "en",
    """
@ vpn | Technical | 2 | incident | VPN keeps disconnecting every few minutes
C: Since yesterday our VPN client drops the connection every 5-10 minutes and reconnecting
  takes ages. Everyone in our warehouse office is affected.
A: Thank you for the report. Could you tell us which gateway you connect to (shown in the
  client's status window) and send the client log from Help > Export logs?
F: We found an expired certificate on gateway vpn-gw2 and replaced it. Please reconnect;
  the sessions should stay up now. Let us know if you still see drops.
@ printer | Support | 1 | incident | Printer on the 2nd floor shows as offline
C: The shared HP printer on the second floor is offline for everyone since this morning.
  Print jobs just sit in the queue. We already turned it off and on again.
A: Sorry for the trouble. Does the printer's display show an IP address under Network
  settings? If it says 0.0.0.0, it lost its network configuration.
F: The printer had lost its fixed IP address after a firmware update. We set it again and
  cleared the print queue on the server; test pages are coming out fine now.
@ password | Support | 1 | question | Password reset e-mail never arrives
C: I tried to reset my password three times, but the reset e-mail never arrives, not even
  in the spam folder. I can't sign in at all.
A: Let's get you back in. Is your sign-in address the same one you are writing from? Some
  company filters hold our messages, so please also check the quarantine folder.
F: Your mail server was rejecting our messages. We sent you a one-time sign-in link from
  our backup address; please set a new password right after signing in.
@ invoice | Billing | 1 | question | Invoice needs our new VAT number
C: Could you re-issue invoice INV-2024-0412? Our company changed its VAT number last
  month and our accountant can't book the invoice with the old one.
A: Of course. Please send us the new VAT number and the date it became valid, and we'll
  update your billing profile before re-issuing the invoice.
F: Done: the billing profile now has the new VAT number and the corrected invoice is
  attached to your account under Billing > Invoices. The old one has been cancelled.
@ billing | Billing | 2 | complaint | We were charged twice this month
C: Our card was charged twice for the October subscription, two identical payments of 249
  EUR on the same day. Please refund one of them as soon as possible.
A: I'm sorry about this. I can see two payments on your account and have asked the billing
  team to check with the payment provider. Could you confirm the last four card digits?
F: The second payment was a duplicate caused by a timeout at the payment provider. We have
  refunded 249 EUR; it usually appears on the card statement within 5 business days.
@ refund | Billing | 2 | question | Refund for unused seats after downgrade
C: We moved from 25 to 15 seats in the middle of the billing period. Will we get a refund
  for the ten seats we no longer use, or a credit on the next invoice?
A: Good question. Downgrades are normally credited on the next invoice. Would you prefer a
  refund to the card instead? I'll check what we can do.
F: We have refunded the unused part of the ten seats (163.20 EUR) to your card. The next
  invoice will be for 15 seats.
@ delivery | Support | 1 | complaint | Order arrived late and the box was damaged
C: Order #58213 arrived four days after the promised date and the box was crushed. Two of
  the six items are broken. This is the second time this month.
A: I'm very sorry about this. Could you send photos of the damaged items and the box? We
  will file a claim with the carrier and arrange a replacement.
F: We have shipped replacements for the two broken items by express delivery, tracking
  number DHL 7781 2290 11. The carrier claim is filed, so there is nothing else to do.
@ api | Technical | 3 | incident | API returns 500 for large POST /orders requests
C: Our integration gets HTTP 500 from POST /v2/orders whenever an order has more than about
  200 lines. Smaller orders work fine. This blocks our nightly import.
A: Thanks for the detailed report. Could you send the request ID from the X-Request-Id
  response header of a failed call, and the approximate payload size?
F: The API gateway had a 1 MB request limit that large orders exceeded. We raised it to
  10 MB and added a clear 413 error above that. Your nightly import should go through.
@ api | Technical | 2 | question | How can we raise the API rate limit?
C: We're getting HTTP 429 during our hourly sync, roughly 600 requests a minute. Is it
  possible to raise the limit for our account?
A: The default limit is 300 requests a minute per token. Could you tell us more about the
  sync? Often the bulk endpoints reduce the number of calls a lot.
F: We raised your account's limit to 1000 requests a minute. We'd still recommend the
  bulk endpoint /v2/items:batch for the sync; the documentation has an example.
@ email | Technical | 2 | incident | Our replies to customers end up in spam
C: Several of our customers say that the e-mails we send from the help desk end up in
  their spam folder. It started after we switched our domain to the new mail provider.
A: This is usually about SPF or DKIM records. Could you send us the full headers of one of
  the messages that went to spam?
F: Your SPF record didn't include the new provider. We sent your IT team the exact DNS
  records to add; after the change your messages pass SPF and DKIM checks again.
@ sso | Technical | 3 | incident | SSO login loops back to the sign-in page
C: Since this morning nobody can sign in with single sign-on. After entering the password
  at our identity provider we land on the sign-in page again.
A: We'll look into it right away. Did your identity provider's signing certificate change
  recently? Please also send the time of a failed attempt so we can find it in our logs.
F: The IdP certificate was rotated and our side still trusted the old one. We imported the
  new certificate from your metadata URL; sign-in works again.
@ account | Support | 1 | question | Change the owner of our account
C: Our office manager is leaving the company at the end of the month. How do we make
  someone else the owner of our account?
A: The current owner can transfer the account under Settings > Account > Owner. If that is
  not possible any more, we need a written request from a company director.
F: We have transferred the ownership to your colleague as requested; the previous owner is
  now a regular user and can be removed at any time.
@ export | Support | 1 | question | Export all our data to CSV
C: For our yearly audit we need an export of all orders and invoices from last year. Is
  there a way to download them as CSV?
A: Yes: Reports > Export lets you choose the period and the format. Large exports are
  prepared in the background and sent by e-mail. Did you find the option?
F: The export for last year is ready; the download link was sent to you by e-mail and
  stays valid for seven days.
@ mobile-app | Technical | 2 | incident | iOS app crashes on start after update
C: After updating the app on my iPhone to the latest version it crashes right after the
  splash screen. Reinstalling didn't help. iPhone 12, iOS 17.
A: Sorry about that. Could you tell us the exact app version (Settings > About) and
  whether you use Face ID to unlock the app?
F: Version 4.8.1 with a fix for the crash with Face ID enabled is now in the App Store.
  Please update and let us know if it still happens.
@ performance | Technical | 3 | incident | Dashboard is very slow in the mornings
C: Between 9 and 11 am the dashboard takes 30 seconds or more to load, later in the day it
  is fine. It makes the morning stand-up very painful.
A: Thanks, we can see higher response times in that window too. Which dashboard widgets do
  you use? Large date ranges on the reports widget are a known factor.
F: A nightly report job was still running in the morning and slowing down the database.
  We moved it to 3 am and added an index; the dashboard now loads in about a second.
@ feature-request | Support | 1 | suggestion | Please add a dark mode
C: Our team works late shifts and the bright interface is tiring. A dark mode would be
  really appreciated.
A: Thank you for the suggestion! I've added your vote to the dark mode request; it is one
  of the most requested features.
F: Good news: dark mode is available since today's release under Profile > Appearance.
@ feature-request | Support | 1 | suggestion | Notifications to our Slack channel
C: It would be great to get a message in our Slack channel whenever a new urgent ticket
  comes in, ideally one channel per team.
A: Thanks for the idea. Would a webhook to Slack's incoming-webhook URL be enough for you,
  or do you need a full Slack app?
F: Per-team webhooks are now available under Team settings > Notifications, and they work
  with Slack incoming webhooks. Thanks for suggesting it!
@ complaint | Support | 1 | complaint | My ticket was closed without a solution
C: My previous request about missing reports was closed without anyone actually fixing the
  problem. I'd like to understand why and get it solved.
A: I'm sorry, that should not have happened. I have reopened the investigation and will
  personally follow up on it. Could you tell me which reports are missing?
F: The missing reports were caused by a filter saved in your profile. We removed it, the
  reports are all there again, and we have reviewed the closing rules with the team.
@ billing | Billing | 1 | question | Update our credit card and billing address
C: Our company card expires next week. How can I add the new card and change the billing
  address to our new office?
A: You can do both under Billing > Payment method. If you prefer, send us the new address
  and we'll update it for you; for security reasons we can't take card details by e-mail.
F: We updated the billing address; it will appear on the next invoice. Thanks for adding
  the new card yourself, everything is set.
@ integration | Technical | 2 | question | How do we verify webhook signatures?
C: We want to make sure the webhooks we receive really come from you. Is there a signature
  header, and how do we check it?
A: Yes, every webhook carries an X-Signature header with an HMAC-SHA256 of the body. Which
  language is your receiver written in? I can send a matching example.
F: Here is the example for your stack: compute HMAC-SHA256 of the raw body with your
  webhook secret and compare it to the header with a constant-time comparison.
@ delivery | Support | 1 | question | Tracking number hasn't updated for 5 days
C: The tracking for order #57730 has said "in transit" for five days now. Is the parcel
  lost? We need the goods for a customer next week.
A: Let me check with the carrier. Could you confirm the delivery address on the order, in
  case the parcel was held at a depot?
F: The parcel was held at the local depot because of a missing door code. It is out for
  delivery today, and we've added the door code to your address book.
@ reports | Support | 1 | suggestion | Weekly report by e-mail
C: It would save me time if the weekly ticket report could be sent to my mailbox every
  Monday morning instead of me downloading it.
A: Thank you, that is a useful idea. Would a PDF attachment work for you, or do you prefer
  a link to the report in the app?
F: Scheduled reports are now available: open the report, choose Schedule, and pick Monday
  at 8:00. Thanks for the suggestion!
""",
)

RU_TOPICS = _parse_topics(
    "ru",
    """
@ invoice | Billing | 2 | incident | Не приходят счета на оплату
C: Добрый день! Уже неделю не получаем от вас счета на почту, хотя в личном кабинете они
  есть. Бухгалтерия не может провести оплату вовремя.
A: Спасибо, что сообщили. Подскажите, пожалуйста, на какой адрес должны
  приходить счета, и проверьте папку «Спам» и карантин почтового сервера.
F: Проблема была на стороне почтового шлюза, письма со счетами задерживались. Мы всё
  исправили и повторно отправили счета за последнюю неделю.
@ printer | Support | 1 | incident | Принтер в бухгалтерии не печатает
C: Сетевой принтер в бухгалтерии с утра не печатает, документы висят в очереди.
  Перезагрузка принтера не помогла, а нам срочно нужно печатать платёжки.
A: Посмотрите, пожалуйста, что написано на экране принтера, и пришлите фото,
  если там есть код ошибки.
F: Мы очистили зависшую очередь печати на сервере и переустановили драйвер на ваших
  компьютерах. Проверили — тестовая страница печатается.
@ vpn | Technical | 2 | incident | Не подключается VPN из дома
C: Со вчерашнего вечера не могу подключиться к VPN из дома, клиент пишет «Ошибка
  аутентификации». В офисе всё работает. Пароль не менял.
A: Уточните, пожалуйста, какая версия клиента установлена и подключаетесь ли
  вы с рабочего ноутбука. Пришлите, если можно, скриншот ошибки.
F: Срок действия вашего сертификата для VPN истёк вчера. Мы выпустили новый и отправили
  инструкцию по установке на почту, подключение должно работать.
@ password | Support | 1 | question | Не могу войти в личный кабинет
C: Здравствуйте, не могу войти в личный кабинет: пишет «Неверный пароль», а письмо для
  восстановления не приходит. Логин — мой рабочий e-mail.
A: Проверьте, пожалуйста, папку «Спам». Если письма там нет, сообщите время
  последней попытки, и мы посмотрим журнал отправки.
F: Ваша учётная запись была заблокирована после нескольких неудачных попыток входа. Мы её
  разблокировали и отправили новую ссылку для смены пароля.
@ 1c | Technical | 3 | incident | Ошибка обмена с 1С: заказы не выгружаются
C: С утра не выгружаются заказы в 1С, обмен завершается с ошибкой «Неверный формат
  XML». Вчера всё работало, в 1С мы ничего не меняли.
A: Пришлите, пожалуйста, журнал обмена за сегодня и номер одного из заказов,
  который не выгрузился.
F: В одном из заказов был символ, который ломал XML. Мы исправили экранирование при
  выгрузке, обмен прошёл успешно, все заказы уже в 1С.
@ billing | Billing | 1 | question | Нужны закрывающие документы за квартал
C: Добрый день! Пришлите, пожалуйста, акты и счета-фактуры за третий квартал, а также акт
  сверки на 30 сентября. Бухгалтерия закрывает период.
A: Подскажите, в каком виде нужны документы: через ЭДО или сканы по почте
  с отправкой оригиналов?
F: Документы за третий квартал и акт сверки отправили через ЭДО, оригиналы ушли Почтой
  России. Трек-номер письма продублировали вам на почту.
@ refund | Billing | 2 | complaint | Деньги списали дважды
C: У нас дважды списали оплату за октябрь, 14 900 рублей каждый раз. Прошу вернуть лишний
  платёж. Очень неприятная ситуация.
A: Приносим извинения. Мы видим два платежа и уже передали вопрос в
  финансовый отдел. Пришлите, пожалуйста, реквизиты для возврата.
F: Повторный платёж возник из-за сбоя у платёжного шлюза. Мы оформили возврат 14 900
  рублей, деньги поступят на счёт в течение 5 рабочих дней.
@ delivery | Support | 1 | complaint | Курьер не приехал, заказ не доставлен
C: Заказ № 48213 должны были доставить вчера с 10 до 14, мы ждали весь день, курьер так и
  не приехал и не позвонил. Когда будет доставка?
A: Очень жаль, что так вышло. Мы уже связались со службой доставки и
  выясняем, что произошло. Подтвердите, пожалуйста, адрес и удобное время.
F: Заказ доставят завтра с 10 до 12, курьер позвонит за час. Стоимость доставки мы
  вернули в качестве компенсации. Ещё раз приносим извинения.
@ delivery | Support | 1 | question | Можно ли изменить адрес доставки?
C: Мы переезжаем в новый офис. Можно ли изменить адрес доставки для заказа № 48377,
  который уже оформлен, но ещё не отправлен?
A: Да, пока заказ не передан в доставку, адрес можно изменить. Напишите,
  пожалуйста, новый адрес полностью и контактный телефон.
F: Адрес доставки в заказе изменили, заказ отправим завтра. Новый адрес также сохранили в
  профиле компании для следующих заказов.
@ api | Technical | 3 | incident | API отвечает 502 при выгрузке остатков
C: Наш сервис получает 502 Bad Gateway от метода /v2/stock при выгрузке остатков. Ошибка
  появляется примерно в половине запросов, началось сегодня около 9 утра.
A: Пришлите, пожалуйста, значение заголовка X-Request-Id из нескольких
  неуспешных ответов, чтобы мы нашли их в журналах.
F: Один из серверов API после обновления отвечал с ошибкой. Мы вывели его из балансировки
  и исправили конфигурацию, с 11:40 ошибок 502 нет.
@ email | Technical | 2 | incident | Письма от нас попадают в спам
C: Клиенты жалуются, что наши письма из системы поддержки попадают в спам. Раньше такого
  не было, домен и почтовый сервер мы не меняли.
A: Пришлите, пожалуйста, заголовки одного из писем, которое попало в спам, —
  посмотрим результаты проверок SPF и DKIM.
F: Истёк ключ DKIM для вашего домена. Мы сгенерировали новый ключ и отправили вашему
  администратору DNS-запись, после её добавления проверки проходят.
@ account | Support | 1 | question | Добавить нового сотрудника в личный кабинет
C: Добрый день! К нам вышел новый менеджер, Сергей Никитин. Нужно дать ему доступ в
  личный кабинет с правами на просмотр заказов.
A: Администратор вашей компании может сделать это сам в разделе
  «Сотрудники». Если удобнее, пришлите рабочий e-mail сотрудника.
F: Мы отправили приглашение на указанный адрес, права — просмотр заказов. После
  регистрации сотрудник сразу увидит заказы компании.
@ mobile-app | Technical | 2 | incident | Не приходят уведомления в приложении на Android
C: После обновления приложения на Android перестали приходить push-уведомления о новых
  заказах. Телефон Samsung Galaxy A52, уведомления в настройках включены.
A: Проверьте, пожалуйста, не включена ли для приложения экономия заряда
  батареи, и напишите номер версии приложения.
F: В версии 5.2.0 была ошибка регистрации уведомлений на некоторых Samsung. Выпустили
  исправление 5.2.1, после обновления уведомления снова приходят.
@ performance | Technical | 3 | incident | Личный кабинет очень медленно открывается
C: Последние два дня личный кабинет открывается по минуте, отчёт по продажам вообще не
  загружается. У коллег то же самое.
A: Подтверждаем замедление, уже разбираемся. Подскажите, за какой период вы
  строите отчёт по продажам?
F: Причина была в тяжёлом запросе отчёта по продажам за большой период. Мы его
  оптимизировали, теперь отчёт за год строится за несколько секунд.
@ feature-request | Support | 1 | suggestion | Добавьте оплату через СБП
C: Было бы удобно оплачивать счета через Систему быстрых платежей по QR-коду, без ввода
  реквизитов вручную.
A: Спасибо за предложение! Передали его команде продукта. Подскажите, вы оплачиваете
  счета с расчётного счёта компании или с карты?
F: Рады сообщить: оплата по QR-коду через СБП появилась в разделе «Счета». Спасибо за
  идею!
@ feature-request | Support | 1 | suggestion | Выгрузка отчётов в Excel
C: Предлагаю добавить выгрузку отчётов сразу в Excel, а не только в PDF. Нам приходится
  вручную переносить цифры в таблицы.
A: Спасибо, хорошая идея! Какие отчёты вы выгружаете чаще всего? Начнём с них.
F: Выгрузка в Excel (XLSX) доступна для всех отчётов с сегодняшнего обновления — кнопка
  «Скачать» в правом верхнем углу отчёта.
@ complaint | Support | 1 | complaint | Очень долго отвечаете в чате
C: Вчера в чате ждал ответа сорок минут, а потом чат просто закрылся. Вопрос был простой,
  но так и остался без ответа. Это неприемлемо.
A: Приносим извинения за ожидание. Вчера была большая нагрузка, но это не
  оправдание. Напишите, пожалуйста, ваш вопрос здесь, ответим в приоритете.
F: Ответили на ваш вопрос и разобрали ситуацию с чатом: теперь при долгом ожидании диалог
  не закрывается, а переводится в обращение. Спасибо, что написали.
@ invoice | Billing | 1 | question | Выставите счёт на другое юрлицо
C: Добрый день! Следующий счёт нужно выставить на наше второе юрлицо, ООО «Ромашка-Сервис».
  Реквизиты те же, что в договоре № 17/2024.
A: Уточните, пожалуйста, нужно ли перевести на новое юрлицо все будущие
  счета или только ближайший?
F: Перевыставили счёт на ООО «Ромашка-Сервис», он уже в личном кабинете. Реквизиты
  сохранили, будущие счета тоже будут на новое юрлицо.
@ tariff | Billing | 1 | question | Как перейти на другой тариф?
C: Хотим перейти с тарифа «Старт» на «Бизнес» с начала следующего месяца. Как это
  сделать и пересчитаете ли вы текущий период?
A: Тариф можно сменить в разделе «Оплата», изменение вступит в силу сразу.
  Если удобнее с начала месяца, мы запланируем переход сами — подтвердите, пожалуйста.
F: Запланировали переход на тариф «Бизнес» с первого числа, счёт на новый тариф придёт
  за пять дней до начала месяца. Текущий период пересчитывать не нужно.
@ telephony | Technical | 2 | incident | Не работает IP-телефония в офисе
C: С утра в офисе не работают IP-телефоны: гудка нет, входящие не проходят. Мобильные
  работают. Клиенты не могут до нас дозвониться!
A: Проверьте, пожалуйста, горит ли индикатор сети на телефонах, и
  перезагружали ли вы роутер в офисе.
F: После обновления прошивки роутер блокировал SIP-трафик. Мы настроили правило для
  телефонии удалённо, звонки проходят. Проверили входящий и исходящий вызов.
@ feature-request | Support | 1 | suggestion | Уведомления в Telegram
C: Хотим получать уведомления о статусе заказов в Telegram, почту сотрудники склада
  читают редко.
A: Спасибо за идею! Уточните, пожалуйста: уведомления нужны в личные сообщения или в
  общий чат склада?
F: Запустили бота для уведомлений: подключить его можно в профиле, раздел
  «Уведомления». Работает и в личных сообщениях, и в групповых чатах.
""",
)

TOPICS = (*EN_TOPICS, *RU_TOPICS)


@dataclass(frozen=True)
class Phrases:
    """Everyday lines of a conversation that fit any topic, in one language."""

    greeting: str  # opens an agent's reply, "{name}" is the customer's first name
    phone: str  # how an agent records a call, "{text}" is what the customer said
    addenda: tuple[str, ...]  # the customer adds something before anyone answered
    follow_ups: tuple[str, ...]  # the customer answers the agent's questions
    thanks: tuple[str, ...]
    acks: tuple[str, ...]  # the agent gives an update while working on it
    more_info: tuple[str, ...]  # the agent needs more from the customer
    notes: tuple[str, ...]  # internal notes
    hold_notes: tuple[str, ...]  # internal: why the ticket waits for a third party
    hold: str  # the matching public update
    escalation: str  # internal, "{line}" is the support line
    reopen: tuple[str, ...]  # the customer writes back after a solution
    duplicate: str  # the customer asks again through another channel


PHRASES = {
    "en": Phrases(
        greeting="Hi {name},",
        phone="Phone call. The customer says: {text}",
        addenda=(
            "One more thing: it also happens for my colleague, so it's not just my computer.",
            "Forgot to mention: this is fairly urgent for us, we have a deadline on Friday.",
        ),
        follow_ups=(
            "Thanks for the quick answer. I tried what you suggested, but nothing changed.",
            "Here are the details: it started on Monday morning and affects about ten people.",
            "I checked again: it happens on both my laptop and my phone.",
            "Sorry for the delay, I was out of the office. The issue is still there.",
        ),
        thanks=(
            "That did it, thank you!",
            "Works now. Thanks a lot for your help.",
            "Confirmed, everything is fine on our side. You can close the ticket.",
        ),
        acks=(
            "Thank you, that helps. I've passed the details to our engineers.",
            "Thanks for checking. We can reproduce the issue now and are working on a fix.",
            "Sorry for the wait: we're still on it and will reply within one business day.",
        ),
        more_info=(
            "Thanks! Could you send a screenshot of the error and the exact time it happened?",
            "Could you also tell us whether this happens in another browser?",
        ),
        notes=(
            "Checked the logs: nothing unusual on our side so far.",
            "Same symptoms as a ticket from last week, see the knowledge base article.",
            "Key account, please keep response times short.",
        ),
        hold_notes=(
            "Waiting for the vendor's answer; on hold until then.",
            "Fix is scheduled for the release on Thursday; putting this on hold.",
        ),
        hold="We're waiting for our vendor's fix and will update you as soon as it's out.",
        escalation="Escalating to line {line}: reproduced, needs access to the back end.",
        reopen=(
            "Unfortunately the problem came back this morning.",
            "It worked for a day, but now we see the same error again.",
        ),
        duplicate="Writing again about the same issue: is anyone looking at it?",
    ),
    "ru": Phrases(
        greeting="Здравствуйте, {name}!",
        phone="Звонок клиента. Со слов клиента: {text}",
        addenda=(
            "Забыл добавить: у коллег та же проблема, так что дело не в моём компьютере.",
            "Дополню: для нас это срочно, в пятницу сдаём отчётность.",
        ),
        follow_ups=(
            "Спасибо за быстрый ответ. Сделали, как вы написали, но ничего не изменилось.",
            "Отвечаю на ваши вопросы: началось в понедельник утром, затронуло человек десять.",
            "Проверили ещё раз — проблема повторяется и на ноутбуке, и на телефоне.",
            "Извините за задержку с ответом, был в отъезде. Проблема сохраняется.",
        ),
        thanks=(
            "Всё заработало, спасибо!",
            "Проверили, всё в порядке. Спасибо за помощь!",
            "Подтверждаю, проблема решена. Обращение можно закрывать.",
        ),
        acks=(
            "Спасибо, это помогло. Передал информацию инженерам.",
            "Спасибо за проверку. Мы воспроизвели проблему и работаем над исправлением.",
            "Извините за ожидание: мы ещё разбираемся и ответим в течение рабочего дня.",
        ),
        more_info=(
            "Спасибо! Пришлите, пожалуйста, скриншот ошибки и точное время её появления.",
            "Подскажите также, повторяется ли проблема в другом браузере?",
        ),
        notes=(
            "Проверил логи: с нашей стороны ошибок нет.",
            "Похоже на обращение с прошлой недели, см. статью в базе знаний.",
            "Ключевой клиент, отвечаем в приоритете.",
        ),
        hold_notes=(
            "Ждём ответа от поставщика, до этого обращение на паузе.",
            "Исправление выйдет в релизе в четверг, ставлю на паузу.",
        ),
        hold="Ждём исправления от нашего поставщика и сообщим, как только оно будет готово.",
        escalation="Передаю на {line}-ю линию: воспроизвёл, нужен доступ к серверной части.",
        reopen=(
            "К сожалению, сегодня утром проблема повторилась.",
            "День всё работало, а теперь снова та же ошибка.",
        ),
        duplicate="Пишу повторно по тому же вопросу: кто-нибудь им занимается?",
    ),
}


@dataclass(frozen=True)
class ProblemSpec:
    """A problem record opened by the team lead, with incidents of one topic linked to it."""

    language: str
    subject: str
    body: str
    note: str
    incident_tag: str  # incidents of this topic tag, in this language, are linked
    status: str
    days_ago: int


PROBLEMS = (
    ProblemSpec(
        "en",
        "Recurring VPN disconnects on gateway vpn-gw2",
        "Several customers report VPN sessions dropping every few minutes, all of them on "
        "gateway vpn-gw2. Root cause analysis needed; link new reports here.",
        "Certificate chain on vpn-gw2 looks wrong after the last renewal. Checking the "
        "automation that renews it.",
        "vpn",
        "open",
        days_ago=20,
    ),
    ProblemSpec(
        "ru",
        "Массово не доставляются письма со счетами",
        "Несколько клиентов сообщают, что не получают письма со счетами. Похоже на проблему "
        "с почтовым шлюзом, нужно найти причину. Новые обращения привязываем сюда.",
        "Шлюз провайдера отклоняет часть писем с вложениями PDF. Открыли заявку у провайдера.",
        "invoice",
        "on_hold",
        days_ago=12,
    ),
)


# The live chat of the demo: a widget anyone can embed with data-key="demo", answered
# by the Support team with the answer bot on. Agents go online in their chat inbox.
CHAT_WIDGET_KEY = "demo"


def set_up_chat() -> int:
    """The demo's chat widget and its team's answer bot; returns how many widgets."""
    from opora.accounts.models import Team, User
    from opora.automation.bot import configure_bot
    from opora.chat.models import ChatWidget
    from opora.chat.widgets import WidgetFields, change_widget_key, save_widget

    team = Team.objects.get(name="Support")
    admin = User.objects.get(email=ADMIN_EMAIL)
    if not ChatWidget.objects.filter(public_key=CHAT_WIDGET_KEY).exists():
        widget = save_widget(
            None,
            WidgetFields(
                name="Demo site",
                team_id=team.pk,
                prechat_name="optional",
                prechat_email="optional",
                greeting_en="Hi! Ask us anything: the bot answers at once, a person if needed.",
                greeting_ru="Здравствуйте! Спросите нас: бот ответит сразу, а если нужно — "
                "специалист.",
            ),
            by=admin,
        )
        # A fixed key, so the demo page and the README's snippet work as written.
        change_widget_key(widget, by=admin, key=CHAT_WIDGET_KEY)
    configure_bot(team_id=team.pk, enabled=True, threshold=0.5)
    return 1


# What the people of the quarter say beyond the topics: ratings, the bot, time entries.


@dataclass(frozen=True)
class Feedback:
    """Comments customers leave with a rating, by score band, in one language."""

    good: tuple[str, ...]  # 4 and 5
    fair: tuple[str, ...]  # 3
    poor: tuple[str, ...]  # 1 and 2


FEEDBACK = {
    "en": Feedback(
        good=(
            "Quick and friendly, thank you!",
            "Solved on the first try. Great job.",
            "Alice explained everything clearly, much appreciated.",
            "Fast answer even on a busy Monday morning.",
            "Exactly what I needed, thanks for the follow-up.",
        ),
        fair=(
            "Solved in the end, but it took a few days.",
            "OK, though I had to explain the problem twice.",
        ),
        poor=(
            "Took far too long and I had to chase you for an answer.",
            "The first answer didn't read my message at all.",
        ),
    ),
    "ru": Feedback(
        good=(
            "Спасибо, очень быстро помогли!",
            "Всё решили с первого раза, отличная работа.",
            "Вежливо и по делу, спасибо Дмитрию.",
            "Ответили даже раньше, чем я ожидал.",
            "Подробно объяснили, что случилось. Спасибо!",
        ),
        fair=(
            "Проблему решили, но пришлось подождать пару дней.",
            "В целом нормально, но пришлось дважды объяснять суть.",
        ),
        poor=(
            "Слишком долго, пришлось несколько раз напоминать.",
            "Первый ответ был не по моему вопросу.",
        ),
    ),
}

# The customer answers the bot's "did this solve your question?".
BOT_YES = {"en": "Yes, thank you, the article helped.", "ru": "Да, спасибо, статья помогла."}

# What agents write on their time entries.
TIME_NOTES = {
    "en": ("Investigation", "Reproduced the issue", "Call with the customer", "Fix and check"),
    "ru": ("Диагностика", "Воспроизведение проблемы", "Звонок клиенту", "Исправление и проверка"),
}

# Why a ticket goes up a support line (the escalation's reason).
ESCALATION_REASONS = {
    "en": "Needs access to the back end: reproduced on line 1, logs attached.",
    "ru": "Нужен доступ к серверной части: воспроизвели на 1-й линии, логи приложены.",
}


# Messengers, live chat and the ideas board live in their own module; named here too.
from opora.demo.channel_data import (  # noqa: E402
    CHAT_ANSWERS,
    CHAT_QUESTIONS,
    CHAT_THANKS,
    CHAT_VISITORS,
    IDEAS,
    MESSENGER_PEOPLE,
    IdeaSpec,
    Messenger,
    Visitor,
)

__all__ = [
    "CHAT_ANSWERS",
    "CHAT_QUESTIONS",
    "CHAT_THANKS",
    "CHAT_VISITORS",
    "IDEAS",
    "MESSENGER_PEOPLE",
    "IdeaSpec",
    "Messenger",
    "Visitor",
]
